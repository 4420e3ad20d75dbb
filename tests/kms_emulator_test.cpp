// sopskit kms-emulator, driven in-process over real HTTPS with raw requests per protocol:
// round trips, authentication failures, denied keys, wrong region/context, injected faults.
#include <chrono>
#include <filesystem>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "codec.hpp"
#include "crypto.hpp"
#include "sopskit/kms/emulator.hpp"
#include "test_support.hpp"

#include "sopskit/kms/sigv4.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
using nlohmann::json;

namespace {

const char* kAwsKey = "AKIDEMULATORTEST0001";
const char* kAwsSecret = "emulator/test/secret/key/0000000000000000";
const char* kArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

std::string sign_rs256(const std::string& private_pem, const std::string& data) {
    BIO* bio = BIO_new_mem_buf(private_pem.data(), int(private_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::string sig(len, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    sig.resize(len);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return sig;
}

std::string public_pem_of(const std::string& private_pem) {
    BIO* in = BIO_new_mem_buf(private_pem.data(), int(private_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
    BIO_free(in);
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(out, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(out, &data);
    std::string pem(data, size_t(n));
    BIO_free(out);
    EVP_PKEY_free(key);
    return pem;
}

std::string make_jwt(const std::string& private_pem, const json& claims) {
    std::string signing_input = emu::base64url_encode(json{{"alg", "RS256"}, {"typ", "JWT"}}.dump()) + "." + emu::base64url_encode(claims.dump());
    return signing_input + "." + emu::base64url_encode(sign_rs256(private_pem, signing_input));
}

class KmsEmulator : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(sopskit::test::make_temp_dir());
        sa_key_ = new std::string(emu::rsa_generate_pem());
        json state = {{"token_ttl_seconds", 3600},
                      {"aws", {{"credentials", {{kAwsKey, kAwsSecret}}}, {"aliases", {{"alias/sops", kArn}}}}},
                      {"gcp", {{"service_accounts", {{"sa@p.iam.gserviceaccount.com", {{"public_key_pem", public_pem_of(*sa_key_)}}}}}}},
                      {"azure", {{"clients", {{"client-1", {{"tenant", "tenant-1"}, {"secret", "s3cret"}}}}}}},
                      {"vault", {{"tokens", {{"root-token", {{"namespace", ""}}}, {"ns-token", {{"namespace", "team-a"}}}}}}}};
        sopskit::test::write_file(*dir_ / "state.json", state.dump());
        emu::Options o;
        o.state_path = (*dir_ / "state.json").string();
        o.log_path = (*dir_ / "calls.log").string();
        server_ = new emu::Emulator(o);
        server_->start();
        sopskit::test::write_file(*dir_ / "ca.pem", server_->cert_pem());
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    std::unique_ptr<httplib::SSLClient> client() {
        auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
        c->set_ca_cert_path((*dir_ / "ca.pem").c_str());
        c->enable_server_certificate_verification(true);
        return c;
    }
    httplib::Result post_json(const std::string& path, const json& body, const httplib::Headers& h = {}) {
        return client()->Post(path.c_str(), h, body.dump(), "application/json");
    }
    void fault(const std::string& service, int status, int count = 1) {
        auto r = post_json("/_emulator/faults", {{"service", service}, {"status", status}, {"count", count}});
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200);
    }

    static fs::path* dir_;
    static std::string* sa_key_;
    static emu::Emulator* server_;
};

fs::path* KmsEmulator::dir_ = nullptr;
std::string* KmsEmulator::sa_key_ = nullptr;
emu::Emulator* KmsEmulator::server_ = nullptr;

const std::string kDataKey(32, '\x2a');

}  // namespace

TEST_F(KmsEmulator, ServesTlsWithItsOwnCertificate) {
    EXPECT_NE(server_->cert_pem().find("BEGIN CERTIFICATE"), std::string::npos);
    auto r = client()->Get("/_emulator/health");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(fs::status(*dir_ / "state.json").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(KmsEmulator, VaultTransitRoundTripTokenDeniedAndFaults) {
    httplib::Headers h = {{"X-Vault-Token", "root-token"}};
    auto enc = post_json("/v1/transit/encrypt/sops", {{"plaintext", emu::base64_encode(kDataKey)}}, h);
    ASSERT_TRUE(enc);
    ASSERT_EQ(enc->status, 200) << enc->body;
    json e = json::parse(enc->body);
    std::string ct = e["data"]["ciphertext"];
    EXPECT_EQ(ct.rfind("vault:v1:", 0), 0u);
    EXPECT_EQ(e["data"]["key_version"], 1);
    auto dec = client()->Put("/v1/transit/decrypt/sops", h, json{{"ciphertext", ct}}.dump(), "application/json");
    ASSERT_EQ(dec->status, 200) << dec->body;
    EXPECT_EQ(emu::base64_decode(json::parse(dec->body)["data"]["plaintext"].get<std::string>()), kDataKey);

    auto bad = post_json("/v1/transit/decrypt/sops", {{"ciphertext", ct}}, {{"X-Vault-Token", "nope"}});
    EXPECT_EQ(bad->status, 403);
    EXPECT_EQ(json::parse(bad->body)["errors"][0], "permission denied");
    EXPECT_EQ(post_json("/v1/transit/decrypt/sops", {{"ciphertext", "garbage"}}, h)->status, 400);
    // A namespaced token only works inside its namespace.
    EXPECT_EQ(post_json("/v1/transit/encrypt/k", {{"plaintext", "AA=="}}, {{"X-Vault-Token", "ns-token"}})->status, 403);
    EXPECT_EQ(post_json("/v1/transit/encrypt/k", {{"plaintext", "AA=="}}, {{"X-Vault-Token", "ns-token"}, {"X-Vault-Namespace", "team-a"}})->status, 200);

    fault("vault", 429, 1);
    EXPECT_EQ(post_json("/v1/transit/decrypt/sops", {{"ciphertext", ct}}, h)->status, 429);
    EXPECT_EQ(post_json("/v1/transit/decrypt/sops", {{"ciphertext", ct}}, h)->status, 200);

    ASSERT_EQ(post_json("/_emulator/deny", {{"service", "vault"}, {"key", "transit/sops"}})->status, 200);
    EXPECT_EQ(post_json("/v1/transit/decrypt/sops", {{"ciphertext", ct}}, h)->status, 403);
    ASSERT_EQ(post_json("/_emulator/deny", {{"service", "vault"}, {"key", "transit/sops"}, {"denied", false}})->status, 200);
}

TEST_F(KmsEmulator, GcpTokenGrantRoundTripAadAndExpiry) {
    long long now = emu::now_seconds();
    std::string token_url = server_->url() + "/token";
    std::string assertion = make_jwt(*sa_key_, {{"iss", "sa@p.iam.gserviceaccount.com"}, {"scope", "https://www.googleapis.com/auth/cloudkms"},
                                                {"aud", token_url}, {"iat", now}, {"exp", now + 3600}});
    auto tok = client()->Post("/token", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion,
                             "application/x-www-form-urlencoded");
    ASSERT_EQ(tok->status, 200) << tok->body;
    std::string access = json::parse(tok->body)["access_token"];
    // A JWT signed by another key is refused.
    std::string forged = make_jwt(emu::rsa_generate_pem(), {{"iss", "sa@p.iam.gserviceaccount.com"}, {"aud", token_url}, {"iat", now}, {"exp", now + 3600}});
    auto refused = client()->Post("/token", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + forged,
                                 "application/x-www-form-urlencoded");
    EXPECT_EQ(refused->status, 400);
    EXPECT_EQ(json::parse(refused->body)["error"], "invalid_grant");

    std::string name = "projects/p/locations/global/keyRings/r/cryptoKeys/sops";
    httplib::Headers h = {{"Authorization", "Bearer " + access}};
    auto enc = post_json("/v1/" + name + ":encrypt", {{"name", name}, {"plaintext", emu::base64_encode(kDataKey)}, {"additionalAuthenticatedData", "YWFk"}}, h);
    ASSERT_EQ(enc->status, 200) << enc->body;
    json e = json::parse(enc->body);
    EXPECT_EQ(e["name"], name + "/cryptoKeyVersions/1");
    auto dec = post_json("/v1/" + name + ":decrypt", {{"ciphertext", e["ciphertext"]}, {"additionalAuthenticatedData", "YWFk"}}, h);
    ASSERT_EQ(dec->status, 200) << dec->body;
    EXPECT_EQ(emu::base64_decode(json::parse(dec->body)["plaintext"].get<std::string>()), kDataKey);
    auto wrong_aad = post_json("/v1/" + name + ":decrypt", {{"ciphertext", e["ciphertext"]}}, h);
    EXPECT_EQ(wrong_aad->status, 400);
    EXPECT_EQ(json::parse(wrong_aad->body)["error"]["status"], "INVALID_ARGUMENT");

    auto unauth = post_json("/v1/" + name + ":decrypt", {{"ciphertext", e["ciphertext"]}}, {{"Authorization", "Bearer wrong"}});
    EXPECT_EQ(unauth->status, 401);
    EXPECT_EQ(json::parse(unauth->body)["error"]["status"], "UNAUTHENTICATED");

    fault("gcp", 503);
    EXPECT_EQ(post_json("/v1/" + name + ":decrypt", {{"ciphertext", e["ciphertext"]}, {"additionalAuthenticatedData", "YWFk"}}, h)->status, 503);
    EXPECT_EQ(post_json("/v1/" + name + ":decrypt", {{"ciphertext", e["ciphertext"]}, {"additionalAuthenticatedData", "YWFk"}}, h)->status, 200);

    ASSERT_EQ(post_json("/_emulator/expire-tokens", json::object())->status, 200);
    EXPECT_EQ(post_json("/v1/" + name + ":decrypt", {{"ciphertext", e["ciphertext"]}, {"additionalAuthenticatedData", "YWFk"}}, h)->status, 401);
}

TEST_F(KmsEmulator, GcpTokenGrantChecksAssertionTimes) {
    long long now = emu::now_seconds();
    std::string token_url = server_->url() + "/token";
    auto grant = [&](const json& exp) {
        std::string assertion = make_jwt(*sa_key_, {{"iss", "sa@p.iam.gserviceaccount.com"}, {"scope", "https://www.googleapis.com/auth/cloudkms"},
                                                    {"aud", token_url}, {"iat", now}, {"exp", exp}});
        return client()->Post("/token", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion,
                              "application/x-www-form-urlencoded")->status;
    };
    EXPECT_EQ(grant(double(now) + 3600.5), 200);  // RFC 7519: a NumericDate may have a fraction
    EXPECT_EQ(grant(now - 100), 400);             // expired
    // Beyond any integer type: refused as too long a lifetime (it was an out-of-range conversion).
    EXPECT_EQ(grant(1e300), 400);
    EXPECT_EQ(grant("soon"), 400);
}

TEST_F(KmsEmulator, AzureChallengeTokenRoundTripAndDenied) {
    auto probe = client()->Post("/keys/sops-key/encrypt?api-version=7.4", "", "application/json");
    ASSERT_EQ(probe->status, 401);
    EXPECT_EQ(probe->get_header_value("WWW-Authenticate"),
              "Bearer authorization=\"https://login.microsoftonline.com/tenant-1\", resource=\"https://vault.azure.net\"");
    auto wrong = client()->Post("/tenant-1/oauth2/v2.0/token", "grant_type=client_credentials&client_id=client-1&client_secret=bad&scope=x",
                               "application/x-www-form-urlencoded");
    EXPECT_EQ(wrong->status, 401);
    EXPECT_EQ(json::parse(wrong->body)["error"], "invalid_client");
    auto tok = client()->Post("/tenant-1/oauth2/v2.0/token",
                             "grant_type=client_credentials&client_id=client-1&client_secret=s3cret&scope=https%3A%2F%2Fvault.azure.net%2F.default",
                             "application/x-www-form-urlencoded");
    ASSERT_EQ(tok->status, 200) << tok->body;
    httplib::Headers h = {{"Authorization", "Bearer " + json::parse(tok->body)["access_token"].get<std::string>()}};

    auto key = client()->Get("/keys/sops-key?api-version=7.4", h);
    ASSERT_EQ(key->status, 200) << key->body;
    std::string kid = json::parse(key->body)["key"]["kid"];
    std::string version = kid.substr(kid.rfind('/') + 1);
    auto enc = post_json("/keys/sops-key/" + version + "/encrypt?api-version=7.4", {{"alg", "RSA-OAEP-256"}, {"value", emu::base64url_encode(kDataKey)}}, h);
    ASSERT_EQ(enc->status, 200) << enc->body;
    std::string ct = json::parse(enc->body)["value"];
    EXPECT_EQ(ct.size(), 342u);  // 256 bytes, base64url without padding
    auto dec = post_json("/keys/sops-key/" + version + "/decrypt?api-version=7.4", {{"alg", "RSA-OAEP-256"}, {"value", ct}}, h);
    ASSERT_EQ(dec->status, 200) << dec->body;
    EXPECT_EQ(emu::base64_decode(json::parse(dec->body)["value"].get<std::string>()), kDataKey);

    fault("azure", 429);
    auto throttled = post_json("/keys/sops-key/" + version + "/decrypt?api-version=7.4", {{"alg", "RSA-OAEP-256"}, {"value", ct}}, h);
    EXPECT_EQ(throttled->status, 429);
    EXPECT_FALSE(throttled->get_header_value("Retry-After").empty());
    EXPECT_EQ(post_json("/keys/sops-key/" + version + "/decrypt?api-version=7.4", {{"alg", "RSA-OAEP-256"}, {"value", ct}}, h)->status, 200);

    ASSERT_EQ(post_json("/_emulator/deny", {{"service", "azure"}, {"key", "sops-key"}})->status, 200);
    EXPECT_EQ(post_json("/keys/sops-key/" + version + "/decrypt?api-version=7.4", {{"alg", "RSA-OAEP-256"}, {"value", ct}}, h)->status, 403);
    ASSERT_EQ(post_json("/_emulator/deny", {{"service", "azure"}, {"key", "sops-key"}, {"denied", false}})->status, 200);
    EXPECT_EQ(post_json("/keys/sops-key/" + version + "/decrypt?api-version=7.4", {{"alg", "RSA-OAEP-256"}, {"value", ct}},
                        {{"Authorization", "Bearer not-issued"}})->status, 401);
}

namespace {
namespace sv = sopskit::kms::sigv4;

// Signs and sends one KMS call the way an SDK does; returns status and parsed body.
std::pair<int, json> kms_call(httplib::SSLClient& c, int port, const std::string& op, const json& body, const std::string& region = "us-east-1",
                             const std::string& secret = kAwsSecret, const std::string& date = sv::amz_date_now()) {
    sv::Request r;
    r.method = "POST";
    r.path = "/";
    r.body = body.dump();
    r.set_header("Host", "127.0.0.1:" + std::to_string(port));
    r.set_header("Content-Type", "application/x-amz-json-1.1");
    r.set_header("X-Amz-Target", "TrentService." + op);
    sv::sign(r, {kAwsKey, secret, ""}, region, "kms", date);
    httplib::Headers h;
    for (const auto& hd : r.headers)
        if (hd.name != "Host" && hd.name != "Content-Type") h.emplace(hd.name, hd.value);
    auto res = c.Post("/", h, r.body, "application/x-amz-json-1.1");
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
}
}  // namespace

TEST_F(KmsEmulator, AwsKmsSigV4RoundTripContextRegionDeniedAndThrottling) {
    auto c = client();
    int port = server_->port();
    json ctx = {{"app", "flux"}, {"ns", "tenant-a"}};
    auto [st, enc] = kms_call(*c, port, "Encrypt", {{"KeyId", kArn}, {"Plaintext", emu::base64_encode(kDataKey)}, {"EncryptionContext", ctx}});
    ASSERT_EQ(st, 200) << enc.dump();
    EXPECT_EQ(enc["KeyId"], kArn);
    std::string blob = enc["CiphertextBlob"];
    // Decrypt without KeyId: the blob names its key.
    auto [st2, dec] = kms_call(*c, port, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}});
    ASSERT_EQ(st2, 200) << dec.dump();
    EXPECT_EQ(emu::base64_decode(dec["Plaintext"].get<std::string>()), kDataKey);
    // The alias resolves to the same key.
    EXPECT_EQ(kms_call(*c, port, "Decrypt", {{"CiphertextBlob", blob}, {"KeyId", "alias/sops"}, {"EncryptionContext", ctx}}).first, 200);

    auto [st3, wrong_ctx] = kms_call(*c, port, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", {{"app", "other"}}}});
    EXPECT_EQ(st3, 400);
    EXPECT_EQ(wrong_ctx["__type"], "InvalidCiphertextException");
    // An empty context equals no context.
    auto [st4, plain] = kms_call(*c, port, "Encrypt", {{"KeyId", kArn}, {"Plaintext", "AQ=="}, {"EncryptionContext", json::object()}});
    ASSERT_EQ(st4, 200);
    EXPECT_EQ(kms_call(*c, port, "Decrypt", {{"CiphertextBlob", plain["CiphertextBlob"]}}).first, 200);

    auto [st5, region] = kms_call(*c, port, "Encrypt", {{"KeyId", kArn}, {"Plaintext", "AQ=="}}, "eu-west-1");
    EXPECT_EQ(st5, 400);
    EXPECT_EQ(region["__type"], "NotFoundException");
    auto [st6, badsig] = kms_call(*c, port, "Encrypt", {{"KeyId", kArn}, {"Plaintext", "AQ=="}}, "us-east-1", "wrong-secret");
    EXPECT_EQ(st6, 400);
    EXPECT_EQ(badsig["__type"], "InvalidSignatureException");
    auto [st7, skew] = kms_call(*c, port, "Encrypt", {{"KeyId", kArn}, {"Plaintext", "AQ=="}}, "us-east-1", kAwsSecret, "20200101T000000Z");
    EXPECT_EQ(st7, 400);
    EXPECT_EQ(skew["__type"], "InvalidSignatureException");
    auto unsigned_call = c->Post("/", {{"X-Amz-Target", "TrentService.Encrypt"}}, "{}", "application/x-amz-json-1.1");
    EXPECT_EQ(unsigned_call->status, 400);
    EXPECT_EQ(kms_call(*c, port, "Encrypt", {{"KeyId", "alias/missing"}, {"Plaintext", "AQ=="}}).second["__type"], "NotFoundException");

    fault("aws", 429);
    auto [st8, throttled] = kms_call(*c, port, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}});
    EXPECT_EQ(st8, 400);
    EXPECT_EQ(throttled["__type"], "ThrottlingException");
    EXPECT_EQ(kms_call(*c, port, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}}).first, 200);

    ASSERT_EQ(post_json("/_emulator/deny", {{"service", "aws"}, {"key", kArn}})->status, 200);
    auto [st9, denied] = kms_call(*c, port, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}});
    EXPECT_EQ(st9, 400);
    EXPECT_EQ(denied["__type"], "AccessDeniedException");
    ASSERT_EQ(post_json("/_emulator/deny", {{"service", "aws"}, {"key", kArn}, {"denied", false}})->status, 200);
}

