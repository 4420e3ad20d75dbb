// GCP Cloud KMS key source: credentials (service-account JWT grant, authorized user, access
// token, metadata server) and REST encrypt/decrypt against an in-process stub.
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <map>
#include <mutex>

#include "common/codec.hpp"
#include "gcp/gcp.hpp"
#include "kms_stub.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"

using namespace sopskit;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kKey = "projects/p/locations/global/keyRings/r/cryptoKeys/sops";

bool verify_rs256(const std::string& jwt, const std::string& pem) {
    auto last = jwt.rfind('.');
    auto sig = kms::b64url_decode(jwt.substr(last + 1));
    if (!sig) return false;
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string input = jwt.substr(0, last);
    bool ok = key && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

struct FakeGcp {
    sopskit::test::StubServer server;
    std::mutex mu;
    std::string pem;
    std::vector<json> claims;
    std::vector<std::string> grants, auths, request_params;
    int metadata_calls = 0;
    int reject_next = 0;  // answer this many KMS calls with 401 (an expired token)

    explicit FakeGcp(std::string key_pem) : pem(std::move(key_pem)) {
        server.srv().Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            std::string grant = req.get_param_value("grant_type");
            grants.push_back(grant);
            if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
                std::string jwt = req.get_param_value("assertion");
                if (!verify_rs256(jwt, pem)) {
                    res.status = 400;
                    res.set_content(R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})", "application/json");
                    return;
                }
                auto first = jwt.find('.'), second = jwt.find('.', first + 1);
                claims.push_back(json::parse(*kms::b64url_decode(jwt.substr(first + 1, second - first - 1))));
                res.set_content(R"({"access_token":"sa-token","expires_in":3599,"token_type":"Bearer"})", "application/json");
            } else if (grant == "refresh_token" && req.get_param_value("refresh_token") == "rt") {
                res.set_content(R"({"access_token":"user-token","expires_in":3599,"token_type":"Bearer"})", "application/json");
            } else {
                res.status = 400;
                res.set_content(R"({"error":"invalid_grant","error_description":"Bad Request"})", "application/json");
            }
        });
        server.srv().Get("/computeMetadata/v1/instance/service-accounts/default/token",
                         [this](const httplib::Request& req, httplib::Response& res) {
                             std::lock_guard lock(mu);
                             ++metadata_calls;
                             if (req.get_header_value("Metadata-Flavor") != "Google") {
                                 res.status = 403;
                                 return;
                             }
                             res.set_header("Metadata-Flavor", "Google");
                             res.set_content(R"({"access_token":"gce-token","expires_in":3599,"token_type":"Bearer"})", "application/json");
                         });
        server.srv().Post(R"(/v1/(.+):(encrypt|decrypt))", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            auths.push_back(req.get_header_value("Authorization"));
            if (reject_next > 0) {
                --reject_next;
                res.status = 401;
                res.set_content(R"({"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}})",
                                "application/json");
                return;
            }
            request_params.push_back(req.get_header_value("x-goog-request-params"));
            std::string name = req.matches[1], op = req.matches[2];
            json body = json::parse(req.body);
            if (body.value("name", "") != name) {
                res.status = 400;
                res.set_content(R"({"error":{"code":400,"message":"name mismatch","status":"INVALID_ARGUMENT"}})", "application/json");
                return;
            }
            if (op == "encrypt") {
                std::string sealed = name + "|" + *kms::b64_decode(body["plaintext"].get<std::string>());
                res.set_content(json{{"name", name + "/cryptoKeyVersions/1"}, {"ciphertext", kms::b64_encode(sealed)}}.dump(),
                                "application/json");
            } else {
                auto sealed = kms::b64_decode(body["ciphertext"].get<std::string>());
                if (!sealed || sealed->rfind(name + "|", 0) != 0) {
                    res.status = 400;
                    res.set_content(R"({"error":{"code":400,"message":"Decryption failed: the ciphertext is invalid.","status":"INVALID_ARGUMENT"}})",
                                    "application/json");
                    return;
                }
                res.set_content(json{{"plaintext", kms::b64_encode(sealed->substr(name.size() + 1))}}.dump(), "application/json");
            }
        });
        server.start();
    }
};

