// The four cloud KMS providers end to end: the sopskit CLI (a separate process, as a user runs it)
// encrypts and decrypts through `sopskit kms-emulator` over verified HTTPS, with each service's
// real authentication (SigV4, OAuth refresh grant, Azure challenge + client secret, Vault token).
// Also: a KMS key beside an age key, the failure cases, and a Flux decryption Secret's entries.
#include <filesystem>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "sopskit/kms/emulator.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
using nlohmann::json;
using sopskit::test::RunResult;

namespace {

const char* kAwsKeyId = "AKIDSOPSKITE2E00001";
const char* kAwsSecret = "e2e/aws/secret/key/000000000000000000000";
const char* kArn = "arn:aws:kms:us-east-1:111122223333:key/0e2e0e2e-1111-2222-3333-444455556666";
const char* kGcpKey = "projects/p/locations/global/keyRings/r/cryptoKeys/sops";
const char* kGcpRefreshToken = "e2e-refresh-token";
const char* kAzureTenant = "e2e-tenant";
const char* kAzureClient = "e2e-client";
const char* kAzureSecret = "e2e-azure-secret";
const char* kVaultToken = "hvs.e2e-token";
const char* kVaultHost = "kv.vault.azure.net";  // pinned to 127.0.0.1 with SOPSKIT_KMS_RESOLVE
const char* kPlain = "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\nstringData:\n    password: correct-horse-battery\n";

// The credentials file with Google's own token endpoint (a decryption Secret's may name no other).
std::string google_token_uri(const std::string& credentials) {
    json j = json::parse(credentials);
    j["token_uri"] = "https://oauth2.googleapis.com/token";
    return j.dump();
}

class KmsEndToEnd : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(sopskit::test::make_temp_dir());
        json state = {{"token_ttl_seconds", 3600},
                      {"aws", {{"credentials", {{kAwsKeyId, kAwsSecret}}}}},
                      {"gcp", {{"refresh_tokens", {{kGcpRefreshToken, {{"client_id", "gcp-client"}, {"client_secret", "gcp-secret"}}}}}}},
                      {"azure", {{"clients", {{kAzureClient, {{"tenant", kAzureTenant}, {"secret", kAzureSecret}}}}}}},
                      {"vault", {{"tokens", {{kVaultToken, {{"namespace", ""}}}}}}}};
        sopskit::test::write_file(*dir_ / "state.json", state.dump());
        emu::Options o;
        o.state_path = (*dir_ / "state.json").string();
        o.log_path = (*dir_ / "calls.log").string();
        o.extra_names = {kVaultHost, "oauth2.googleapis.com"};
        server_ = new emu::Emulator(o);
        server_->start();
        sopskit::test::write_file(*dir_ / "ca.pem", server_->cert_pem());
        sopskit::test::write_file(*dir_ / "gcp.json", json{{"type", "authorized_user"},
                                                           {"client_id", "gcp-client"},
                                                           {"client_secret", "gcp-secret"},
                                                           {"refresh_token", kGcpRefreshToken},
                                                           {"token_uri", server_->url() + "/token"}}
                                                          .dump());
        auto age = sopskit::test::run(sopskit::test::cli_path() + " keygen age --output " + (*dir_ / "age.key").string());
        ASSERT_EQ(age.exit_code, 0) << age.err;
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    static std::string url() { return server_->url(); }
    static std::string azure_key() { return "https://" + std::string(kVaultHost) + ":" + std::to_string(server_->port()) + "/keys/sops-key"; }
    static std::string vault_key() { return url() + "/v1/transit/keys/sops"; }

