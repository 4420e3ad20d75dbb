// The two object stores `sops publish` writes to, just enough of each: S3 PutObject/GetObject
// (path style, SigV4 checked as for KMS) and the GCS JSON API media upload and download
// (bearer tokens checked as for Cloud KMS). Objects stay in memory.
#include <nlohmann/json.hpp>

#include "aws_auth.hpp"
#include "codec.hpp"
#include "handlers.hpp"

namespace sopskit::kms_emulator {

namespace {

void s3_error(Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + xml_escape(message) +
                        "</Message><RequestId>" + hex_encode(random_bytes(8)) + "</RequestId></Error>",
                    "application/xml");
}

// S3's answers to a request it cannot authenticate.
void s3_auth_error(Response& res, const AwsAuth& auth) {
    switch (auth.failure) {
        case AwsAuthFailure::None: return;
        case AwsAuthFailure::MissingAuthentication: return s3_error(res, 403, "AccessDenied", "Access Denied");
        case AwsAuthFailure::IncompleteSignature: return s3_error(res, 400, "AuthorizationHeaderMalformed", auth.message);
        case AwsAuthFailure::UnknownAccessKey:
            return s3_error(res, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        case AwsAuthFailure::ExpiredToken: return s3_error(res, 400, "ExpiredToken", "The provided token has expired.");
        case AwsAuthFailure::BadSignature: return s3_error(res, 403, "SignatureDoesNotMatch", auth.message);
        case AwsAuthFailure::SignatureExpired:
            return s3_error(res, 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
    }
}

void gcs_unauthenticated(Response& res) {
    gcp_error(res, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                        "other valid authentication credential.");
}

nlohmann::json gcs_resource(const std::string& bucket, const std::string& name, std::size_t size) {
    return {{"kind", "storage#object"}, {"bucket", bucket}, {"name", name}, {"size", std::to_string(size)},
            {"contentType", "text/plain; charset=utf-8"}};
}

}  // namespace

void s3_object(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string bucket = req.matches[1], key = req.matches[2];
    call.operation = req.method == "PUT" ? "PutObject" : "GetObject";
    call.key = bucket + "/" + key;
    AwsAuth auth = authenticate_aws(ctx, req, "s3");
    if (auth.failure != AwsAuthFailure::None) return s3_auth_error(res, auth);
    std::lock_guard lock(ctx.objects.mu);
    if (req.method == "PUT") {
        ctx.objects.s3[call.key] = req.body;
        res.status = 200;
        res.set_header("ETag", "\"" + hex_encode(sha256(req.body)).substr(0, 32) + "\"");
        return;
    }
    auto it = ctx.objects.s3.find(call.key);
    if (it == ctx.objects.s3.end()) return s3_error(res, 404, "NoSuchKey", "The specified key does not exist.");
    res.set_content(it->second, "application/octet-stream");
}

void gcs_upload(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string bucket = req.matches[1], name = req.get_param_value("name");
    call.operation = "objects.insert";
    call.key = bucket + "/" + name;
    if (!gcp_authenticated(ctx, req)) return gcs_unauthenticated(res);
    if (req.get_param_value("uploadType") != "media") return gcp_error(res, 400, "Only uploadType=media is emulated.");
    if (name.empty()) return gcp_error(res, 400, "Required parameter: name");
    std::lock_guard lock(ctx.objects.mu);
    ctx.objects.gcs[call.key] = req.body;
    res.set_content(gcs_resource(bucket, name, req.body.size()).dump(), "application/json; charset=UTF-8");
}

void gcs_object(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string bucket = req.matches[1], name = req.matches[2];
    call.operation = "objects.get";
    call.key = bucket + "/" + name;
    if (!gcp_authenticated(ctx, req)) return gcs_unauthenticated(res);
    std::lock_guard lock(ctx.objects.mu);
    auto it = ctx.objects.gcs.find(call.key);
    if (it == ctx.objects.gcs.end()) return gcp_error(res, 404, "No such object: " + call.key);
    if (req.get_param_value("alt") == "media") return res.set_content(it->second, "application/octet-stream");
    res.set_content(gcs_resource(bucket, name, it->second.size()).dump(), "application/json; charset=UTF-8");
}

}  // namespace sopskit::kms_emulator
