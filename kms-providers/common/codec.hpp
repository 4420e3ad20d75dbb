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

// A one-line error text from a service's JSON error body (first `limit` chars, no newlines).
std::string one_line(std::string_view s, std::size_t limit = 300);

}  // namespace sopskit::kms