    // Where each service lives and which CA to trust: no credentials, nothing from the caller.
    static std::string transport_env() {
        std::string ca = (*dir_ / "ca.pem").string();
        return "env -i PATH=/usr/bin:/bin HOME=" + dir_->string() + " AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_KMS=" + url() +
               " AWS_ENDPOINT_URL_STS=" + url() + " AWS_CA_BUNDLE=" + ca + " SSL_CERT_FILE=" + ca + " VAULT_CACERT=" + ca +
               " SOPS_GCP_KMS_ENDPOINT=" + url() + " AZURE_AUTHORITY_HOST=" + url() + " SOPSKIT_KMS_RESOLVE=" + kVaultHost + ":" +
               std::to_string(server_->port()) + ":127.0.0.1,oauth2.googleapis.com:443:127.0.0.1:" + std::to_string(server_->port()) +
               " SOPSKIT_KMS_RETRY_BASE_MS=5 SOPSKIT_KMS_TIMEOUT_S=10 ";
    }
    static std::string credentials_env() {
        return std::string("AWS_ACCESS_KEY_ID=") + kAwsKeyId + " AWS_SECRET_ACCESS_KEY=" + kAwsSecret +
               " GOOGLE_APPLICATION_CREDENTIALS=" + (*dir_ / "gcp.json").string() + " AZURE_TENANT_ID=" + kAzureTenant +
               " AZURE_CLIENT_ID=" + kAzureClient + " AZURE_CLIENT_SECRET=" + kAzureSecret + " VAULT_TOKEN=" + kVaultToken + " ";
    }
    static RunResult cli(const std::string& args, const std::string& extra_env = "", bool with_credentials = true) {
        return sopskit::test::run(transport_env() + (with_credentials ? credentials_env() : "") + extra_env + " " +
                                  sopskit::test::cli_path() + " " + args);
    }
    // Writes the plaintext Secret and returns its encryption with `flags`.
    static std::string encrypt(const std::string& name, const std::string& flags) {
        fs::path p = *dir_ / (name + ".yaml");
        sopskit::test::write_file(p, kPlain);
        auto r = cli("encrypt --encrypted-regex '^(data|stringData)$' " + flags + " " + p.string());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out.find("correct-horse-battery"), std::string::npos);
        sopskit::test::write_file(*dir_ / (name + ".enc.yaml"), r.out);
        return r.out;
    }
    static std::string enc_path(const std::string& name) { return (*dir_ / (name + ".enc.yaml")).string(); }

    void control(const std::string& what, const json& body) {
        httplib::SSLClient c("127.0.0.1", server_->port());
        c.set_ca_cert_path((*dir_ / "ca.pem").c_str());
        auto r = c.Post(("/_emulator/" + what).c_str(), body.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
    }
    static std::string log() { return sopskit::test::read_file(*dir_ / "calls.log"); }
    static std::size_t count(const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    }

    static fs::path* dir_;
    static emu::Emulator* server_;
};

fs::path* KmsEndToEnd::dir_ = nullptr;
emu::Emulator* KmsEndToEnd::server_ = nullptr;

}  // namespace

TEST_F(KmsEndToEnd, AwsKmsWithEncryptionContext) {
    std::string out = encrypt("aws", std::string("--kms ") + kArn + " --encryption-context app:flux,tenant:a");
    EXPECT_NE(out.find(std::string("    kms:\n        - arn: ") + kArn + "\n          aws_profile: \"\"\n          context:\n            app: flux\n"
                                                                         "            tenant: a\n          created_at: "),
              std::string::npos) << out;
    auto dec = cli("decrypt " + enc_path("aws"));
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
    EXPECT_NE(log().find("aws Encrypt " + std::string(kArn) + " 200"), std::string::npos) << log();
}

TEST_F(KmsEndToEnd, GcpKmsWithRefreshTokenCredentials) {
    std::string out = encrypt("gcp", std::string("--gcp-kms ") + kGcpKey);
    // Entries are written with their fields sorted, as sops does.
    EXPECT_NE(out.find("    gcp_kms:\n        - created_at: "), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("\n          resource_id: ") + kGcpKey + "\n"), std::string::npos) << out;
    auto dec = cli("decrypt " + enc_path("gcp"));
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
}

TEST_F(KmsEndToEnd, AzureKeyVaultWithChallengeAndClientSecret) {
    std::string out = encrypt("azure", "--azure-kv " + azure_key());
    EXPECT_NE(out.find("\n          name: sops-key\n          vault_url: https://" + std::string(kVaultHost) + ":" +
                       std::to_string(server_->port()) + "\n          version: "),
              std::string::npos) << out;
    auto dec = cli("decrypt " + enc_path("azure"));
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
    // The first call to the vault is the unauthenticated one that learns the tenant.
    EXPECT_NE(log().find("azure-token"), std::string::npos) << log();
}

TEST_F(KmsEndToEnd, VaultTransit) {
    std::string out = encrypt("vault", "--hc-vault-transit " + vault_key());
    EXPECT_NE(out.find("          engine_path: transit\n          key_name: sops\n          vault_address: " + url() + "\n"), std::string::npos) << out;
    EXPECT_NE(out.find("          enc: vault:v1:"), std::string::npos) << out;
    auto dec = cli("decrypt " + enc_path("vault"));
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
}

