// `sops publish` to Google Cloud Storage: one JSON API media upload with the bearer token of
// the Cloud KMS key's credential chain.
#include "common/codec.hpp"
#include "common/untrusted.hpp"
#include "gcp/gcp.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms/publish.hpp"

namespace sopskit::kms {

namespace {

constexpr const char* kStorageScope = "https://www.googleapis.com/auth/devstorage.read_write";

}  // namespace

void upload_gcs_object(const std::string& bucket, const std::string& object, std::string_view body, const KmsSettings& settings) {
    const std::string what = "failed to upload to gcs://" + excerpt(bucket, 200) + "/" + excerpt(object, 400);
    if (bucket.empty() || object.empty()) throw Error(ErrorCode::Generic, what + ": the bucket and the object name must not be empty");
    Env env = env_of(settings);
    std::string endpoint = env_or(env, "SOPSKIT_GCS_ENDPOINT");
    endpoint = endpoint.empty() ? "https://storage.googleapis.com" : gcp::endpoint_url(endpoint);
    HttpResponse resp;
    try {
        std::string token = gcp::access_token(settings, kStorageScope);
        // Both names are encoded whole: a '/' in an object name is part of the name.
        HttpRequest req{"POST",
                        endpoint + "/upload/storage/v1/b/" + url_encode(bucket) + "/o?uploadType=media&name=" + url_encode(object),
                        {{"Authorization", "Bearer " + token}, {"Content-Type", "text/plain; charset=utf-8"}},
                        std::string(body)};
        wipe(token);
        resp = http_send(std::move(req), http_options_from(env));
    } catch (const std::exception& e) {
        throw Error(ErrorCode::Generic, what + ": " + e.what());
    }
    if (resp.status < 200 || resp.status >= 300) throw Error(ErrorCode::Generic, what + ": " + gcp::error_text(resp));
}

}  // namespace sopskit::kms
