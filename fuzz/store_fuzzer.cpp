// One store (chosen at build time by SOPSKIT_FUZZ_FORMAT): parse; whatever parses must emit,
// and what was emitted must parse again to the same tree.
#include "fuzz_support.hpp"
#include "sopskit/format.hpp"
#include "sopskit/tree.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr auto format = static_cast<Format>(SOPSKIT_FUZZ_FORMAT);
    fuzz::refusing_is_fine([&] {
        Branches tree = load_plain(format, fuzz::text_of(data, size));
        std::string emitted = emit_plain(format, tree);
        Branches again = load_plain(format, emitted);
        if (format != Format::Dotenv && format != Format::Ini && emit_plain(format, again) != emitted)
            __builtin_trap();  // emitting is not stable: a round-trip bug
    });
    return 0;
}
