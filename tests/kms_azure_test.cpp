// Azure Key Vault key source: challenge authentication, client-secret and certificate tokens,
// RSA-OAEP-256 encrypt/decrypt against an in-process HTTPS stub, the stored enc encoding.
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <map>
#include <mutex>

#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "kms_stub.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"

using namespace sopskit;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string rsa_oaep256(const std::string& pem, const std::string& in, bool encrypt) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    std::string out;
    bool ok = ctx && (encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1;
    std::size_t len = 0;
    auto run = [&](unsigned char* o, std::size_t* l) {
        auto* i = reinterpret_cast<const unsigned char*>(in.data());
        return encrypt ? EVP_PKEY_encrypt(ctx, o, l, i, in.size()) : EVP_PKEY_decrypt(ctx, o, l, i, in.size());
    };
    if (ok && run(nullptr, &len) == 1) {
        out.resize(len);
        if (run(reinterpret_cast<unsigned char*>(out.data()), &len) == 1) out.resize(len);
        else out.clear();
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return out;
}

struct FakeAzure {
    fs::path dir = sopskit::test::make_temp_dir();
    std::unique_ptr<sopskit::test::StubServer> server;
    std::mutex mu;
    std::string rsa_pem;
    std::vector<std::string> token_forms, vault_calls;
    std::string tenant = "tenant-123";
    int issued = 0;
    bool ok = false;

    FakeAzure() {
        auto r = sopskit::test::run("cd " + dir.string() +
                                    " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kv.vault.test"
                                    " -addext subjectAltName=DNS:kv.vault.test,DNS:login.test -keyout key.pem -out cert.pem 2>&1"
                                    " && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>&1");
        if (r.exit_code != 0) return;
        ok = true;
        rsa_pem = sopskit::test::read_file(dir / "rsa.pem");
        server = std::make_unique<sopskit::test::StubServer>((dir / "cert.pem").string(), (dir / "key.pem").string());
        server->srv().Post(R"(/([^/]+)/oauth2/v2.0/token)", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            token_forms.push_back(std::string(req.matches[1]) + " " + req.body);
            bool secret_ok = req.get_param_value("client_secret") == "s3cret";
            bool cert_ok = req.get_param_value("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
                           !req.get_param_value("client_assertion").empty();
            if (req.matches[1] != tenant || req.get_param_value("grant_type") != "client_credentials" ||
                req.get_param_value("scope") != "https://vault.test/.default" || !(secret_ok || cert_ok)) {
                res.status = 401;
                res.set_content(R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})",
                                "application/json");
                return;
            }
            ++issued;
            res.set_content(R"({"token_type":"Bearer","expires_in":3599,"access_token":"aad-token"})", "application/json");
        });
        auto vault = [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            vault_calls.push_back(req.method + " " + req.path + "?" + req.get_param_value("api-version") + " auth=" +
                                  (req.has_header("Authorization") ? "yes" : "no") + " body=" + (req.body.empty() ? "no" : "yes"));
            if (req.get_header_value("Authorization") != "Bearer aad-token") {
                res.status = 401;
                res.set_header("WWW-Authenticate", "Bearer authorization=\"https://login.test/" + tenant + "\", resource=\"https://vault.test\"");
                res.set_content(R"({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}})",
                                "application/json");
                return;
            }
            std::string name = req.matches[1];
            if (name != "sops-key") {
                res.status = 404;
                res.set_content(R"({"error":{"code":"KeyNotFound","message":"A key with (name/id) )" + name + R"( was not found in this key vault."}})",
                                "application/json");
                return;
            }
            if (req.method == "GET") {
                res.set_content(R"({"key":{"kid":"https://kv.vault.test/keys/sops-key/0123456789abcdef","kty":"RSA"}})", "application/json");
                return;
            }
            json body = json::parse(req.body);
            std::string op = req.matches[3];
            if (body["alg"] != "RSA-OAEP-256") {
                res.status = 400;
                res.set_content(R"({"error":{"code":"BadParameter","message":"bad alg"}})", "application/json");
                return;
            }
            std::string in = *kms::b64url_decode(body["value"].get<std::string>());
            std::string out = rsa_oaep256(rsa_pem, in, op == "encrypt");
            if (out.empty()) {
                res.status = 400;
                res.set_content(R"({"error":{"code":"BadParameter","message":"decryption failed"}})", "application/json");
                return;
            }
            res.set_content(json{{"kid", "https://kv.vault.test/keys/sops-key/" + std::string(req.matches[2])},
                                 {"value", kms::b64url_encode(out)}}.dump(),
                            "application/json");
        };
        server->srv().Post(R"(/keys/([^/]+)/([^/]+)/(encrypt|decrypt))", vault);
        server->srv().Get(R"(/keys/([^/]+)/)", vault);
        server->start();
    }

    std::string vault_url() const { return "https://kv.vault.test:" + std::to_string(server->port()); }
    std::map<std::string, std::string> env() const {
        std::string port = std::to_string(server->port());
        return {{"SSL_CERT_FILE", (dir / "cert.pem").string()},
                {"SOPSKIT_KMS_RESOLVE", "kv.vault.test:" + port + ":127.0.0.1,login.test:" + port + ":127.0.0.1"},
                {"AZURE_AUTHORITY_HOST", "https://login.test:" + port + "/"},
                {"AZURE_TENANT_ID", tenant},
                {"AZURE_CLIENT_ID", "client-1"},
                {"AZURE_CLIENT_SECRET", "s3cret"}};
    }
};

