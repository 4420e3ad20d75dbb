// AWS Signature Version 4: canonical request, string to sign, signing key, Authorization.
#include "sopskit/kms/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <stdexcept>

#include "core/hex.hpp"

namespace sopskit::kms::sigv4 {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Trims and collapses every whitespace run (folded lines included) to one space.
std::string canonical_value(std::string_view v) {
    std::string out;
    bool pending_space = false;
    for (char c : v) {
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out.push_back(' ');
        pending_space = false;
        out.push_back(c);
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

// (lower-cased name -> values in arrival order), restricted to `names` when given.
std::map<std::string, std::vector<std::string>> header_map(const Request& req,
                                                           const std::vector<std::string>& names) {
    std::map<std::string, std::vector<std::string>> m;
    for (const auto& h : req.headers) {
        std::string n = lower(h.name);
        if (!names.empty() && std::find(names.begin(), names.end(), n) == names.end()) continue;
        m[n].push_back(canonical_value(h.value));
    }
    return m;
}

}  // namespace

std::optional<std::string> Request::header(std::string_view name) const {
    std::string n = lower(name);
    for (const auto& h : headers)
        if (lower(h.name) == n) return h.value;
    return std::nullopt;
}

void Request::set_header(std::string name, std::string value) {
    std::string n = lower(name);
    std::erase_if(headers, [&](const Header& h) { return lower(h.name) == n; });
    headers.push_back({std::move(name), std::move(value)});
}

std::string to_hex(std::string_view bytes) { return detail::hex_encode(bytes); }

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("sha256 failed");
    return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len))
        throw std::runtime_error("hmac-sha256 failed");
    return std::string(reinterpret_cast<char*>(md), len);
}

std::string uri_encode(std::string_view s, bool keep_slash) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

std::string canonical_uri(std::string_view path, bool normalize) {
    if (path.empty()) return "/";
    std::string p(path);
    if (normalize) {
        std::vector<std::string> segs;
        std::size_t start = 0;
        while (start <= p.size()) {
            std::size_t end = p.find('/', start);
            if (end == std::string::npos) end = p.size();
            std::string seg = p.substr(start, end - start);
            if (seg == "..") {
                if (!segs.empty()) segs.pop_back();
            } else if (!seg.empty() && seg != ".") {
                segs.push_back(seg);
            }
            start = end + 1;
        }
        std::string last = p.substr(p.rfind('/') + 1);
        bool trailing = p.back() == '/' || last == "." || last == "..";
        std::string out = "/";
        for (std::size_t i = 0; i < segs.size(); ++i) {
            if (i) out += '/';
            out += segs[i];
        }
        if (trailing && !segs.empty()) out += '/';
        p = out;
    }
    if (p.front() != '/') p.insert(p.begin(), '/');
    return uri_encode(p, true);
}

std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        std::string_view part = query.substr(start, end - start);
        if (!part.empty()) {
            std::size_t eq = part.find('=');
            std::string_view k = part.substr(0, eq);
            std::string_view v = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
            pairs.emplace_back(uri_encode(percent_decode(k), false), uri_encode(percent_decode(v), false));
        }
        start = end + 1;
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [k, v] : pairs) {
        if (!out.empty()) out += '&';
        out += k + "=" + v;
    }
    return out;
}

std::string canonical_headers(const Request& req, const std::vector<std::string>& names) {
    std::string out;
    for (const auto& [n, values] : header_map(req, names)) {
        out += n + ":";
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i) out += ',';
            out += values[i];
        }
        out += '\n';
    }
    return out;
}

std::string signed_headers(const Request& req, const std::vector<std::string>& names) {
    std::string out;
    for (const auto& entry : header_map(req, names)) {
        if (!out.empty()) out += ';';
        out += entry.first;
    }
    return out;
}

std::string canonical_request(const Request& req, bool normalize_path,
                              const std::vector<std::string>& names) {
    std::string method = req.method;
    for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return method + "\n" + canonical_uri(req.path, normalize_path) + "\n" + canonical_query(req.query) +
           "\n" + canonical_headers(req, names) + "\n" + signed_headers(req, names) + "\n" +
           sha256_hex(req.body);
}

std::string credential_scope(std::string_view amz_date, std::string_view region,
                             std::string_view service) {
    return std::string(amz_date.substr(0, 8)) + "/" + std::string(region) + "/" + std::string(service) +
           "/aws4_request";
}

std::string string_to_sign(std::string_view canonical_request, std::string_view amz_date,
                           std::string_view region, std::string_view service) {
    return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + credential_scope(amz_date, region, service) +
           "\n" + sha256_hex(canonical_request);
}

