// Go's strconv.Quote (the %q verb) for the error messages that quote user input as Go does.
#pragma once
#include <string>
#include <string_view>

namespace sopskit::detail {

// A double-quoted Go string literal of `s`: printable UTF-8 kept, \a \b \f \n \r \t \v,
// other control and non-printable runes as \xNN / \uNNNN, invalid UTF-8 bytes as \xNN.
// Printability follows unicode.IsPrint for the Latin-1, space, format and separator
// characters; other assigned-or-not runes outside those ranges count as printable.
std::string go_quote_string(std::string_view s);

// One rune decoded from UTF-8 as Go's utf8.DecodeRuneInString: {rune, length}; an invalid
// byte gives {0xFFFD, 1} (length 0 only at the end).
struct DecodedRune {
    char32_t rune;
    std::size_t length;
};
DecodedRune decode_utf8_rune(std::string_view s);

// Appends the UTF-8 encoding of `r` (no check: callers pass valid runes).
void append_utf8(std::string& out, char32_t r);

}  // namespace sopskit::detail