TEST_F(KmsEndToEnd, KmsAndAgeKeyEachOpenTheFile) {
    std::string recipient = sopskit::test::run("grep -o 'age1[0-9a-z]*' " + (*dir_ / "age.key").string()).out;
    recipient.erase(recipient.find_last_not_of('\n') + 1);
    encrypt("both", std::string("--kms ") + kArn + " --age " + recipient);
    // age alone: no cloud credentials at all.
    auto by_age = cli("decrypt " + enc_path("both"), "SOPS_AGE_KEY_FILE=" + (*dir_ / "age.key").string(), false);
    ASSERT_EQ(by_age.exit_code, 0) << by_age.err;
    EXPECT_EQ(by_age.out, kPlain);
    // KMS alone: no age key.
    auto by_kms = cli("decrypt " + enc_path("both"), "SOPS_AGE_KEY_FILE=/nonexistent");
    ASSERT_EQ(by_kms.exit_code, 0) << by_kms.err;
    EXPECT_EQ(by_kms.out, kPlain);
}

TEST_F(KmsEndToEnd, ThrottlingIsRetriedUntilTheServiceAnswers) {
    encrypt("throttle", std::string("--kms ") + kArn + " --hc-vault-transit " + vault_key());
    control("faults", {{"service", "aws"}, {"status", 429}, {"count", 2}});
    auto dec = cli("decrypt --decryption-order kms " + enc_path("throttle"), "", true);
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
    EXPECT_EQ(count(log(), "aws TrentService.Decrypt / 400 injected"), 2u) << log();  // AWS throttles with 400 ThrottlingException
    control("faults", {{"service", "vault"}, {"status", 503}, {"count", 1}});
    auto vault_only = cli("decrypt " + enc_path("throttle"), std::string("VAULT_TOKEN=") + kVaultToken, false);
    ASSERT_EQ(vault_only.exit_code, 0) << vault_only.err;
}

TEST_F(KmsEndToEnd, DeniedKeyExpiredTokenWrongRegionAndUnreachableEndpoint) {
    std::string enc = encrypt("failures", std::string("--kms ") + kArn);

    control("deny", {{"service", "aws"}, {"key", kArn}});
    auto denied = cli("decrypt " + enc_path("failures"));
    control("deny", {{"service", "aws"}, {"key", kArn}, {"denied", false}});
    EXPECT_EQ(denied.exit_code, 128) << denied.err;
    EXPECT_NE(denied.err.find(kArn), std::string::npos) << denied.err;
    EXPECT_NE(denied.err.find("AccessDeniedException"), std::string::npos) << denied.err;

    // Temporary credentials from the instance metadata service, expired before use.
    httplib::SSLClient c("127.0.0.1", server_->port());
    c.set_ca_cert_path((*dir_ / "ca.pem").c_str());
    auto token = c.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, "", "text/plain");
    ASSERT_TRUE(token);
    httplib::Headers h = {{"X-aws-ec2-metadata-token", token->body}};
    auto role = c.Get("/latest/meta-data/iam/security-credentials/", h);
    ASSERT_TRUE(role);
    json temp = json::parse(c.Get(("/latest/meta-data/iam/security-credentials/" + role->body).c_str(), h)->body);
    control("expire-tokens", json::object());
    auto expired = cli("decrypt " + enc_path("failures"),
                           "AWS_ACCESS_KEY_ID=" + temp["AccessKeyId"].get<std::string>() + " AWS_SECRET_ACCESS_KEY=" +
                               temp["SecretAccessKey"].get<std::string>() + " AWS_SESSION_TOKEN=" + temp["Token"].get<std::string>(),
                           false);
    EXPECT_EQ(expired.exit_code, 128) << expired.err;
    EXPECT_NE(expired.err.find("ExpiredToken"), std::string::npos) << expired.err;
    EXPECT_EQ(expired.err.find(temp["SecretAccessKey"].get<std::string>()), std::string::npos);

    // The file names a key in another region: the region (and signing scope) follow the ARN.
    std::string other_region = std::string(kArn).replace(12, 9, "eu-west-1");
    std::string moved = enc;
    moved.replace(moved.find(kArn), std::string(kArn).size(), other_region);
    sopskit::test::write_file(*dir_ / "moved.enc.yaml", moved);
    auto wrong_region = cli("decrypt " + (*dir_ / "moved.enc.yaml").string());
    EXPECT_EQ(wrong_region.exit_code, 128) << wrong_region.err;
    EXPECT_NE(wrong_region.err.find(other_region), std::string::npos) << wrong_region.err;
    EXPECT_NE(wrong_region.err.find("HTTP 400"), std::string::npos) << wrong_region.err;

    auto unreachable = cli("decrypt " + enc_path("failures"), "AWS_ENDPOINT_URL_KMS=https://127.0.0.1:9");
    EXPECT_EQ(unreachable.exit_code, 128) << unreachable.err;
    EXPECT_NE(unreachable.err.find(kArn), std::string::npos) << unreachable.err;
    EXPECT_NE(unreachable.err.find("Couldn't connect to server"), std::string::npos) << unreachable.err;

    // None of it touched the file, and none of the errors carries a secret.
    EXPECT_EQ(sopskit::test::read_file(enc_path("failures")), enc);
    for (const auto* r : {&denied, &expired, &wrong_region, &unreachable}) {
        EXPECT_EQ(r->err.find(kAwsSecret), std::string::npos);
        EXPECT_EQ(r->err.find("correct-horse"), std::string::npos);
    }
}