SecureBytes data_key() {
    std::string k(32, '\0');
    for (int i = 0; i < 32; ++i) k[i] = static_cast<char>(7 * i);
    return SecureBytes::from(k);
}

using sopskit::test::env_of;

}  // namespace

TEST(kmsAzure, KeyUrlsAndChallenges) {
    auto k = kms::azure::parse_key_url("https://v.vault.azure.net/keys/sops/abc");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->vault_url, "https://v.vault.azure.net");
    EXPECT_EQ(k->name, "sops");
    EXPECT_EQ(k->version, "abc");
    EXPECT_EQ(kms::azure::parse_key_url("https://v.vault.azure.net/keys/sops")->version, "");
    EXPECT_FALSE(kms::azure::parse_key_url("http://v.vault.azure.net/keys/sops/abc"));
    auto ch = kms::azure::parse_challenge(
        R"(Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1", resource="https://vault.azure.net")");
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->tenant, "72f988bf-86f1");
    EXPECT_EQ(ch->scope, "https://vault.azure.net/.default");
    EXPECT_TRUE(kms::azure::host_matches_resource("v.vault.azure.net", ch->resource_host));
    EXPECT_FALSE(kms::azure::host_matches_resource("evil-vault.azure.net.attacker", ch->resource_host));
    EXPECT_FALSE(kms::azure::host_matches_resource("xvault.azure.net", ch->resource_host));
    auto scoped = kms::azure::parse_challenge(R"(Bearer authorization="https://login/t", scope="https://vault.azure.net/.default")");
    ASSERT_TRUE(scoped);
    EXPECT_EQ(scoped->scope, "https://vault.azure.net/.default");
    EXPECT_FALSE(kms::azure::parse_challenge("Basic realm=x"));
}