std::string signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                        std::string_view region, std::string_view service) {
    std::string k = hmac_sha256("AWS4" + std::string(secret_access_key), date_yyyymmdd);
    k = hmac_sha256(k, region);
    k = hmac_sha256(k, service);
    return hmac_sha256(k, "aws4_request");
}

std::string signature(std::string_view secret_access_key, std::string_view amz_date,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign) {
    return to_hex(hmac_sha256(signing_key(secret_access_key, amz_date.substr(0, 8), region, service),
                              string_to_sign));
}

std::string authorization_header(std::string_view access_key_id, std::string_view scope,
                                 std::string_view signed_headers, std::string_view signature) {
    return "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + "/" + std::string(scope) +
           ", SignedHeaders=" + std::string(signed_headers) + ", Signature=" + std::string(signature);
}

std::string sign(Request& req, const Credentials& creds, std::string_view region,
                 std::string_view service, std::string_view amz_date, const Options& opts) {
    req.set_header("X-Amz-Date", std::string(amz_date));
    if (opts.add_content_sha256) req.set_header("X-Amz-Content-Sha256", sha256_hex(req.body));
    if (!creds.session_token.empty() && opts.sign_session_token)
        req.set_header("X-Amz-Security-Token", creds.session_token);
    std::erase_if(req.headers, [](const Header& h) { return lower(h.name) == "authorization"; });
    std::string creq = canonical_request(req, opts.normalize_path);
    std::string sts = string_to_sign(creq, amz_date, region, service);
    std::string sig = signature(creds.secret_access_key, amz_date, region, service, sts);
    req.headers.push_back({"Authorization",
                           authorization_header(creds.access_key_id, credential_scope(amz_date, region, service),
                                                signed_headers(req), sig)});
    if (!creds.session_token.empty() && !opts.sign_session_token)
        req.set_header("X-Amz-Security-Token", creds.session_token);
    return sig;
}

std::string amz_date_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

std::optional<ParsedAuthorization> parse_authorization(std::string_view v) {
    constexpr std::string_view prefix = "AWS4-HMAC-SHA256 ";
    if (v.substr(0, prefix.size()) != prefix) return std::nullopt;
    v.remove_prefix(prefix.size());
    ParsedAuthorization out;
    bool have_cred = false, have_signed = false, have_sig = false;
    std::size_t start = 0;
    while (start < v.size()) {
        std::size_t end = v.find(',', start);
        if (end == std::string_view::npos) end = v.size();
        std::string part = canonical_value(v.substr(start, end - start));
        start = end + 1;
        std::size_t eq = part.find('=');
        if (eq == std::string::npos) return std::nullopt;
        std::string key = part.substr(0, eq), val = part.substr(eq + 1);
        if (key == "Credential") {
            std::vector<std::string> f;
            std::size_t s = 0;
            while (true) {
                std::size_t e = val.find('/', s);
                f.push_back(val.substr(s, e == std::string::npos ? std::string::npos : e - s));
                if (e == std::string::npos) break;
                s = e + 1;
            }
            if (f.size() != 5 || f[4] != "aws4_request" || f[0].empty()) return std::nullopt;
            out.access_key_id = f[0];
            out.date = f[1];
            out.region = f[2];
            out.service = f[3];
            have_cred = true;
        } else if (key == "SignedHeaders") {
            std::size_t s = 0;
            while (s <= val.size()) {
                std::size_t e = val.find(';', s);
                if (e == std::string::npos) e = val.size();
                if (e > s) out.signed_headers.push_back(lower(val.substr(s, e - s)));
                s = e + 1;
            }
            have_signed = !out.signed_headers.empty();
        } else if (key == "Signature") {
            out.signature = val;
            have_sig = !val.empty();
        }
    }
    if (!have_cred || !have_signed || !have_sig) return std::nullopt;
    return out;
}

bool verify(const Request& req, std::string_view secret_access_key, bool normalize_path) {
    auto auth = req.header("Authorization");
    auto date = req.header("X-Amz-Date");
    if (!auth || !date) return false;
    auto parsed = parse_authorization(*auth);
    if (!parsed || date->substr(0, 8) != parsed->date) return false;
    std::string creq = canonical_request(req, normalize_path, parsed->signed_headers);
    std::string sts = string_to_sign(creq, *date, parsed->region, parsed->service);
    std::string expected = signature(secret_access_key, *date, parsed->region, parsed->service, sts);
    return expected.size() == parsed->signature.size() &&
           CRYPTO_memcmp(expected.data(), parsed->signature.data(), expected.size()) == 0;
}

}  // namespace sopskit::kms::sigv4