TEST_F(KmsEndToEnd, FluxDecryptionSecretEntriesDriveTheDecryptor) {
    std::string stream = encrypt("flux-aws", std::string("--kms ") + kArn) + "---\n" + encrypt("flux-gcp", std::string("--gcp-kms ") + kGcpKey) +
                         "---\n" + encrypt("flux-azure", "--azure-kv " + azure_key()) + "---\n" +
                         encrypt("flux-vault", "--hc-vault-transit " + vault_key());
    sopskit::test::write_file(*dir_ / "stream.yaml", stream);
    json secret = {{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", "sops-keys"}, {"namespace", "tenant-a"}}},
                   {"stringData",
                    {{"sops.aws-kms", std::string("aws_access_key_id: ") + kAwsKeyId + "\naws_secret_access_key: " + kAwsSecret + "\n"},
                     {"sops.gcp-kms", google_token_uri(sopskit::test::read_file(*dir_ / "gcp.json"))},
                     {"sops.azure-kv", json{{"tenantId", kAzureTenant}, {"clientId", kAzureClient}, {"clientSecret", kAzureSecret}}.dump()},
                     {"sops.vault-token", kVaultToken},
                     {"sops.vault-allowlist", url()}}}};
    sopskit::test::write_file(*dir_ / "decryption-secret.json", secret.dump());
    // The process has no credentials of its own: everything comes from the Secret.
    auto r = cli("decrypt-manifests --decryption-secret " + (*dir_ / "decryption-secret.json").string() + " " +
                         (*dir_ / "stream.yaml").string(),
                     "", false);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count(r.out, "password: correct-horse-battery"), 4u) << r.out;
    EXPECT_EQ(r.out.find("ENC["), std::string::npos);

    // A Secret with only the Vault token opens the Vault resource and fails on the AWS one, naming it.
    json vault_only = secret;
    vault_only["stringData"] = {{"sops.vault-token", kVaultToken}, {"sops.vault-allowlist", url()}};
    sopskit::test::write_file(*dir_ / "vault-only.json", vault_only.dump());
    // Flux falls back to the controller's own identity for a provider the Secret has no
    // credential for; --no-process-identity locks that out.
    auto fallback = cli("decrypt-manifests --decryption-secret " + (*dir_ / "vault-only.json").string() + " " +
                                (*dir_ / "stream.yaml").string(),
                            credentials_env(), false);
    ASSERT_EQ(fallback.exit_code, 0) << fallback.err;  // the process's AWS, GCP and Azure credentials
    EXPECT_EQ(count(fallback.out, "password: correct-horse-battery"), 4u) << fallback.out;
    auto partial = cli("decrypt-manifests --no-process-identity --decryption-secret " + (*dir_ / "vault-only.json").string() + " " +
                               (*dir_ / "stream.yaml").string(),
                           credentials_env(), false);
    EXPECT_EQ(partial.exit_code, 128) << partial.err;
    EXPECT_NE(partial.err.find(kArn), std::string::npos) << partial.err;
    EXPECT_NE(partial.err.find("no AWS credentials were given"), std::string::npos) << partial.err;

    // A Secret's Google credentials send their grant only to Google's OAuth endpoint.
    json elsewhere = secret;
    json gcp = json::parse(sopskit::test::read_file(*dir_ / "gcp.json"));
    gcp["token_uri"] = url() + "/token";
    elsewhere["stringData"] = {{"sops.gcp-kms", gcp.dump()}};
    sopskit::test::write_file(*dir_ / "gcp-elsewhere.json", elsewhere.dump());
    sopskit::test::write_file(*dir_ / "gcp-stream.yaml", encrypt("flux-gcp-2", std::string("--gcp-kms ") + kGcpKey));
    auto refused = cli("decrypt-manifests --no-process-identity --decryption-secret " + (*dir_ / "gcp-elsewhere.json").string() + " " +
                           (*dir_ / "gcp-stream.yaml").string(),
                       "", false);
    EXPECT_EQ(refused.exit_code, 128) << refused.err;
    EXPECT_NE(refused.err.find("is not Google's OAuth endpoint"), std::string::npos) << refused.err;
}

