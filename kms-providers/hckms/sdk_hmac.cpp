// SDK-HMAC-SHA256 signing and verification (see sopskit/kms/sdk_hmac.hpp). The hashing and
// percent-encoding are SigV4's helpers: the two schemes differ only in how they assemble them.
#include "sopskit/kms/sdk_hmac.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

namespace sopskit::kms::sdk_hmac {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim_spaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A query component as the server received it, back to its raw bytes ('+' is a space).
std::string query_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i] == '+' ? ' ' : s[i]);
        }
    }
    return out;
}

}  // namespace

std::string canonical_uri(std::string_view path) {
    std::string out;
    std::size_t start = 0;
    while (true) {
        std::size_t slash = path.find('/', start);
        out += sigv4::uri_encode(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start), false);
        if (slash == std::string_view::npos) break;
        out += '/';
        start = slash + 1;
    }
    if (out.empty() || out.back() != '/') out += '/';
    return out;
}

std::string canonical_query(std::string_view raw_query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t start = 0;
    while (start < raw_query.size()) {
        std::size_t amp = raw_query.find('&', start);
        if (amp == std::string_view::npos) amp = raw_query.size();
        std::string_view pair = raw_query.substr(start, amp - start);
        if (!pair.empty()) {
            std::size_t eq = pair.find('=');
            std::string name = query_decode(pair.substr(0, eq));
            std::string value = eq == std::string_view::npos ? "" : query_decode(pair.substr(eq + 1));
            pairs.emplace_back(sigv4::uri_encode(name, false), sigv4::uri_encode(value, false));
        }
        start = amp + 1;
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        if (!out.empty()) out += '&';
        out += name + "=" + value;
    }
    return out;
}

std::string canonical_request(const Request& req, const std::vector<std::string>& signed_names) {
    std::string headers;
    for (const auto& name : signed_names) {
        std::vector<std::string> values;
        for (const auto& h : req.headers)
            if (lower(h.name) == name) values.push_back(trim_spaces(h.value));
        std::sort(values.begin(), values.end());
        for (const auto& v : values) headers += name + ":" + v + "\n";
    }
    std::string names;
    for (const auto& name : signed_names) names += (names.empty() ? "" : ";") + name;
    return req.method + "\n" + canonical_uri(req.path) + "\n" + canonical_query(req.query) + "\n" + headers + "\n" + names + "\n" +
           sigv4::sha256_hex(req.body);
}

std::string string_to_sign(std::string_view canonical_request, std::string_view sdk_date) {
    return std::string(kAlgorithm) + "\n" + std::string(sdk_date) + "\n" + sigv4::sha256_hex(canonical_request);
}

std::vector<std::string> headers_to_sign(const Request& req) {
    std::vector<std::string> names;
    for (const auto& h : req.headers) {
        std::string n = lower(h.name);
        if (n.rfind("content-type", 0) == 0 || n.find('_') != std::string::npos) continue;
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string sign(Request& req, std::string_view access_key, std::string_view secret_key, std::string_view sdk_date) {
    req.set_header(std::string(kDateHeader), std::string(sdk_date));
    std::vector<std::string> names = headers_to_sign(req);
    std::string signature = sigv4::to_hex(sigv4::hmac_sha256(secret_key, string_to_sign(canonical_request(req, names), sdk_date)));
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ";") + n;
    req.set_header("Authorization", std::string(kAlgorithm) + " Access=" + std::string(access_key) + ", SignedHeaders=" + list +
                                        ", Signature=" + signature);
    return signature;
}

std::optional<ParsedAuthorization> parse_authorization(std::string_view v) {
    if (v.size() > 8192 || v.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
    v.remove_prefix(kAlgorithm.size());
    if (v.empty() || v.front() != ' ') return std::nullopt;
    ParsedAuthorization out;
    bool have_access = false, have_headers = false, have_signature = false;
    while (!v.empty()) {
        std::size_t comma = v.find(',');
        std::string part = trim_spaces(v.substr(0, comma));
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
        std::size_t eq = part.find('=');
        if (eq == std::string::npos) return std::nullopt;
        std::string name = part.substr(0, eq), value = part.substr(eq + 1);
        if (name == "Access" && !have_access) {
            out.access_key = value;
            have_access = !value.empty();
        } else if (name == "SignedHeaders" && !have_headers) {
            std::size_t start = 0;
            while (start <= value.size()) {
                std::size_t semi = value.find(';', start);
                if (semi == std::string::npos) semi = value.size();
                std::string h = value.substr(start, semi - start);
                if (h.empty() || h != lower(h)) return std::nullopt;
                out.signed_headers.push_back(h);
                start = semi + 1;
            }
            have_headers = true;
        } else if (name == "Signature" && !have_signature) {
            out.signature = value;
            have_signature = value.size() == 64 && std::all_of(value.begin(), value.end(), [](char c) { return hex_value(c) >= 0; });
            if (!have_signature) return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    if (!have_access || !have_headers || !have_signature) return std::nullopt;
    return out;
}

bool verify(const Request& req, std::string_view secret_key) {
    auto auth = req.header("Authorization");
    auto date = req.header(kDateHeader);
    if (!auth || !date) return false;
    auto parsed = parse_authorization(*auth);
    if (!parsed) return false;
    // The date must be among what was signed, or an old signature could be replayed under a new date.
    if (std::find(parsed->signed_headers.begin(), parsed->signed_headers.end(), "x-sdk-date") == parsed->signed_headers.end())
        return false;
    std::string expected = sigv4::to_hex(sigv4::hmac_sha256(secret_key, string_to_sign(canonical_request(req, parsed->signed_headers), *date)));
    return expected.size() == parsed->signature.size() &&
           CRYPTO_memcmp(expected.data(), parsed->signature.data(), expected.size()) == 0;
}

}  // namespace sopskit::kms::sdk_hmac
