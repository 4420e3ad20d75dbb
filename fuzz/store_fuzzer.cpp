// One store (chosen at build time by SOPSKIT_FUZZ_FORMAT): parse; whatever parses must emit,
// and what was emitted must parse again to the same tree.
#include <cmath>

#include "fuzz_support.hpp"
#include "sopskit/format.hpp"
#include "sopskit/tree.hpp"

using namespace sopskit;

namespace {

// A float -0 is written `-0` and read back as the int 0: go-yaml (and so sops) does exactly the
// same, so sopskit keeps it and such a tree is exempt from the stability check.
bool holds_negative_zero(const Value& v) {
    if (v.kind == Kind::Float) return v.number == 0.0 && std::signbit(v.number);
    for (const Value& entry : v.list)
        if (holds_negative_zero(entry)) return true;
    for (const Item& item : v.map)
        if (holds_negative_zero(item.key) || holds_negative_zero(item.value)) return true;
    return false;
}

bool holds_negative_zero(const Branches& tree) {
    for (const Branch& branch : tree)
        for (const Item& item : branch)
            if (holds_negative_zero(item.key) || holds_negative_zero(item.value)) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr auto format = static_cast<Format>(SOPSKIT_FUZZ_FORMAT);
    fuzz::refusing_is_fine([&] {
        Branches tree = load_plain(format, fuzz::text_of(data, size));
        std::string emitted = emit_plain(format, tree);
        Branches again = load_plain(format, emitted);
        bool checked = format != Format::Dotenv && format != Format::Ini && !holds_negative_zero(tree);
        if (checked && emit_plain(format, again) != emitted)
            __builtin_trap();  // emitting is not stable: a round-trip bug
    });
    return 0;
}
