// AWS: ARN region, endpoints, error parsing, signed POSTs.
#include <nlohmann/json.hpp>

#include <regex>

#include "aws/aws.hpp"
#include "common/codec.hpp"

namespace sopskit::kms::aws {

std::optional<std::string> region_from_arn(const std::string& arn) {
    static const std::regex re(R"(^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$)");
    std::smatch m;
    if (!std::regex_match(arn, m, re)) return std::nullopt;
    return m[1].str();
}

std::string service_endpoint(const Env& env, const std::string& service, const std::string& region) {
    std::string upper = service;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (auto v = env("AWS_ENDPOINT_URL_" + upper)) return *v;
    if (auto v = env("AWS_ENDPOINT_URL")) return *v;
    std::string suffix = region.rfind("cn-", 0) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    return "https://" + service + "." + region + "." + suffix;
}

std::string AwsError::text() const {
    std::string out = "HTTP " + std::to_string(status);
    if (!code.empty()) out += " " + code;
    if (!message.empty()) out += ": " + one_line(message);
    return out;
}

namespace {
std::string clean_code(std::string code) {
    if (auto hash = code.find('#'); hash != std::string::npos) code = code.substr(hash + 1);
    if (auto colon = code.find(':'); colon != std::string::npos) code = code.substr(0, colon);
    return trim(code);
}

std::string xml_tag(const std::string& xml, const std::string& tag) {
    auto open = xml.find("<" + tag + ">");
    if (open == std::string::npos) return {};
    open += tag.size() + 2;
    auto close = xml.find("</" + tag + ">", open);
    if (close == std::string::npos) return {};
    std::string v = xml.substr(open, close - open);
    // The few entities STS uses.
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '&') {
            auto semi = v.find(';', i);
            std::string ent = semi == std::string::npos ? "" : v.substr(i, semi - i + 1);
            if (ent == "&amp;") out += '&';
            else if (ent == "&lt;") out += '<';
            else if (ent == "&gt;") out += '>';
            else if (ent == "&quot;") out += '"';
            else if (ent == "&apos;") out += '\'';
            else {
                out += v[i];
                continue;
            }
            i = semi;
        } else {
            out += v[i];
        }
    }
    return trim(out);
}
}  // namespace

std::string xml_value(const std::string& xml, const std::string& tag) { return xml_tag(xml, tag); }

AwsError parse_json_error(const HttpResponse& resp) {
    AwsError e;
    e.status = resp.status;
    std::string header = resp.header("x-amzn-errortype");
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_object()) {
        for (const char* k : {"__type", "code", "Code"})
            if (j.contains(k) && j[k].is_string()) {
                e.code = j[k].get<std::string>();
                break;
            }
        for (const char* k : {"message", "Message"})
            if (j.contains(k) && j[k].is_string()) {
                e.message = j[k].get<std::string>();
                break;
            }
    }
    if (!header.empty()) e.code = header;
    e.code = clean_code(e.code);
    if (e.code.empty() && e.message.empty() && !resp.body.empty() && !j.is_object()) e.message = one_line(resp.body, 200);
    return e;
}

AwsError parse_xml_error(const HttpResponse& resp) {
    AwsError e;
    e.status = resp.status;
    e.code = clean_code(xml_tag(resp.body, "Code"));
    e.message = xml_tag(resp.body, "Message");
    if (e.code.empty() && e.message.empty()) e.message = one_line(resp.body, 200);
    return e;
}

bool is_throttling_code(const std::string& code) {
    static const char* codes[] = {"ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
                                  "TooManyRequestsException", "ProvisionedThroughputExceededException",
                                  "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
                                  "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
                                  "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
                                  "DependencyTimeoutException", "KeyUnavailableException", "KMSInternalException",
                                  "InternalFailure", "ServiceUnavailable"};
    for (const char* c : codes)
        if (code == c) return true;
    return false;
}

HttpResponse signed_post(const Context& ctx, const std::string& endpoint, const std::string& region,
                         const std::string& service, const Creds& creds,
                         std::vector<std::pair<std::string, std::string>> headers, const std::string& body,
                         bool json_errors) {
    UrlParts url;
    if (!parse_url(endpoint, url)) throw TransportError("invalid endpoint URL '" + endpoint + "'");
    std::string path = url.path.empty() ? "/" : url.path;
    HttpRequest req;
    req.method = "POST";
    req.url = url.scheme + "://" + url.authority() + path;
    req.body = body;
    HttpOptions opts = ctx.http;
    opts.retryable = [json_errors](const HttpResponse& r) {
        if (r.status < 400) return false;
        AwsError e = json_errors ? parse_json_error(r) : parse_xml_error(r);
        return is_throttling_code(e.code);
    };
    std::string host = url.authority();
    return http_send(req, opts, [&](HttpRequest& r) {
        sigv4::Request s;
        s.method = "POST";
        auto q = path.find('?');
        s.path = path.substr(0, q);
        if (q != std::string::npos) s.query = path.substr(q + 1);
        s.headers.push_back({"Host", host});
        for (const auto& [n, v] : headers) s.headers.push_back({n, v});
        s.body = r.body;
        sigv4::sign(s, creds.keys, region, service, sigv4::amz_date_now());
        r.headers.clear();
        for (const auto& h : s.headers) r.headers.emplace_back(h.name, h.value);
    });
}

std::string role_session_name(const std::string& hostname) {
    std::string name = "sops@";
    for (unsigned char c : hostname) {
        bool keep = std::isalnum(c) || c == '=' || c == ',' || c == '.' || (c >= 0x40 && c <= 0x5F);
        if (keep) name.push_back(static_cast<char>(c));
    }
    if (name.size() >= 64) name.resize(64);
    return name;
}

std::time_t parse_iso8601(const std::string& s) {
    std::tm tm{};
    if (sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

}  // namespace sopskit::kms::aws
