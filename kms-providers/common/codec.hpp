// Encodings and small helpers the providers share.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::kms {

std::string b64_encode(std::string_view bytes);                 // standard, padded
std::optional<std::string> b64_decode(std::string_view text);   // standard, strict
std::string b64url_encode(std::string_view bytes);              // URL-safe, no padding
// URL-safe or standard alphabet, padding optional.
std::optional<std::string> b64url_decode(std::string_view text);

std::string trim(std::string_view s);
// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

// A one-line excerpt of a service's error text for a message: about `limit` bytes, line breaks
// as spaces, other control characters escaped (untrusted.hpp's excerpt).
std::string one_line(std::string_view s, std::size_t limit = 300);
// How much of a body that is not the service's error JSON an error message shows: the server
// may be anything the file named, so only a short excerpt.
inline constexpr std::size_t kBodyExcerpt = 64;

}  // namespace sopskit::kms
