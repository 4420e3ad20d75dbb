// Byte encodings and small primitives every protocol handler needs.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::kms_emulator {

std::string base64_encode(std::string_view bytes);
// Unpadded base64url, as Key Vault and JWTs use it.
std::string base64url_encode(std::string_view bytes);
// Accepts both alphabets, with or without padding; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);
std::string sha256(std::string_view data);
std::string random_bytes(size_t n);
// A random printable token with a recognisable prefix.
std::string random_token(std::string_view prefix);

// application/x-www-form-urlencoded body or query string; later duplicates win.
std::map<std::string, std::string> parse_form(std::string_view body);
std::string url_decode(std::string_view s);
// Text for an XML element (& < > " escaped).
std::string xml_escape(const std::string& s);

// RFC 3339 UTC for a unix time.
std::string rfc3339(long long unix_seconds);
long long now_seconds();

}  // namespace sopskit::kms_emulator

namespace sopskit::kms_emulator {
// CRC32C (Castagnoli), as Cloud KMS' integrity fields use it.
unsigned int crc32c(std::string_view data);
}  // namespace sopskit::kms_emulator
