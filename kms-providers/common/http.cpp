// libcurl transport for the KMS providers (libcurl is loaded on first use: curl_library.hpp).
#include "common/http.hpp"

#include "common/curl_library.hpp"

#include "sopskit/kms/sigv4.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/secure.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <memory>
#include <random>
#include <thread>

namespace sopskit::kms {

namespace {

// What the transfer callbacks fill: the response, and why it was cut short (if it was).
struct Receiver {
    HttpResponse* resp;
    std::size_t max_body;
    std::size_t header_bytes = 0;
    std::string refused;  // set when a limit stopped the transfer
};

std::size_t on_body(char* ptr, std::size_t size, std::size_t n, void* user) {
    auto* rx = static_cast<Receiver*>(user);
    if (rx->resp->body.size() + size * n > rx->max_body) {
        rx->refused = "response body larger than " + std::to_string(rx->max_body) + " bytes";
        return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    rx->resp->body.append(ptr, size * n);
    return size * n;
}

std::size_t on_header(char* ptr, std::size_t size, std::size_t n, void* user) {
    auto* rx = static_cast<Receiver*>(user);
    HttpResponse* resp = rx->resp;
    rx->header_bytes += size * n;
    if (rx->header_bytes > kMaxHeaderBytes) {
        rx->refused = "response headers larger than " + std::to_string(kMaxHeaderBytes) + " bytes";
        return 0;
    }
    std::string line(ptr, size * n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
        resp->headers.clear();  // a new response (after 100-continue or a redirect)
        return size * n;
    }
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        auto b = value.find_first_not_of(" \t");
        value = b == std::string::npos ? std::string() : value.substr(b);
        // A body announced larger than the cap is refused before any of it is read.
        if (name == "content-length") {
            std::string digits = value.substr(0, value.find_first_not_of("0123456789"));
            if (digits.size() > 15 || (!digits.empty() && std::stoull(digits) > rx->max_body)) {
                rx->refused = "response body larger than " + std::to_string(rx->max_body) + " bytes";
                return 0;
            }
        }
        resp->headers.emplace(std::move(name), std::move(value));
    }
    return size * n;
}

struct CurlHandle {
    const CurlLibrary& curl;
    CURL* h = curl.easy_init();
    curl_slist* headers = nullptr;
    ~CurlHandle() {
        if (headers) curl.slist_free_all(headers);
        if (h) curl.easy_cleanup(h);
    }
};

// One try; false with `error` set on a transport failure.
bool send_once(const HttpRequest& req, const HttpOptions& opts, HttpResponse& resp, std::string& error, bool& permanent) {
    permanent = false;
    const CurlLibrary* library = curl_library(error);
    if (!library) {
        permanent = true;
        return false;
    }
    const CurlLibrary& curl = *library;
    CurlHandle c{curl};
    if (!c.h) {
        error = "cannot initialise libcurl";
        return false;
    }
    resp = HttpResponse{};
    curl.easy_setopt(c.h, CURLOPT_URL, req.url.c_str());
    curl.easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(c.h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl.easy_setopt(c.h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!opts.ca_file.empty()) curl.easy_setopt(c.h, CURLOPT_CAINFO, opts.ca_file.c_str());
    if (!opts.ca_dir.empty()) curl.easy_setopt(c.h, CURLOPT_CAPATH, opts.ca_dir.c_str());
    curl_slist* resolve = nullptr;
    for (const auto& r : opts.resolve) resolve = curl.slist_append(resolve, r.c_str());
    std::unique_ptr<curl_slist, decltype(curl.slist_free_all)> resolve_guard(resolve, curl.slist_free_all);
    if (resolve) curl.easy_setopt(c.h, CURLOPT_RESOLVE, resolve);
    curl_slist* connect_to = nullptr;
    for (const auto& r : opts.connect_to) connect_to = curl.slist_append(connect_to, r.c_str());
    std::unique_ptr<curl_slist, decltype(curl.slist_free_all)> connect_guard(connect_to, curl.slist_free_all);
    if (connect_to) curl.easy_setopt(c.h, CURLOPT_CONNECT_TO, connect_to);
    curl.easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, opts.connect_timeout_ms);
    curl.easy_setopt(c.h, CURLOPT_TIMEOUT_MS, opts.total_timeout_ms);
    curl.easy_setopt(c.h, CURLOPT_FOLLOWLOCATION, 0L);
    if (req.method == "GET") {
        curl.easy_setopt(c.h, CURLOPT_HTTPGET, 1L);
    } else {
        curl.easy_setopt(c.h, CURLOPT_POSTFIELDS, req.body.data());
        curl.easy_setopt(c.h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        if (req.method != "POST") curl.easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    bool has_content_type = false;
    for (const auto& [name, value] : req.headers) {
        std::string lname = name;
        for (auto& ch : lname) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (lname == "content-type") has_content_type = true;
        c.headers = curl.slist_append(c.headers, (name + ": " + value).c_str());
    }
    if (!has_content_type && req.method != "GET") c.headers = curl.slist_append(c.headers, "Content-Type:");
    c.headers = curl.slist_append(c.headers, "Expect:");
    curl.easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
    Receiver rx{&resp, opts.max_body_bytes, 0, {}};
    curl.easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_body);
    curl.easy_setopt(c.h, CURLOPT_WRITEDATA, &rx);
    curl.easy_setopt(c.h, CURLOPT_HEADERFUNCTION, on_header);
    curl.easy_setopt(c.h, CURLOPT_HEADERDATA, &rx);
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl.easy_setopt(c.h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl.easy_perform(c.h);
    if (!rx.refused.empty()) {
        // A server that sends too much will do so again: no retry.
        error = rx.refused;
        permanent = true;
        wipe(resp.body);
        return false;
    }
    if (rc != CURLE_OK) {
        error = *errbuf ? errbuf : curl.easy_strerror(rc);
        // Certificate and configuration problems do not heal by retrying.
        permanent = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
                    rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
        return false;
    }
    curl.easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &resp.status);
    return true;
}

}  // namespace

long retry_after_ms(const std::string& value, long max_delay_ms) {
    // delay-seconds only (an HTTP date falls back to the backoff); any number of digits is
    // clamped without converting it, so a huge value cannot overflow.
    if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) return -1;
    std::size_t first = value.find_first_not_of('0');
    if (first == std::string::npos) return 0;
    if (value.size() - first > 9) return max_delay_ms;
    return std::min(std::stol(value.substr(first)) * 1000, max_delay_ms);
}

namespace {

long backoff_ms(const HttpOptions& opts, int attempt, const HttpResponse* resp) {
    if (resp)
        if (long ra = retry_after_ms(resp->header("retry-after"), opts.max_delay_ms); ra >= 0) return ra;
    long cap = std::min(opts.max_delay_ms, opts.base_delay_ms << std::min(attempt, 16));
    static thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<long> dist(cap / 2, std::max(cap / 2, cap));
    return dist(rng);
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

bool default_retryable_status(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

HttpOptions http_options_from(const Env& env, const std::string& ca_override) {
    HttpOptions o;
    o.ca_file = !ca_override.empty() ? ca_override : env_or(env, "SSL_CERT_FILE");
    o.ca_dir = env_or(env, "SSL_CERT_DIR");
    if (auto t = env("SOPSKIT_KMS_TIMEOUT_S")) {
        try {
            o.total_timeout_ms = std::stol(*t) * 1000;
        } catch (...) {
        }
    }
    if (auto r = env("SOPSKIT_KMS_RESOLVE")) {
        std::size_t start = 0;
        while (start <= r->size()) {
            std::size_t end = r->find(',', start);
            if (end == std::string::npos) end = r->size();
            // host:port:addr pins a name (CURLOPT_RESOLVE); host:port:addr:port2 also moves the
            // port (CURLOPT_CONNECT_TO), for fixed https URLs such as Google's STS in tests.
            std::string entry = r->substr(start, end - start);
            if (std::count(entry.begin(), entry.end(), ':') == 3) o.connect_to.push_back(entry);
            else if (end > start) o.resolve.push_back(entry);
            start = end + 1;
        }
    }
    if (auto b = env("SOPSKIT_KMS_RETRY_BASE_MS")) {
        try {
            o.base_delay_ms = std::stol(*b);
        } catch (...) {
        }
    }
    return o;
}

namespace {
HttpTransport& transport_override() {
    static HttpTransport transport;
    return transport;
}
}  // namespace

void set_http_transport(HttpTransport transport) { transport_override() = std::move(transport); }

HttpResponse http_send(HttpRequest req, const HttpOptions& opts, const std::function<void(HttpRequest&)>& prepare) {
    const HttpTransport& replaced = transport_override();
    // Inside an unwrap, the file's time budget bounds every try and every wait.
    const auto deadline = unwrap_deadline();
    auto remaining_ms = [&]() -> long {
        if (!deadline) return std::numeric_limits<long>::max();
        return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now()).count());
    };
    const char* spent = "the unwrap time budget is spent (SOPSKIT_UNWRAP_BUDGET_S)";
    std::string error;
    for (int attempt = 0;; ++attempt) {
        HttpRequest r = req;
        if (prepare) prepare(r);
        HttpResponse resp;
        bool permanent = false;
        HttpOptions bounded = opts;
        if (long left = remaining_ms(); deadline) {
            if (left <= 0) throw TransportError(spent);
            bounded.total_timeout_ms = std::min(opts.total_timeout_ms, left);
            bounded.connect_timeout_ms = std::min(opts.connect_timeout_ms, left);
        }
        bool got = replaced ? (resp = replaced(r), true) : send_once(r, bounded, resp, error, permanent);
        if (got && resp.body.size() > opts.max_body_bytes) {  // the same bound for a replaced transport
            wipe(resp.body);
            throw TransportError("response body larger than " + std::to_string(opts.max_body_bytes) + " bytes");
        }
        if (!got && permanent) throw TransportError(error);
        bool retry = !got || default_retryable_status(resp.status) || (opts.retryable && opts.retryable(resp));
        if (got && !retry) return resp;
        if (attempt >= opts.max_retries) {
            if (got) return resp;
            throw TransportError(error);
        }
        long wait = replaced ? 0 : backoff_ms(opts, attempt, got ? &resp : nullptr);
        if (deadline && wait >= remaining_ms()) {  // the next try would start after the deadline
            if (got) return resp;
            throw TransportError(error + "; " + spent);
        }
        if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    }
}

// RFC 3986 percent-encoding is SigV4's, with '/' encoded too.
std::string url_encode(const std::string& s) { return sigv4::uri_encode(s, false); }

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        if (!out.empty()) out += '&';
        out += url_encode(k) + "=" + url_encode(v);
    }
    return out;
}

bool parse_url(const std::string& url, UrlParts& out) {
    auto sep = url.find("://");
    if (sep == std::string::npos) return false;
    out.scheme = url.substr(0, sep);
    for (auto& c : out.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t start = sep + 3;
    std::size_t end = url.find_first_of("/?#", start);
    std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out.path = end == std::string::npos ? std::string() : url.substr(end);
    if (authority.empty()) return false;
    std::size_t colon = authority.rfind(':');
    std::size_t bracket = authority.rfind(']');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        out.host = authority.substr(0, colon);
        out.port = authority.substr(colon + 1);
        if (out.port.empty() || !std::all_of(out.port.begin(), out.port.end(), ::isdigit)) return false;
    } else {
        out.host = authority;
        out.port.clear();
    }
    return !out.host.empty();
}

}  // namespace sopskit::kms
