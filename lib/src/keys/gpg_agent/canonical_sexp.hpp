// A reader of canonical S-expressions (libgcrypt's "(5:value33:...)" form), the agent's way
// of passing keys, ciphertexts and results. Only what the agent sends: lists and
// length-prefixed atoms, bounded in depth and size.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "sopskit/secure.hpp"

namespace sopskit::detail::gpg_agent {

struct SexpLimits {
    std::size_t max_depth = 8;   // nested lists
    std::size_t max_nodes = 64;  // atoms and lists together
};

struct SexpNode {
    bool is_list = false;
    std::string_view atom;        // an atom's bytes: a view into the parsed text
    std::vector<SexpNode> items;  // a list's elements
};

// One list from the start of `text`: "(" then atoms ("<decimal length>:<bytes>", the length
// without leading zeros) and lists, then ")". No whitespace, display hints or other forms.
// *consumed: the bytes it took. nullopt when malformed, truncated or over the limits.
std::optional<SexpNode> parse_canonical_sexp(std::string_view text, std::size_t* consumed, const SexpLimits& limits = {});

// libgcrypt's advanced S-expression syntax, as gpg-agent writes a key file, rewritten in the
// canonical form parse_canonical_sexp reads. Input: one list from the start of `text` (after
// whitespace); atoms as tokens (a letter or one of "-./_:*+=" first), #hex# (whitespace
// allowed inside), "strings" with C escapes, |base64|, and <length>:verbatim, a decimal length
// also allowed before the quoted forms. No display hints. Key bytes pass through here, so the
// result and every scratch copy live in locked memory. *consumed: the bytes of `text` read.
// nullopt when malformed, truncated, or over `limits` (depth, atoms and lists together).
struct CanonicalSexp {
    SecureBytes buffer;    // room to spare: the text is the first `size` bytes
    std::size_t size = 0;
    std::string_view view() const { return buffer.view().substr(0, size); }
};
std::optional<CanonicalSexp> canonical_from_advanced(std::string_view text, std::size_t* consumed, const SexpLimits& limits = {});

// The bytes of the agent's PKDECRYPT answer "(5:value<n>:<bytes>)", a view into `answer`.
// One NUL may follow (the agent's smartcard path writes it); anything else is refused.
std::optional<std::string_view> pkdecrypt_value(std::string_view answer);

}  // namespace sopskit::detail::gpg_agent