TEST(kmsAzure, ChallengeThenClientSecretThenRsaOaep256) {
    FakeAzure fake;
    if (!fake.ok) GTEST_SKIP() << "openssl cannot make test keys";
    kms::KmsSettings s;
    s.env = env_of(fake.env());
    auto src = kms::make_azure_kv_source(s);
    StoredKey k = src->wrap(kms::azure_kv_recipients(fake.vault_url() + "/keys/sops-key/v1")[0], data_key());
    EXPECT_EQ(k.kind, "azure_kv");
    EXPECT_EQ(k.field("vault_url"), fake.vault_url());
    EXPECT_EQ(k.field("name"), "sops-key");
    EXPECT_EQ(k.field("version"), "v1");
    std::string enc = k.field("enc");
    EXPECT_EQ(enc.size(), 342u);  // 256 bytes, base64url without padding
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(rsa_oaep256(fake.rsa_pem, *kms::b64url_decode(enc), false), std::string(data_key().view()));
    ASSERT_EQ(fake.vault_calls.size(), 2u);
    EXPECT_EQ(fake.vault_calls[0], "POST /keys/sops-key/v1/encrypt?7.4 auth=no body=no");  // the challenge probe
    EXPECT_EQ(fake.vault_calls[1], "POST /keys/sops-key/v1/encrypt?7.4 auth=yes body=yes");
    ASSERT_EQ(fake.token_forms.size(), 1u);
    EXPECT_NE(fake.token_forms[0].find("tenant-123 client_id=client-1&client_secret=s3cret&grant_type=client_credentials&scope=https%3A%2F%2Fvault.test%2F.default"),
              std::string::npos) << fake.token_forms[0];

    auto out = src->unwrap(k);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_TRUE(out.data_key.equals(data_key()));
    EXPECT_EQ(fake.issued, 1);  // token and challenge reused
    EXPECT_EQ(src->describe(k), fake.vault_url() + "/keys/sops-key/v1");

    // Unknown key: one line with the status, Key Vault's code and message.
    StoredKey missing = k;
    missing.set_field("name", Value::string("gone"));
    auto bad = src->unwrap(missing);
    ASSERT_EQ(bad.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(bad.reason.find("/keys/gone/v1': HTTP 404 KeyNotFound: A key with"), std::string::npos) << bad.reason;
}

TEST(kmsAzure, VersionlessKeyIsResolvedAndDomainCheckHolds) {
    FakeAzure fake;
    if (!fake.ok) GTEST_SKIP();
    kms::KmsSettings s;
    s.env = env_of(fake.env());
    auto src = kms::make_azure_kv_source(s);
    // .sops.yaml key_groups form: vaultUrl/key/version params, version left empty.
    Value params = Value::empty_map();
    params.map.push_back(Item{Value::string("vaultUrl"), Value::string(fake.vault_url())});
    params.map.push_back(Item{Value::string("key"), Value::string("sops-key")});
    params.map.push_back(Item{Value::string("version"), Value::string("")});
    StoredKey k = src->wrap(Recipient{"azure_kv", fake.vault_url(), params}, data_key());
    EXPECT_EQ(k.field("version"), "0123456789abcdef");
    EXPECT_EQ(fake.vault_calls.at(0).substr(0, 21), "GET /keys/sops-key/?7");

    // A vault whose host is not under the challenge's resource is refused before any token.
    auto env = fake.env();
    std::string port = std::to_string(fake.server->port());
    env["SOPSKIT_KMS_RESOLVE"] += ",login.test:" + port + ":127.0.0.1";
    StoredKey other = k;
    other.set_field("vault_url", Value::string("https://login.test:" + port));
    s.env = env_of(env);
    int before = fake.issued;
    auto out = kms::make_azure_kv_source(s)->unwrap(other);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(out.reason.find("does not match the vault host"), std::string::npos) << out.reason;
    EXPECT_EQ(fake.issued, before);
    // http:// vault URLs are refused.
    EXPECT_THROW(src->wrap(kms::azure_kv_recipients("http://kv.vault.test/keys/sops-key/v1")[0], data_key()), Error);
}

TEST(kmsAzure, CertificateCredentialAndFluxShapes) {
    FakeAzure fake;
    if (!fake.ok) GTEST_SKIP();
    std::string pem = sopskit::test::read_file(fake.dir / "cert.pem") + sopskit::test::read_file(fake.dir / "key.pem");
    sopskit::test::write_file(fake.dir / "client.pem", pem);
    auto env = fake.env();
    env.erase("AZURE_CLIENT_SECRET");
    env["AZURE_CLIENT_CERTIFICATE_PATH"] = (fake.dir / "client.pem").string();
    kms::KmsSettings s;
    s.env = env_of(env);
    kms::make_azure_kv_source(s)->wrap(kms::azure_kv_recipients(fake.vault_url() + "/keys/sops-key/v1")[0], data_key());
    ASSERT_EQ(fake.token_forms.size(), 1u);
    EXPECT_NE(fake.token_forms[0].find("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ey"),
              std::string::npos) << fake.token_forms[0];
    std::string assertion = fake.token_forms[0].substr(fake.token_forms[0].find("client_assertion=") + 17);
    assertion = assertion.substr(0, assertion.find('&'));
    json header = json::parse(*kms::b64url_decode(assertion.substr(0, assertion.find('.'))));
    EXPECT_EQ(header["alg"], "RS256");
    EXPECT_TRUE(header.contains("x5t"));

    // Flux's sops.azure-kv (az CLI shape), isolated from the environment's secret.
    auto flux = kms::settings_from_flux_entries(std::nullopt, std::nullopt,
                                                std::string("tenant: tenant-123\nappId: client-1\npassword: wrong\n"), std::nullopt);
    auto tenant_env = fake.env();
    tenant_env["SOPSKIT_AZURE_KEYVAULT_DOMAINS"] = "vault.test";  // the stub's vault is no Azure domain
    flux.env = env_of(tenant_env);
    try {
        kms::make_azure_kv_source(flux)->wrap(kms::azure_kv_recipients(fake.vault_url() + "/keys/sops-key/v1")[0], data_key());
        FAIL() << "a wrong client secret must not fall back to the environment";
    } catch (const Error& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("HTTP 401 invalid_client: AADSTS7000215"), std::string::npos) << m;
        EXPECT_EQ(m.find("wrong"), std::string::npos) << m;
    }
    EXPECT_NE(fake.token_forms.back().find("client_secret=wrong"), std::string::npos);
    EXPECT_THROW(kms::settings_from_flux_entries(std::nullopt, std::nullopt, std::string("foo: bar\n"), std::nullopt), Error);
    auto mi = kms::settings_from_flux_entries(std::nullopt, std::nullopt, std::string("{\"clientId\": \"abc\"}"), std::nullopt);
    ASSERT_TRUE(mi.azure);
    EXPECT_EQ(mi.azure->client_id, "abc");
    EXPECT_TRUE(mi.azure->tenant_id.empty());
}
