// Vault/OpenBao transit key source against an in-process transit stub.
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>

#include "common/codec.hpp"
#include "kms_stub.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "vault/vault.hpp"

using namespace sopskit;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct FakeVault {
    sopskit::test::StubServer server;
    std::mutex mu;
    std::vector<std::string> methods, namespaces, paths;
    std::string token = "s.root";
    int unavailable = 0;

    FakeVault() {
        auto handler = [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            methods.push_back(req.method);
            paths.push_back(req.path);
            namespaces.push_back(req.get_header_value("X-Vault-Namespace"));
            if (unavailable > 0) {
                --unavailable;
                res.status = 503;
                res.set_content(R"({"errors":["Vault is sealed"]})", "application/json");
                return;
            }
            if (req.get_header_value("X-Vault-Token") != token) {
                res.status = 403;
                res.set_content(R"({"errors":["permission denied"]})", "application/json");
                return;
            }
            json body = json::parse(req.body);
            std::string op = req.matches[2];
            if (op == "encrypt") {
                std::string pt = body["plaintext"];
                res.set_content(json{{"data", {{"ciphertext", "vault:v1:" + pt}, {"key_version", 1}}}}.dump(), "application/json");
            } else {
                std::string ct = body["ciphertext"];
                if (ct.rfind("vault:v1:", 0) != 0) {
                    res.status = 400;
                    res.set_content(R"({"errors":["invalid ciphertext: no prefix"]})", "application/json");
                    return;
                }
                res.set_content(json{{"data", {{"plaintext", ct.substr(9)}}}}.dump(), "application/json");
            }
        };
        server.srv().Put(R"(/v1/(.+)/(encrypt|decrypt)/([^/]+))", handler);
        server.srv().Post(R"(/v1/(.+)/(encrypt|decrypt)/([^/]+))", handler);
        server.start();
    }
};

SecureBytes data_key() {
    std::string k(32, '\0');
    for (int i = 0; i < 32; ++i) k[i] = static_cast<char>(0xA0 + i);
    return SecureBytes::from(k);
}

using sopskit::test::env_of;

}  // namespace

TEST(kmsVault, KeyUriParsing) {
    auto k = kms::vault::parse_key_uri("https://vault.example.com:8200/v1/ns1/transit/keys/sops");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->address, "https://vault.example.com:8200");
    EXPECT_EQ(k->engine_path, "ns1/transit");
    EXPECT_EQ(k->key_name, "sops");
    EXPECT_FALSE(kms::vault::parse_key_uri("https://vault/prefix/v1/transit/keys/x").has_value() &&
                 kms::vault::parse_key_uri("https://vault/prefix/v1/transit/keys/x")->address == "https://vault/prefix");
    EXPECT_FALSE(kms::vault::parse_key_uri("vault.example.com/v1/transit/keys/x"));
    EXPECT_FALSE(kms::vault::parse_key_uri("https://vault/v1/transit/encrypt/x"));
}

TEST(kmsVault, AllowList) {
    EXPECT_TRUE(kms::vault::address_allowed("", "https://a:8200"));
    EXPECT_FALSE(kms::vault::address_allowed("none", "https://a:8200"));
    EXPECT_TRUE(kms::vault::address_allowed("https://b, https://a:8200", "https://a:8200"));
    EXPECT_FALSE(kms::vault::address_allowed("https://a:82", "https://a:8200"));
}

TEST(kmsVault, EncryptDecryptRoundTripWithTokenAndNamespace) {
    FakeVault fake;
    kms::KmsSettings s;
    s.env = env_of({{"VAULT_TOKEN", "s.root"}, {"VAULT_NAMESPACE", "team-a"}});
    s.home = "/nonexistent";
    auto src = kms::make_vault_transit_source(s);
    const std::string uri = fake.server.url() + "/v1/transit/keys/sops";
    StoredKey k = src->wrap(kms::vault_recipients(uri)[0], data_key());
    EXPECT_EQ(k.kind, "hc_vault");
    EXPECT_EQ(k.field("vault_address"), fake.server.url());
    EXPECT_EQ(k.field("engine_path"), "transit");
    EXPECT_EQ(k.field("key_name"), "sops");
    EXPECT_EQ(k.field("enc"), "vault:v1:" + kms::b64_encode(data_key().view()));  // sops sends base64(data key)
    EXPECT_FALSE(k.field("created_at").empty());
    EXPECT_EQ(fake.methods.at(0), "PUT");
    EXPECT_EQ(fake.paths.at(0), "/v1/transit/encrypt/sops");
    EXPECT_EQ(fake.namespaces.at(0), "team-a");
    EXPECT_EQ(src->describe(k), uri);
    EXPECT_EQ(src->recipient_of(k).id, uri);
    auto out = src->unwrap(k);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_TRUE(out.data_key.equals(data_key()));
    EXPECT_EQ(fake.paths.at(1), "/v1/transit/decrypt/sops");
}

