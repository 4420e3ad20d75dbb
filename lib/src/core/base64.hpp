// Standard base64 (RFC 4648 with padding), strict on decode as Go's StdEncoding is.
#pragma once
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
bool base64_decode_into(std::string_view text, std::string& out);

}  // namespace sopskit::detail