SecureBytes data_key() {
    std::string k(32, '\0');
    for (int i = 0; i < 32; ++i) k[i] = static_cast<char>(255 - i);
    return SecureBytes::from(k);
}

using sopskit::test::env_of;

std::string make_key_pem() {
    fs::path dir = sopskit::test::make_temp_dir();
    auto r = sopskit::test::run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + (dir / "k.pem").string() + " 2>&1");
    if (r.exit_code != 0) return {};
    return sopskit::test::read_file(dir / "k.pem");
}

}  // namespace

TEST(kmsGcp, ResourceIdsAndEndpoints) {
    EXPECT_TRUE(kms::gcp::valid_resource_id(kKey));
    EXPECT_FALSE(kms::gcp::valid_resource_id(std::string(kKey) + "/cryptoKeyVersions/1"));
    EXPECT_FALSE(kms::gcp::valid_resource_id("projects/p/keyRings/r"));
    EXPECT_EQ(kms::gcp::endpoint(env_of({})), "https://cloudkms.googleapis.com");
    EXPECT_EQ(kms::gcp::endpoint(env_of({{"SOPS_GCP_KMS_ENDPOINT", "http://127.0.0.1:9/"}})), "http://127.0.0.1:9");
    EXPECT_EQ(kms::gcp::endpoint(env_of({{"SOPS_GCP_KMS_ENDPOINT", "kms.example:443"}})), "https://kms.example");
    EXPECT_EQ(kms::gcp::endpoint(env_of({{"SOPS_GCP_KMS_UNIVERSE_DOMAIN", "example.goog"}})), "https://cloudkms.example.goog");
}

