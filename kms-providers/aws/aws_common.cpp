// AWS: ARN region, endpoints, error parsing, signed POSTs.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "aws/aws.hpp"
#include "common/codec.hpp"
#include "common/token_expiry.hpp"
#include "common/untrusted.hpp"

namespace sopskit::kms::aws {

namespace {

bool is_partition(std::string_view p) {
    // sops: aws[\w-]* (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc, ...)
    if (p.size() > 32 || p.rfind("aws", 0) != 0) return false;
    return std::all_of(p.begin(), p.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

bool is_region(std::string_view r) {
    // A region becomes a host label of the endpoint: lower-case letters, digits and hyphens only.
    return is_dns_label(r) && std::none_of(r.begin(), r.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string_view take_field(std::string_view& s) {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) {
        std::string_view all = s;
        s = {};
        return all;
    }
    std::string_view field = s.substr(0, colon);
    s.remove_prefix(colon + 1);
    return field;
}

}  // namespace

std::optional<KmsArn> parse_kms_arn(std::string_view arn) {
    if (arn.size() > kMaxArnLength) return std::nullopt;
    std::string_view rest = arn;
    if (take_field(rest) != "arn") return std::nullopt;
    KmsArn out;
    std::string_view partition = take_field(rest);
    if (!is_partition(partition) || take_field(rest) != "kms") return std::nullopt;
    std::string_view region = take_field(rest);
    std::string_view account = take_field(rest);
    if (!is_region(region) || account.empty() || account.size() > 32 ||
        !std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    // The resource: key/ID or alias/NAME (the rest, colons included, as sops' ".+" takes it);
    // it travels only in the JSON body, but control characters and spaces have no place in it.
    std::string_view resource = rest;
    std::size_t slash = resource.find('/');
    std::string_view type = resource.substr(0, slash);
    if ((type != "key" && type != "alias") || slash == std::string_view::npos || slash + 1 == resource.size()) return std::nullopt;
    if (!std::all_of(resource.begin(), resource.end(), [](char c) { return c > 0x20 && c < 0x7f; })) return std::nullopt;
    out.partition = std::string(partition);
    out.region = std::string(region);
    out.account = std::string(account);
    out.resource = std::string(resource);
    return out;
}

std::optional<std::string> region_from_arn(const std::string& arn) {
    auto parsed = parse_kms_arn(arn);
    if (!parsed) return std::nullopt;
    return parsed->region;
}

std::string dns_suffix_for_region(const std::string& region) {
    // The SDK's partition table, by region prefix; everything else is the commercial partition.
    static const std::pair<const char*, const char*> prefixes[] = {
        {"cn-", "amazonaws.com.cn"},       {"us-iso-", "c2s.ic.gov"},    {"us-isob-", "sc2s.sgov.gov"},
        {"us-isof-", "csp.hci.ic.gov"},    {"eu-isoe-", "cloud.adc-e.uk"}, {"eusc-", "amazonaws.eu"}};
    for (const auto& [prefix, suffix] : prefixes)
        if (region.rfind(prefix, 0) == 0) return suffix;
    return "amazonaws.com";
}

Context context_from(const KmsSettings& s) {
    Context ctx;
    ctx.env = env_of(s);
    ctx.home = home_of(s);
    ctx.isolated = s.isolated;
    ctx.static_keys = s.aws;
    if (s.federated && !s.federated->aws_role_arn.empty()) ctx.federated = s.federated;
    ctx.http = http_options_from(ctx.env, env_or(ctx.env, "AWS_CA_BUNDLE"));
    if (auto attempts = ctx.env("AWS_MAX_ATTEMPTS")) {  // total tries, as the SDK counts them
        try {
            ctx.http.max_retries = std::max(0, std::stoi(*attempts) - 1);
        } catch (...) {
        }
    }
    return ctx;
}

std::string service_endpoint(const Env& env, const std::string& service, const std::string& region) {
    std::string upper = service;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (auto v = env("AWS_ENDPOINT_URL_" + upper)) return *v;
    if (auto v = env("AWS_ENDPOINT_URL")) return *v;
    // Only a checked region goes into the host name: never one that could add a port, a path,
    // credentials or another host.
    if (!is_region(region)) throw TransportError("invalid AWS region '" + excerpt(region, 64) + "'");
    return "https://" + service + "." + region + "." + dns_suffix_for_region(region);
}

std::string AwsError::text() const {
    std::string out = "HTTP " + std::to_string(status);
    if (!code.empty()) out += " " + one_line(code, 100);
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
    if (e.code.empty() && e.message.empty() && !resp.body.empty() && !j.is_object()) e.message = one_line(resp.body, kBodyExcerpt);
    return e;
}

AwsError parse_xml_error(const HttpResponse& resp) {
    AwsError e;
    e.status = resp.status;
    e.code = clean_code(xml_tag(resp.body, "Code"));
    e.message = xml_tag(resp.body, "Message");
    if (e.code.empty() && e.message.empty()) e.message = one_line(resp.body, kBodyExcerpt);
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

std::time_t parse_iso8601(const std::string& s) { return parse_rfc3339_utc(s); }

}  // namespace sopskit::kms::aws