TEST(kmsVault, TokenFileAndErrorsAndRetries) {
    FakeVault fake;
    fs::path home = sopskit::test::make_temp_dir();
    sopskit::test::write_file(home / ".vault-token", "s.root\n");
    kms::KmsSettings s;
    s.env = env_of({{"SOPSKIT_KMS_RETRY_BASE_MS", "1"}});
    s.home = home.string();
    auto src = kms::make_vault_transit_source(s);
    const std::string uri = fake.server.url() + "/v1/transit/keys/sops";
    fake.unavailable = 1;  // one 503 is retried
    StoredKey k = src->wrap(kms::vault_recipients(uri)[0], data_key());
    EXPECT_EQ(fake.methods.size(), 2u);

    // A bad ciphertext: one line naming the key and the status and Vault's message.
    StoredKey bad = k;
    bad.set_field("enc", Value::string("garbage"));
    auto out = src->unwrap(bad);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(out.reason.find(uri), std::string::npos) << out.reason;
    EXPECT_NE(out.reason.find("HTTP 400: invalid ciphertext: no prefix"), std::string::npos) << out.reason;

    // Wrong token (Flux's sops.vault-token wins over the environment and files).
    auto flux = kms::settings_from_flux_entries(std::nullopt, std::nullopt, std::nullopt, std::string("wrong\n"), fake.server.url());
    flux.env = env_of({{"VAULT_TOKEN", "s.root"}});
    auto tenant = kms::make_vault_transit_source(flux);
    auto denied = tenant->unwrap(k);
    ASSERT_EQ(denied.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(denied.reason.find("HTTP 403: permission denied"), std::string::npos) << denied.reason;
    EXPECT_EQ(denied.reason.find("wrong"), std::string::npos);

    // Isolated without a token: never reads VAULT_TOKEN.
    auto none = kms::settings_from_flux_entries(std::nullopt, std::nullopt, std::nullopt, std::nullopt, fake.server.url());
    none.env = env_of({{"VAULT_TOKEN", "s.root"}});
    auto out2 = kms::make_vault_transit_source(none)->unwrap(k);
    EXPECT_EQ(out2.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(out2.reason.find("no Vault token"), std::string::npos);

    // The allow-list refuses before any request.
    kms::KmsSettings locked;
    locked.env = env_of({{"VAULT_TOKEN", "s.root"}, {"SOPS_HC_VAULT_ALLOWLIST", "https://elsewhere"}});
    std::size_t before = fake.methods.size();
    EXPECT_EQ(kms::make_vault_transit_source(locked)->unwrap(k).status, UnwrapOutcome::Status::Failed);
    EXPECT_EQ(fake.methods.size(), before);
}

TEST(kmsHttp, TlsIsVerifiedAndCaFileIsHonoured) {
    fs::path dir = sopskit::test::make_temp_dir();
    if (!sopskit::test::make_self_signed_cert(dir)) GTEST_SKIP() << "openssl cannot make a test certificate";
    sopskit::test::StubServer server((dir / "cert.pem").string(), (dir / "key.pem").string());
    server.srv().Put(R"(/v1/transit/encrypt/k)", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"data":{"ciphertext":"vault:v1:abc"}})", "application/json");
    });
    server.start();
    const std::string uri = server.url("https") + "/v1/transit/keys/k";
    // Not trusted: fails (TLS verification is on).
    kms::KmsSettings s;
    s.env = env_of({{"VAULT_TOKEN", "t"}, {"SSL_CERT_FILE", "/nonexistent-ca.pem"}});
    EXPECT_THROW(kms::make_vault_transit_source(s)->wrap(kms::vault_recipients(uri)[0], data_key()), Error);
    // Trusted through SSL_CERT_FILE, and through VAULT_CACERT.
    s.env = env_of({{"VAULT_TOKEN", "t"}, {"SSL_CERT_FILE", (dir / "cert.pem").string()}});
    EXPECT_EQ(kms::make_vault_transit_source(s)->wrap(kms::vault_recipients(uri)[0], data_key()).field("enc"), "vault:v1:abc");
    s.env = env_of({{"VAULT_TOKEN", "t"}, {"VAULT_CACERT", (dir / "cert.pem").string()}});
    EXPECT_EQ(kms::make_vault_transit_source(s)->wrap(kms::vault_recipients(uri)[0], data_key()).field("enc"), "vault:v1:abc");
}
