// HuaweiCloud's API-gateway request signing, SDK-HMAC-SHA256: the building blocks shared by the
// HuaweiCloud KMS client and by the emulator, which must verify what the client signed. Pure
// functions, no I/O.
//
//   canonical request = METHOD \n URI/ \n QUERY \n "name:value\n"... \n name;name \n hex(sha256(body))
//   string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(canonical request))
//   signature         = hex(HMAC-SHA256(secret key, string to sign))
//   Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/kms/sigv4.hpp"

namespace sopskit::kms::sdk_hmac {

inline constexpr std::string_view kAlgorithm = "SDK-HMAC-SHA256";
inline constexpr std::string_view kDateHeader = "X-Sdk-Date";

// The same wire request shape as SigV4's (method, path, raw query, ordered headers, body).
using Request = sigv4::Request;

// Each path segment percent-encoded (all but A-Z a-z 0-9 - _ . ~), and always a trailing '/'.
std::string canonical_uri(std::string_view path);
// Query pairs sorted by name then value, each side percent-encoded as the path segments.
std::string canonical_query(std::string_view raw_query);
// The six-part canonical request over the headers named in `signed_names` (lower-case, sorted).
std::string canonical_request(const Request& req, const std::vector<std::string>& signed_names);
std::string string_to_sign(std::string_view canonical_request, std::string_view sdk_date);

// The headers the SDK signs: every header present except Content-Type and names with '_',
// lower-cased and sorted.
std::vector<std::string> headers_to_sign(const Request& req);

// Adds X-Sdk-Date (YYYYMMDDTHHMMSSZ), signs every header then present (headers_to_sign) and
// appends Authorization. Returns the signature.
std::string sign(Request& req, std::string_view access_key, std::string_view secret_key, std::string_view sdk_date);

// A parsed Authorization header; nullopt when it is not SDK-HMAC-SHA256 or is malformed.
struct ParsedAuthorization {
    std::string access_key;
    std::vector<std::string> signed_headers;
    std::string signature;
};
std::optional<ParsedAuthorization> parse_authorization(std::string_view header_value);

// Server side: recomputes the signature from the request's own Authorization and X-Sdk-Date
// headers with the given secret; true when it matches (constant-time compare).
bool verify(const Request& req, std::string_view secret_key);

}  // namespace sopskit::kms::sdk_hmac