TEST_F(KmsEmulator, LogHasOneLinePerCallAndNoSecrets) {
    post_json("/v1/transit/encrypt/logcheck", {{"plaintext", emu::base64_encode("top-secret-plaintext")}}, {{"X-Vault-Token", "root-token"}});
    std::string log = sopskit::test::read_file(*dir_ / "calls.log");
    EXPECT_NE(log.find("vault encrypt transit/logcheck 200"), std::string::npos) << log;
    EXPECT_EQ(log.find(emu::base64_encode("top-secret-plaintext")), std::string::npos);
    EXPECT_EQ(log.find("root-token"), std::string::npos);
    EXPECT_EQ(log.find("s3cret"), std::string::npos);
}

TEST_F(KmsEmulator, ImdsAndWebIdentityHandOutTemporaryCredentials) {
    auto token = client()->Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, "", "text/plain");
    ASSERT_EQ(token->status, 200);
    EXPECT_EQ(client()->Get("/latest/meta-data/iam/security-credentials/")->status, 401);
    httplib::Headers h = {{"X-aws-ec2-metadata-token", token->body}};
    auto role = client()->Get("/latest/meta-data/iam/security-credentials/", h);
    ASSERT_EQ(role->status, 200);
    auto creds = client()->Get(("/latest/meta-data/iam/security-credentials/" + role->body).c_str(), h);
    ASSERT_EQ(creds->status, 200);
    json c = json::parse(creds->body);
    EXPECT_EQ(c["Code"], "Success");
    EXPECT_EQ(c["AccessKeyId"].get<std::string>().rfind("ASIA", 0), 0u);

    auto web = client()->Post("/", "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fci"
                                   "&RoleSessionName=ci&WebIdentityToken=eyJ.fake.jwt&Version=2011-06-15",
                              "application/x-www-form-urlencoded");
    ASSERT_EQ(web->status, 200) << web->body;
    EXPECT_NE(web->body.find("<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA"), std::string::npos);
    auto unsigned_assume = client()->Post("/", "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fci&RoleSessionName=x",
                                          "application/x-www-form-urlencoded");
    EXPECT_EQ(unsigned_assume->status, 403);
    EXPECT_NE(unsigned_assume->body.find("<Code>MissingAuthenticationToken</Code>"), std::string::npos);
}

