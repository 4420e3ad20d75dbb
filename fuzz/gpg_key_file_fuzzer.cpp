// gpg-agent's key files as the PGP key source reads them from private-keys-v1.d
// (lib/src/keys/gpg_agent/private_key_file.cpp): the "Name: value" lines, the advanced
// S-expression syntax (canonical_sexp.cpp) and the key found in it. Besides not crashing: the
// reader stays within the input, and what it writes is canonical text that the canonical
// reader takes whole.
#include "fuzz_support.hpp"
#include "keys/gpg_agent/canonical_sexp.hpp"
#include "keys/gpg_agent/private_key_file.hpp"

using namespace sopskit::detail::gpg_agent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = sopskit::fuzz::text_of(data, size);
    (void)read_unprotected_key(text);
    std::size_t consumed = 0;
    if (auto canonical = canonical_from_advanced(text, &consumed)) {
        if (consumed > text.size() || canonical->size > canonical->buffer.size()) __builtin_trap();
        std::size_t used = 0;
        auto root = parse_canonical_sexp(canonical->view(), &used);
        if (!root || used != canonical->size) __builtin_trap();
    }
    return 0;
}
