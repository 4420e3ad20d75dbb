// `sops publish` to S3: one PutObject, signed with the KMS client's SigV4 signer and the same
// AWS credential chain. Messages follow the Go SDK's "operation error S3: PutObject, ..." shape.
#include <algorithm>
#include <cctype>

#include "aws/aws.hpp"
#include "common/codec.hpp"
#include "common/untrusted.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms/publish.hpp"

namespace sopskit::kms {

namespace {

[[noreturn]] void fail(const std::string& why) { throw Error(ErrorCode::Generic, "operation error S3: PutObject, " + why); }

// The SDK's region: AWS_REGION, AWS_DEFAULT_REGION, else `region` of the profile
// (AWS_PROFILE, AWS_DEFAULT_PROFILE or default) in the shared config file.
std::string configured_region(const aws::Context& ctx) {
    if (auto r = ctx.env("AWS_REGION")) return *r;
    if (auto r = ctx.env("AWS_DEFAULT_REGION")) return *r;
    std::string file = env_or(ctx.env, "AWS_CONFIG_FILE", ctx.home.empty() ? "" : ctx.home + "/.aws/config");
    auto text = file.empty() ? std::nullopt : read_text_file(file);
    if (!text) return {};
    aws::Ini ini = aws::parse_ini(*text, true);
    auto profile = ini.find(env_or(ctx.env, "AWS_PROFILE", env_or(ctx.env, "AWS_DEFAULT_PROFILE", "default")));
    if (profile == ini.end()) return {};
    auto region = profile->second.find("region");
    return region == profile->second.end() ? std::string() : region->second;
}

bool plain_region(const std::string& r) {
    return !r.empty() && r.size() <= 64 &&
           std::all_of(r.begin(), r.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'; });
}

// A literal address cannot take a bucket label in front of it.
bool is_ip_host(const std::string& host) {
    if (!host.empty() && host.front() == '[') return true;
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
}

// What the SDK puts in front of the endpoint host: 3-63 lower-case letters, digits and
// hyphens (a name with dots would not match the TLS certificate's wildcard).
bool virtual_hostable(const std::string& bucket) {
    if (bucket.size() < 3 || bucket.size() > 63 || !is_dns_label(bucket)) return false;
    return std::none_of(bucket.begin(), bucket.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

}  // namespace

void put_s3_object(const std::string& bucket, const std::string& key, std::string_view body, const KmsSettings& settings) {
    if (bucket.empty() || key.empty()) fail("the bucket and the object key must not be empty");
    aws::Context ctx = aws::context_from(settings);
    std::string region = configured_region(ctx);
    if (region.empty()) fail("failed to resolve service endpoint, an AWS region is required, but was not found");
    if (!plain_region(region)) fail("invalid AWS region '" + excerpt(region, 64) + "'");

    UrlParts url;
    std::string endpoint;
    try {
        endpoint = aws::service_endpoint(ctx.env, "s3", region);
    } catch (const std::exception& e) {
        fail(e.what());
    }
    if (!parse_url(endpoint, url)) fail("invalid endpoint URL '" + excerpt(endpoint, 200) + "'");
    std::string base = url.path.substr(0, url.path.find('?'));
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string host = url.authority();
    // The path as S3 signs it: raw names, each encoded once (keep_slash), never normalized.
    std::string path;
    if (virtual_hostable(bucket) && !is_ip_host(url.host)) {
        host = bucket + "." + host;
        path = base + "/" + key;
    } else {
        path = base + "/" + sigv4::uri_encode(bucket, false) + "/" + key;
    }

    aws::Creds creds;
    try {
        creds = aws::resolve_credentials(ctx, "", region);
    } catch (const std::exception& e) {
        fail(std::string("failed to retrieve credentials: ") + e.what());
    }

    HttpRequest req;
    req.method = "PUT";
    req.url = url.scheme + "://" + host + sigv4::uri_encode(path, true);
    req.body.assign(body);
    HttpOptions opts = ctx.http;
    opts.retryable = [](const HttpResponse& r) { return r.status >= 400 && aws::is_throttling_code(aws::parse_xml_error(r).code); };
    HttpResponse resp;
    try {
        resp = http_send(req, opts, [&](HttpRequest& r) {
            sigv4::Request s;
            s.method = "PUT";
            s.path = path;
            s.headers.push_back({"Host", host});
            s.body = r.body;
            sigv4::Options sign_opts;
            sign_opts.normalize_path = false;
            sign_opts.add_content_sha256 = true;
            sigv4::sign(s, creds.keys, region, "s3", sigv4::amz_date_now(), sign_opts);
            r.headers.clear();
            for (const auto& h : s.headers) r.headers.emplace_back(h.name, h.value);
        });
    } catch (const TransportError& e) {
        fail(e.what());
    }
    if (resp.status < 200 || resp.status >= 300) {
        aws::AwsError e = aws::parse_xml_error(resp);
        std::string why = "https response error StatusCode: " + std::to_string(resp.status);
        if (!e.code.empty()) why += ", api error " + one_line(e.code, 100) + ": " + one_line(e.message);
        fail(why);
    }
}

}  // namespace sopskit::kms
