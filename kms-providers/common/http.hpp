// A small HTTPS client over libcurl for the KMS providers: TLS verified (SSL_CERT_FILE or a
// provider CA bundle), connect and total timeouts, bounded retries with exponential backoff and
// jitter on 408/429/5xx, transport errors and whatever the caller's predicate calls throttling.
#pragma once
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/env.hpp"

namespace sopskit::kms {

struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct HttpResponse {
    long status = 0;
    std::multimap<std::string, std::string> headers;  // lower-cased names
    std::string body;
    std::string header(const std::string& lower_name) const;
};

inline constexpr std::size_t kMaxBodyBytes = 1 << 20;     // 1 MiB
inline constexpr std::size_t kMaxHeaderBytes = 64 << 10;  // all header lines of a response

struct HttpOptions {
    long connect_timeout_ms = 10'000;
    long total_timeout_ms = 60'000;
    int max_retries = 3;          // retries after the first try
    long base_delay_ms = 200;     // first backoff; doubles each retry, with jitter
    long max_delay_ms = 20'000;
    std::string ca_file;          // trusted CA bundle; empty: SSL_CERT_FILE or the system store
    std::string ca_dir;
    // curl-style "host:port:address" pins (SOPSKIT_KMS_RESOLVE, comma-separated), so tests can
    // reach a local server under the DNS name a protocol requires.
    std::vector<std::string> resolve;
    // "host:port:connect-host:connect-port" (SOPSKIT_KMS_RESOLVE entries with four fields).
    std::vector<std::string> connect_to;
    // Larger bodies (or a Content-Length announcing one) end the transfer with a TransportError:
    // every KMS answer is a few KiB, and the server may be the file author's.
    std::size_t max_body_bytes = kMaxBodyBytes;
    // Extra "retry this response" rule (e.g. AWS throttling codes sent with 400).
    std::function<bool(const HttpResponse&)> retryable;
};

// Defaults tuned by the environment: SSL_CERT_FILE / SSL_CERT_DIR, SOPSKIT_KMS_TIMEOUT_S,
// SOPSKIT_KMS_RETRY_BASE_MS, SOPSKIT_KMS_RESOLVE. `ca_override` (e.g. AWS_CA_BUNDLE, VAULT_CACERT) wins over SSL_CERT_FILE.
HttpOptions http_options_from(const Env& env, const std::string& ca_override = "");

// Transport failure after every retry (no response at all).
class TransportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Sends the request, retrying as the options say. Returns the last response (any status);
// throws TransportError when no response could be had. `prepare` is called before every try
// (to re-sign with a fresh date); it may be empty.
HttpResponse http_send(HttpRequest req, const HttpOptions& opts,
                       const std::function<void(HttpRequest&)>& prepare = {});

// Replaces the network for every later http_send (the fuzz targets feed server answers through
// it); retries then happen without waiting. An empty function restores libcurl.
using HttpTransport = std::function<HttpResponse(const HttpRequest&)>;
void set_http_transport(HttpTransport transport);

// A Retry-After header's delay in milliseconds, clamped to [0, max_delay_ms]; -1 when it is not
// a number of seconds.
long retry_after_ms(const std::string& value, long max_delay_ms);

// Whether a status is retried by default (408, 429, 500, 502, 503, 504).
bool default_retryable_status(long status);

// application/x-www-form-urlencoded body from pairs (RFC 3986 unreserved set kept).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
std::string url_encode(const std::string& s);

// scheme://host[:port] and the rest of a URL.
struct UrlParts {
    std::string scheme, host, port, path;  // path includes any query
    std::string authority() const { return port.empty() ? host : host + ":" + port; }
};
bool parse_url(const std::string& url, UrlParts& out);

}  // namespace sopskit::kms