TEST(kmsGcp, ServiceAccountJwtGrantThenEncryptDecrypt) {
    std::string pem = make_key_pem();
    if (pem.empty()) GTEST_SKIP() << "openssl cannot make a key";
    FakeGcp fake(pem);
    json sa = {{"type", "service_account"}, {"client_email", "sops@p.iam.gserviceaccount.com"}, {"private_key", pem},
               {"private_key_id", "kid1"}, {"token_uri", fake.server.url() + "/token"}, {"project_id", "p"}};
    fs::path dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "sa.json", sa.dump());
    kms::KmsSettings s;
    s.env = env_of({{"SOPS_GCP_KMS_ENDPOINT", fake.server.url()}, {"GOOGLE_APPLICATION_CREDENTIALS", (dir / "sa.json").string()}});
    s.home = dir.string();
    auto src = kms::make_gcp_kms_source(s);
    StoredKey k = src->wrap(kms::gcp_kms_recipients(kKey)[0], data_key());
    EXPECT_EQ(k.kind, "gcp_kms");
    EXPECT_EQ(k.field("resource_id"), kKey);
    EXPECT_EQ(*kms::b64_decode(k.field("enc")), std::string(kKey) + "|" + std::string(data_key().view()));
    ASSERT_EQ(fake.claims.size(), 1u);
    EXPECT_EQ(fake.claims[0]["iss"], "sops@p.iam.gserviceaccount.com");
    EXPECT_EQ(fake.claims[0]["aud"], fake.server.url() + "/token");
    EXPECT_EQ(fake.claims[0]["scope"], "https://www.googleapis.com/auth/cloudkms");
    EXPECT_EQ(fake.claims[0]["exp"].get<long>() - fake.claims[0]["iat"].get<long>(), 3600);
    EXPECT_EQ(fake.auths.at(0), "Bearer sa-token");
    // (cpp-httplib hands header values over percent-decoded)
    EXPECT_EQ(fake.request_params.at(0), "name=projects/p/locations/global/keyRings/r/cryptoKeys/sops");
    auto out = src->unwrap(k);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_TRUE(out.data_key.equals(data_key()));
    EXPECT_EQ(fake.claims.size(), 1u);  // token cached
    // An expired token (401) is refreshed once and the call resent.
    fake.reject_next = 1;
    ASSERT_EQ(src->unwrap(k).status, UnwrapOutcome::Status::Ok);
    EXPECT_EQ(fake.claims.size(), 2u);

    // Another key's ciphertext: one-line error with status and the service's message.
    StoredKey other = k;
    other.set_field("resource_id", Value::string("projects/p/locations/global/keyRings/r/cryptoKeys/other"));
    auto bad = src->unwrap(other);
    ASSERT_EQ(bad.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(bad.reason.find("cryptoKeys/other: HTTP 400 INVALID_ARGUMENT: Decryption failed"), std::string::npos) << bad.reason;

    // A decryption Secret's key file may send its grant only to Google's token endpoint: this
    // one (the fake's) is refused before any request.
    std::string other_pem = make_key_pem();
    sa["private_key"] = other_pem;
    auto flux = kms::settings_from_flux_entries(std::nullopt, sa.dump() + "\n", std::nullopt, std::nullopt);
    flux.env = env_of({{"SOPS_GCP_KMS_ENDPOINT", fake.server.url()}, {"GOOGLE_OAUTH_ACCESS_TOKEN", "leak"}});
    auto tenant = kms::make_gcp_kms_source(flux);
    auto denied = tenant->unwrap(k);
    ASSERT_EQ(denied.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(denied.reason.find("is not Google's OAuth endpoint"), std::string::npos) << denied.reason;
    for (const auto& a : fake.auths) EXPECT_NE(a, "Bearer leak");
}

TEST(kmsGcp, AuthorizedUserAccessTokenAndMetadataServer) {
    FakeGcp fake("");
    fs::path dir = sopskit::test::make_temp_dir();
    json user = {{"type", "authorized_user"}, {"client_id", "cid"}, {"client_secret", "cs"}, {"refresh_token", "rt"},
                 {"token_uri", fake.server.url() + "/token"}};
    fs::create_directories(dir / "gcloud");
    sopskit::test::write_file(dir / "gcloud/application_default_credentials.json", user.dump());
    kms::KmsSettings s;
    s.home = dir.string();
    s.env = env_of({{"SOPS_GCP_KMS_ENDPOINT", fake.server.url()}, {"CLOUDSDK_CONFIG", (dir / "gcloud").string()}});
    kms::make_gcp_kms_source(s)->wrap(kms::gcp_kms_recipients(kKey)[0], data_key());
    EXPECT_EQ(fake.grants.back(), "refresh_token");
    EXPECT_EQ(fake.auths.back(), "Bearer user-token");

    s.env = env_of({{"SOPS_GCP_KMS_ENDPOINT", fake.server.url()}, {"GOOGLE_OAUTH_ACCESS_TOKEN", "ready-token"},
                    {"CLOUDSDK_CONFIG", (dir / "gcloud").string()}});
    auto ready = kms::make_gcp_kms_source(s);
    ready->wrap(kms::gcp_kms_recipients(kKey)[0], data_key());
    EXPECT_EQ(fake.auths.back(), "Bearer ready-token");
    // A fixed token cannot be refreshed: a 401 is reported, not retried.
    fake.reject_next = 1;
    std::size_t calls = fake.auths.size();
    try {
        ready->wrap(kms::gcp_kms_recipients(kKey)[0], data_key());
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP 401 UNAUTHENTICATED"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fake.auths.size(), calls + 1);

    s.home = "/nonexistent";
    s.env = env_of({{"SOPS_GCP_KMS_ENDPOINT", fake.server.url()}, {"GCE_METADATA_HOST", "127.0.0.1:" + std::to_string(fake.server.port())}});
    kms::make_gcp_kms_source(s)->wrap(kms::gcp_kms_recipients(kKey)[0], data_key());
    EXPECT_EQ(fake.metadata_calls, 1);
    EXPECT_EQ(fake.auths.back(), "Bearer gce-token");

    // An invalid resource ID fails before any request.
    std::size_t before = fake.auths.size();
    EXPECT_THROW(kms::make_gcp_kms_source(s)->wrap(kms::gcp_kms_recipients("projects/p/bad")[0], data_key()), Error);
    EXPECT_EQ(fake.auths.size(), before);
}