// The sops section as sops 3.13.2 writes it for each KMS kind (stores/stores.go: each entry's
// fields come out sorted by name through goToSops; kms.aws_profile has no omitempty, role and
// context have; enc is base64 for AWS and GCP, unpadded base64url for Azure, Vault's own
// "vault:v1:" text; created_at and lastmodified are RFC 3339 UTC strings, quoted by go-yaml).
TEST_F(KmsEndToEnd, MetadataOfAwsKmsWithRoleContextAndProfile) {
    const std::string role = "arn:aws:iam::111122223333:role/sops-e2e";
    sopskit::test::write_file(*dir_ / "aws-credentials", std::string("[e2e]\naws_access_key_id = ") + kAwsKeyId +
                                                             "\naws_secret_access_key = " + kAwsSecret + "\n");
    fs::path p = *dir_ / "aws-meta.yaml";
    sopskit::test::write_file(p, kPlain);
    auto r = cli("encrypt --encrypted-regex '^(data|stringData)$' --kms '" + std::string(kArn) + "+" + role +
                     "' --encryption-context tenant:a,app:flux --aws-profile e2e " + p.string(),
                 "AWS_SHARED_CREDENTIALS_FILE=" + (*dir_ / "aws-credentials").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(sopskit::test::metadata_matches(r.out, std::string("sops:\n"
                                                                    "    encrypted_regex: ^(data|stringData)$\n"
                                                                    "    kms:\n"
                                                                    "        - arn: ") +
                                                           kArn +
                                                           "\n"
                                                           "          aws_profile: e2e\n"
                                                           "          context:\n"
                                                           "            app: flux\n"
                                                           "            tenant: a\n"
                                                           "          created_at: <time>\n"
                                                           "          enc: <base64>\n"
                                                           "          role: " +
                                                           role +
                                                           "\n"
                                                           "    lastmodified: <time>\n"
                                                           "    mac: <mac>\n"
                                                           "    version: 3.13.2\n"))
        << r.out;
}

TEST_F(KmsEndToEnd, MetadataOfAwsKmsAloneKeepsAnEmptyProfile) {
    std::string out = encrypt("aws-plain", std::string("--kms ") + kArn);
    EXPECT_TRUE(sopskit::test::metadata_matches(out, std::string("sops:\n"
                                                                 "    encrypted_regex: ^(data|stringData)$\n"
                                                                 "    kms:\n"
                                                                 "        - arn: ") +
                                                         kArn +
                                                         "\n"
                                                         "          aws_profile: \"\"\n"
                                                         "          created_at: <time>\n"
                                                         "          enc: <base64>\n"
                                                         "    lastmodified: <time>\n"
                                                         "    mac: <mac>\n"
                                                         "    version: 3.13.2\n"))
        << out;
}

TEST_F(KmsEndToEnd, MetadataOfGcpKms) {
    std::string out = encrypt("gcp-meta", std::string("--gcp-kms ") + kGcpKey);
    EXPECT_TRUE(sopskit::test::metadata_matches(out, std::string("sops:\n"
                                                                 "    encrypted_regex: ^(data|stringData)$\n"
                                                                 "    gcp_kms:\n"
                                                                 "        - created_at: <time>\n"
                                                                 "          enc: <base64>\n"
                                                                 "          resource_id: ") +
                                                         kGcpKey +
                                                         "\n"
                                                         "    lastmodified: <time>\n"
                                                         "    mac: <mac>\n"
                                                         "    version: 3.13.2\n"))
        << out;
}

TEST_F(KmsEndToEnd, MetadataOfAzureKeyVault) {
    std::string out = encrypt("azure-meta", "--azure-kv " + azure_key());
    EXPECT_TRUE(sopskit::test::metadata_matches(out, "sops:\n"
                                                     "    azure_kv:\n"
                                                     "        - created_at: <time>\n"
                                                     "          enc: <base64url>\n"
                                                     "          name: sops-key\n"
                                                     "          vault_url: https://" +
                                                         std::string(kVaultHost) + ":" + std::to_string(server_->port()) +
                                                         "\n"
                                                         "          version: <base64url>\n"
                                                         "    encrypted_regex: ^(data|stringData)$\n"
                                                         "    lastmodified: <time>\n"
                                                         "    mac: <mac>\n"
                                                         "    version: 3.13.2\n"))
        << out;
}

TEST_F(KmsEndToEnd, MetadataOfVaultTransit) {
    std::string out = encrypt("vault-meta", "--hc-vault-transit " + vault_key());
    EXPECT_TRUE(sopskit::test::metadata_matches(out, "sops:\n"
                                                     "    encrypted_regex: ^(data|stringData)$\n"
                                                     "    hc_vault:\n"
                                                     "        - created_at: <time>\n"
                                                     "          enc: vault:v1:<base64>\n"
                                                     "          engine_path: transit\n"
                                                     "          key_name: sops\n"
                                                     "          vault_address: " +
                                                         url() +
                                                         "\n"
                                                         "    lastmodified: <time>\n"
                                                         "    mac: <mac>\n"
                                                         "    version: 3.13.2\n"))
        << out;
}

// Several kinds in two key groups (a .sops.yaml creation rule): each group lists its kinds
// sorted, with "age: []" and "hc_vault: []" where it has none (keygroup has no omitempty on
// them); shamir_threshold takes its sorted place, and no rule given writes the default suffix.
TEST_F(KmsEndToEnd, MetadataOfKeyGroupsMixingKinds) {
    std::string recipient = sopskit::test::run("grep -o 'age1[0-9a-z]*' " + (*dir_ / "age.key").string()).out;
    recipient.erase(recipient.find_last_not_of('\n') + 1);
    fs::path conf = *dir_ / "groups.sops.yaml";
    sopskit::test::write_file(conf, "creation_rules:\n"
                                    "    - shamir_threshold: 2\n"
                                    "      key_groups:\n"
                                    "          - kms:\n"
                                    "                - arn: " + std::string(kArn) + "\n"
                                    "            gcp_kms:\n"
                                    "                - resource_id: " + kGcpKey + "\n"
                                    "          - hc_vault:\n"
                                    "                - " + vault_key() + "\n"
                                    "            azure_keyvault:\n"
                                    "                - vaultUrl: https://" + kVaultHost + ":" + std::to_string(server_->port()) + "\n"
                                    "                  key: sops-key\n"
                                    "                  version: \"\"\n"
                                    "            age:\n"
                                    "                - " + recipient + "\n");
    fs::path p = *dir_ / "groups.yaml";
    sopskit::test::write_file(p, kPlain);
    auto r = cli("encrypt --config " + conf.string() + " " + p.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(sopskit::test::metadata_matches(r.out, std::string("sops:\n"
                                                                    "    key_groups:\n"
                                                                    "        - age: []\n"
                                                                    "          gcp_kms:\n"
                                                                    "            - created_at: <time>\n"
                                                                    "              enc: <base64>\n"
                                                                    "              resource_id: ") +
                                                           kGcpKey +
                                                           "\n"
                                                           "          hc_vault: []\n"
                                                           "          kms:\n"
                                                           "            - arn: " +
                                                           kArn +
                                                           "\n"
                                                           "              aws_profile: \"\"\n"
                                                           "              created_at: <time>\n"
                                                           "              enc: <base64>\n"
                                                           "        - age:\n"
                                                           "            - enc: |\n"
                                                           "<armor>"
                                                           "              recipient: " +
                                                           recipient +
                                                           "\n"
                                                           "          azure_kv:\n"
                                                           "            - created_at: <time>\n"
                                                           "              enc: <base64url>\n"
                                                           "              name: sops-key\n"
                                                           "              vault_url: https://" +
                                                           kVaultHost + ":" + std::to_string(server_->port()) +
                                                           "\n"
                                                           "              version: <base64url>\n"
                                                           "          hc_vault:\n"
                                                           "            - created_at: <time>\n"
                                                           "              enc: vault:v1:<base64>\n"
                                                           "              engine_path: transit\n"
                                                           "              key_name: sops\n"
                                                           "              vault_address: " +
                                                           url() +
                                                           "\n"
                                                           "    lastmodified: <time>\n"
                                                           "    mac: <mac>\n"
                                                           "    shamir_threshold: 2\n"
                                                           "    unencrypted_suffix: _unencrypted\n"
                                                           "    version: 3.13.2\n"))
        << r.out;
}