// The CLI: ready file, certificate file, --fail-next, clean exit on SIGTERM.
TEST(KmsEmulatorCli, ServesUntilSigtermWithInjectedFaults) {
    fs::path dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "state.json", R"({"vault":{"tokens":{"t":{}}}})");
    std::string cmd = "'" + sopskit::test::cli_path() + "' kms-emulator --state '" + (dir / "state.json").string() + "' --ready-file '" +
                      (dir / "ready").string() + "' --cert-out '" + (dir / "ca.pem").string() + "' --log '" + (dir / "log").string() +
                      "' --fail-next vault:503:1 > '" + (dir / "out").string() + "' 2>&1 & echo $!";
    auto started = sopskit::test::run(cmd);
    ASSERT_EQ(started.exit_code, 0);
    std::string pid = started.out.substr(0, started.out.find('\n'));
    for (int i = 0; i < 200 && !fs::exists(dir / "ready"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(fs::exists(dir / "ready"));
    std::string url = sopskit::test::read_file(dir / "ready");
    EXPECT_EQ(url.rfind("https://127.0.0.1:", 0), 0u);
    int port = std::stoi(url.substr(18));
    httplib::SSLClient c("localhost", port);
    c.set_ca_cert_path((dir / "ca.pem").c_str());
    c.enable_server_certificate_verification(true);
    std::string body = json{{"plaintext", "AAAA"}}.dump();
    auto first = c.Post("/v1/transit/encrypt/k", {{"X-Vault-Token", "t"}}, body, "application/json");
    ASSERT_TRUE(first) << httplib::to_string(first.error());
    EXPECT_EQ(first->status, 503);
    EXPECT_EQ(c.Post("/v1/transit/encrypt/k", {{"X-Vault-Token", "t"}}, body, "application/json")->status, 200);
    EXPECT_EQ(sopskit::test::run("kill -TERM " + pid + " && for i in $(seq 50); do kill -0 " + pid +
                                 " 2>/dev/null || exit 0; sleep 0.1; done; exit 1").exit_code, 0);
    EXPECT_FALSE(fs::exists(dir / "ready"));
    std::string out = sopskit::test::read_file(dir / "out");
    EXPECT_NE(out.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_NE(out.find(url.substr(0, url.size() - 1)), std::string::npos);
    EXPECT_NE(sopskit::test::read_file(dir / "log").find("vault POST /v1/transit/encrypt/k 503 injected"), std::string::npos)
        << sopskit::test::read_file(dir / "log");
}
