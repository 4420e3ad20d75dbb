// Standard base64 (RFC 4648 with padding), strict on decode as Go's StdEncoding is.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::detail {

std::string base64_encode(std::string_view bytes);
// nullopt for any character outside the alphabet, bad padding or a bad length.
std::optional<std::string> base64_decode(std::string_view text);

// The same, writing into the caller's string (appended to, or replaced), so that a loop over
// many values reuses one buffer instead of allocating a string per call.
void base64_encode_append(std::string& out, std::string_view bytes);
// The encoded length of `n` bytes, and the encoding written at `out` (which has room for it);
// returns the end of what was written.
constexpr std::size_t base64_length(std::size_t n) { return (n + 2) / 3 * 4; }
char* base64_encode_to(char* out, const unsigned char* in, std::size_t n);
bool base64_decode_into(std::string_view text, std::string& out);

}  // namespace sopskit::detail
