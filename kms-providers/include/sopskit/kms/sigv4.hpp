// AWS Signature Version 4 (header signing): building blocks shared by the KMS/STS client and
// by anything that must verify a signature (the emulator). Pure functions, no I/O.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sopskit::kms::sigv4 {

struct Header {
    std::string name;
    std::string value;
};

// A request as it goes on the wire. Headers keep their order; repeats are allowed.
struct Request {
    std::string method;   // "POST"
    std::string path;     // the path as sent, before '?': "/"
    std::string query;    // raw query string without '?': "a=1&b=2" (may be empty)
    std::vector<Header> headers;
    std::string body;

    // First value of a header (case-insensitive name), if present.
    std::optional<std::string> header(std::string_view name) const;
    void set_header(std::string name, std::string value);  // replaces every same-named header
};

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty for long-term keys
};

struct Options {
    bool normalize_path = true;           // remove dot segments, collapse '//' (every non-S3 service)
    bool add_content_sha256 = false;      // add and sign x-amz-content-sha256 (S3 style)
    bool sign_session_token = true;       // false: add x-amz-security-token after signing
};

// Hex SHA-256 and HMAC helpers (lower-case hex).
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string to_hex(std::string_view bytes);

// RFC 3986 unreserved-set percent-encoding (upper-case hex); '/' encoded unless keep_slash.
std::string uri_encode(std::string_view s, bool keep_slash);

std::string canonical_uri(std::string_view path, bool normalize);
std::string canonical_query(std::string_view query);

// Canonical header block ("name:value\n" lines, sorted) and the signed-header list, over the
// request's headers whose lower-cased name is in `names` (all headers when `names` is empty).
std::string canonical_headers(const Request& req, const std::vector<std::string>& names = {});
std::string signed_headers(const Request& req, const std::vector<std::string>& names = {});

// The six-part canonical request. `names` restricts which headers are signed (e.g. the
// SignedHeaders list a server received); empty means every header of the request.
std::string canonical_request(const Request& req, bool normalize_path = true,
                              const std::vector<std::string>& names = {});

// "YYYYMMDD/region/service/aws4_request"; amz_date is "YYYYMMDDTHHMMSSZ".
std::string credential_scope(std::string_view amz_date, std::string_view region,
                             std::string_view service);
std::string string_to_sign(std::string_view canonical_request, std::string_view amz_date,
                           std::string_view region, std::string_view service);
// kSigning derived from the secret (raw bytes).
std::string signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                        std::string_view region, std::string_view service);
// Lower-hex signature of a string to sign.
std::string signature(std::string_view secret_access_key, std::string_view amz_date,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign);
std::string authorization_header(std::string_view access_key_id, std::string_view scope,
                                 std::string_view signed_headers, std::string_view signature);

// Adds X-Amz-Date (and X-Amz-Security-Token, x-amz-content-sha256 as the options say), then
// signs every header present and appends Authorization. Returns the signature.
std::string sign(Request& req, const Credentials& creds, std::string_view region,
                 std::string_view service, std::string_view amz_date, const Options& opts = {});

// The current UTC time as "YYYYMMDDTHHMMSSZ".
std::string amz_date_now();

// A parsed "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex" header; nullopt when malformed.
struct ParsedAuthorization {
    std::string access_key_id;
    std::string date;     // YYYYMMDD
    std::string region;
    std::string service;
    std::vector<std::string> signed_headers;
    std::string signature;
};
std::optional<ParsedAuthorization> parse_authorization(std::string_view header_value);

// Server side: recomputes the signature of a received request from its own Authorization and
// X-Amz-Date headers and the given secret. True when it matches (constant-time compare).
bool verify(const Request& req, std::string_view secret_access_key, bool normalize_path = true);

}  // namespace sopskit::kms::sigv4
