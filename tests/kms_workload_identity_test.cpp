// Workload identity for a Flux decryption key set, end to end against the in-process emulator:
// a Kubernetes service-account token (an RS256 JWT of a test issuer) is exchanged at AWS STS,
// Google STS (+ IAM Credentials) and Azure AD, each checking issuer, signature, audience and
// subject as the services do; Vault's Kubernetes login; and the fallback to the process's own
// identity when the decryption Secret has no credential for a provider.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/jwt.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/kms/emulator.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
using namespace sopskit;
using nlohmann::json;

namespace {

constexpr const char* kIssuer = "https://oidc.cluster.test";
constexpr const char* kArn = "arn:aws:kms:us-east-1:111122223333:key/c0ffee00-1111-2222-3333-444455556666";
constexpr const char* kRole = "arn:aws:iam::111122223333:role/tenant-apps";
constexpr const char* kSubject = "system:serviceaccount:apps:tenant";
constexpr const char* kGcpKey = "projects/p/locations/global/keyRings/r/cryptoKeys/sops";
constexpr const char* kProvider = "projects/123/locations/global/workloadIdentityPools/k8s/providers/cluster";
constexpr const char* kGcpAccount = "sops@p.iam.gserviceaccount.com";
constexpr const char* kPrincipalPrefix = "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/k8s/subject/";

// An RSA key pair of a test "cluster" issuing service-account tokens.
struct Issuer {
    std::string private_pem, public_pem;
    Issuer() {
        EVP_PKEY* key = EVP_RSA_gen(2048);
        BIO* priv = BIO_new(BIO_s_mem());
        BIO* pub = BIO_new(BIO_s_mem());
        PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
        PEM_write_bio_PUBKEY(pub, key);
        char* p = nullptr;
        long n = BIO_get_mem_data(priv, &p);
        private_pem.assign(p, static_cast<std::size_t>(n));
        n = BIO_get_mem_data(pub, &p);
        public_pem.assign(p, static_cast<std::size_t>(n));
        BIO_free(priv);
        BIO_free(pub);
        EVP_PKEY_free(key);
    }
    std::string token(const std::string& audience, const std::string& subject = kSubject, const std::string& iss = kIssuer) const {
        long long now = std::time(nullptr);
        json claims = {{"iss", iss}, {"sub", subject}, {"aud", {audience}}, {"iat", now}, {"nbf", now}, {"exp", now + 600}};
        return kms::sign_jwt_rs256(R"({"alg":"RS256","typ":"JWT"})", claims.dump(), private_pem, "");
    }
};

const Issuer& cluster() {
    static Issuer issuer;
    return issuer;
}

class WorkloadIdentityTest : public ::testing::Test {
protected:
    void SetUp() override { home_ = sopskit::test::make_temp_dir(); }
    void TearDown() override {
        if (server_) server_->stop();
    }

    void start(json state, int port = 0) {
        state["oidc_issuers"] = {{kIssuer, cluster().public_pem}};
        state["aws"]["credentials"]["AKIDPROCESS000000001"] = "process/secret/0000000000000000000000";
        sopskit::test::write_file(home_ / "state.json", state.dump());
        emu::Options o;
        o.state_path = (home_ / "state.json").string();
        o.log_path = (home_ / "calls.log").string();
        o.extra_names = {"sts.googleapis.com", "iamcredentials.googleapis.com", "kv.vault.azure.net"};
        o.port = port;
        server_ = std::make_unique<emu::Emulator>(o);
        server_->start();
        sopskit::test::write_file(home_ / "ca.pem", server_->cert_pem());
        std::string at = std::to_string(server_->port());
        env_ = {{"SOPSKIT_KMS_RESOLVE", "sts.googleapis.com:443:127.0.0.1:" + at + ",iamcredentials.googleapis.com:443:127.0.0.1:" +
                                            at + ",kv.vault.azure.net:" + at + ":127.0.0.1"},
                {"SOPS_GCP_KMS_ENDPOINT", server_->url()}, {"AWS_ENDPOINT_URL_KMS", server_->url()},
                {"AWS_ENDPOINT_URL_STS", server_->url()}, {"AWS_CA_BUNDLE", (home_ / "ca.pem").string()},
                {"SSL_CERT_FILE", (home_ / "ca.pem").string()}, {"AWS_EC2_METADATA_DISABLED", "true"},
                {"AZURE_AUTHORITY_HOST", server_->url()}, {"SOPSKIT_AZURE_KEYVAULT_DOMAINS", "vault.azure.net"},
                {"GCE_METADATA_HOST", "127.0.0.1:1"}, {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:1"},
                {"SOPSKIT_KMS_RETRY_BASE_MS", "1"}, {"HOME", home_.string()}};
    }

    // The identity of ServiceAccount apps/tenant with these annotations; the token source
    // records the audiences asked for.
    kms::WorkloadIdentity identity(std::map<std::string, std::string> annotations, bool with_account = true) {
        kms::WorkloadIdentity id;
        id.token = [this](const std::string& audience) {
            audiences_.push_back(audience);
            return cluster().token(token_audience_.empty() ? audience : token_audience_, token_subject_);
        };
        if (with_account) id.service_account = kms::ServiceAccount{"apps", "tenant", std::move(annotations)};
        id.env = [env = env_](const std::string& n) -> std::optional<std::string> {
            auto it = env.find(n);
            if (it == env.end() || it->second.empty()) return std::nullopt;
            return it->second;
        };
        id.home = home_.string();
        return id;
    }

    // A key set from a decryption Secret with these entries, plus the identity.
    std::shared_ptr<DecryptionKeys> keys(const std::map<std::string, std::string>& entries, const kms::WorkloadIdentity& id) {
        auto k = DecryptionKeys::from_entries(entries, "apps/sops-keys");
        kms::add_flux_kms_sources(*k, id);
        return k;
    }

    static SecureBytes data_key() { return SecureBytes::from(std::string(32, '\x5a')); }

    // Wraps and unwraps a data key with `recipient` through the key set's source of that kind;
    // empty on success, else the error.
    std::string round_trip(const DecryptionKeys& k, const Recipient& recipient) {
        KeySource* src = k.ring.find(recipient.kind);
        if (!src) return "no source";
        try {
            StoredKey stored = src->wrap(recipient, data_key());
            auto out = src->unwrap(stored);
            if (out.status != UnwrapOutcome::Status::Ok) return out.reason;
            if (std::string(out.data_key.view()) != std::string(32, '\x5a')) return "wrong data key";
        } catch (const std::exception& e) {
            return e.what();
        }
        return {};
    }

    std::string log() const { return sopskit::test::read_file(home_ / "calls.log"); }
    std::size_t count(const std::string& what) const {
        std::string text = log();
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    }
    std::string vault_key() const { return server_->url() + "/v1/transit/keys/sops"; }
    std::string azure_key() const { return "https://kv.vault.azure.net:" + std::to_string(server_->port()) + "/keys/sops-key"; }

    fs::path home_;
    std::unique_ptr<emu::Emulator> server_;
    std::map<std::string, std::string> env_;
    std::vector<std::string> audiences_;
    std::string token_audience_, token_subject_ = kSubject;
};

json aws_trust() {
    return {{"web_identity_roles", {{kRole, {{"issuer", kIssuer}, {"audience", "sts.amazonaws.com"}, {"subject", kSubject}}}}}};
}

TEST_F(WorkloadIdentityTest, AwsServiceAccountTokenAssumesTheAnnotatedRoleNotTheProcessKeys) {
    start({{"aws", aws_trust()}});
    // The controller's own keys are in its environment: the tenant must not get them.
    env_["AWS_ACCESS_KEY_ID"] = "AKIDPROCESS000000001";
    env_["AWS_SECRET_ACCESS_KEY"] = "process/secret/0000000000000000000000";
    auto id = identity({{"eks.amazonaws.com/role-arn", kRole}});
    id.process_identity = true;  // a service account wins over the process's identity
    EXPECT_EQ(round_trip(*keys({}, id), kms::kms_recipients(kArn)[0]), "");
    EXPECT_EQ(audiences_, std::vector<std::string>{"sts.amazonaws.com"});
    EXPECT_EQ(count(std::string("sts AssumeRoleWithWebIdentity ") + kRole + " 200"), 1u) << log();
    EXPECT_EQ(count("AKIDPROCESS"), 0u) << log();

    // Another service account's token, or one for another audience, is refused by STS.
    token_subject_ = "system:serviceaccount:other:tenant";
    std::string err = round_trip(*keys({}, id), kms::kms_recipients(kArn)[0]);
    EXPECT_NE(err.find("AccessDenied"), std::string::npos) << err;
    token_subject_ = kSubject;
    token_audience_ = "api://AzureADTokenExchange";
    err = round_trip(*keys({}, id), kms::kms_recipients(kArn)[0]);
    EXPECT_NE(err.find("InvalidIdentityToken"), std::string::npos) << err;
    EXPECT_EQ(err.find("eyJ"), std::string::npos) << "no token in the message: " << err;
}

TEST_F(WorkloadIdentityTest, AwsRoleAnnotationIsCheckedAndASecretCredentialWins) {
    start({{"aws", aws_trust()}});
    std::string err = round_trip(*keys({}, identity({{"eks.amazonaws.com/role-arn", "arn:aws:iam::x:role/r"}})), kms::kms_recipients(kArn)[0]);
    EXPECT_NE(err.find("invalid eks.amazonaws.com/role-arn annotation"), std::string::npos) << err;
    err = round_trip(*keys({}, identity({})), kms::kms_recipients(kArn)[0]);
    EXPECT_NE(err.find("invalid eks.amazonaws.com/role-arn annotation: ''"), std::string::npos) << err;
    EXPECT_TRUE(audiences_.empty());
    // sops.aws-kms in the Secret: its keys, no token exchange.
    auto k = keys({{"sops.aws-kms", "aws_access_key_id: AKIDPROCESS000000001\naws_secret_access_key: process/secret/0000000000000000000000\n"}},
                  identity({{"eks.amazonaws.com/role-arn", kRole}}));
    EXPECT_EQ(round_trip(*k, kms::kms_recipients(kArn)[0]), "");
    EXPECT_TRUE(audiences_.empty());
    EXPECT_EQ(count("AssumeRoleWithWebIdentity"), 0u) << log();
}

TEST_F(WorkloadIdentityTest, GcpWorkloadIdentityFederationWithImpersonation) {
    std::string audience = std::string("//iam.googleapis.com/") + kProvider;
    start({{"gcp",
            {{"workload_identity_pools", {{audience, {{"issuer", kIssuer}, {"principal_prefix", kPrincipalPrefix}}}}},
             {"impersonation", {{kGcpAccount, {std::string(kPrincipalPrefix) + kSubject}}}}}}});
    auto id = identity({{"gcp.auth.fluxcd.io/workload-identity-provider", kProvider}, {"iam.gke.io/gcp-service-account", kGcpAccount}});
    EXPECT_EQ(round_trip(*keys({}, id), kms::gcp_kms_recipients(kGcpKey)[0]), "");
    EXPECT_EQ(audiences_, std::vector<std::string>{audience});
    EXPECT_EQ(count("gcp-token token-exchange " + audience + " 200"), 1u) << log();
    EXPECT_EQ(count(std::string("gcp-token generateAccessToken ") + kGcpAccount + " 200"), 1u) << log();

    // Another account's principal may not act as the Google service account.
    token_subject_ = "system:serviceaccount:other:tenant";
    std::string err = round_trip(*keys({}, id), kms::gcp_kms_recipients(kGcpKey)[0]);
    EXPECT_NE(err.find("403"), std::string::npos) << err;
    // A token for another audience is refused at the exchange.
    token_subject_ = kSubject;
    token_audience_ = "sts.amazonaws.com";
    err = round_trip(*keys({}, id), kms::gcp_kms_recipients(kGcpKey)[0]);
    EXPECT_NE(err.find("invalid_grant"), std::string::npos) << err;
    // Without the provider annotation there is no audience to ask for.
    err = round_trip(*keys({}, identity({{"iam.gke.io/gcp-service-account", kGcpAccount}})), kms::gcp_kms_recipients(kGcpKey)[0]);
    EXPECT_NE(err.find("gcp.auth.fluxcd.io/workload-identity-provider"), std::string::npos) << err;
}

TEST_F(WorkloadIdentityTest, AzureFederatedClientAssertion) {
    start({{"azure",
            {{"tenant", "t1"},
             {"clients", {{"c-wi", {{"tenant", "t1"}, {"federated_credentials", {{{"issuer", kIssuer}, {"subject", kSubject}, {"audience", "api://AzureADTokenExchange"}}}}}}}}}}});
    auto id = identity({{"azure.workload.identity/tenant-id", "t1"}, {"azure.workload.identity/client-id", "c-wi"}});
    EXPECT_EQ(round_trip(*keys({}, id), kms::azure_kv_recipients(azure_key())[0]), "");
    EXPECT_EQ(audiences_, std::vector<std::string>{"api://AzureADTokenExchange"});
    EXPECT_EQ(count("azure-token client_assertion c-wi 200"), 1u) << log();

    token_subject_ = "system:serviceaccount:other:tenant";
    std::string err = round_trip(*keys({}, id), kms::azure_kv_recipients(azure_key())[0]);
    EXPECT_NE(err.find("AADSTS70021"), std::string::npos) << err;
    token_subject_ = kSubject;
    token_audience_ = "sts.amazonaws.com";
    err = round_trip(*keys({}, id), kms::azure_kv_recipients(azure_key())[0]);
    EXPECT_NE(err.find("AADSTS70021"), std::string::npos) << err;
    err = round_trip(*keys({}, identity({{"azure.workload.identity/client-id", "c-wi"}})), kms::azure_kv_recipients(azure_key())[0]);
    EXPECT_NE(err.find("azure.workload.identity/tenant-id"), std::string::npos) << err;
}

TEST_F(WorkloadIdentityTest, VaultKubernetesLoginAndAStaticTokenStillWins) {
    // The audience is the server's address, known once it listens: start, then serve the
    // full state on the same port.
    start(json::object());
    int port = server_->port();
    std::string address = server_->url();
    server_->stop();
    server_.reset();
    start({{"vault",
            {{"tokens", {"static-root"}},
             {"kubernetes_auth",
              {{"auth/kubernetes",
                {{"issuer", kIssuer}, {"audience", address},
                 {"roles", {{"apps_tenant", {{"bound_service_account_names", {"tenant"}}, {"bound_service_account_namespaces", {"apps"}}}}}}}}}}}}},
          port);

    auto id = identity({}, /*with_account=*/false);
    id.vault_login_paths = {{server_->url(), "auth/kubernetes/login"}};
    auto k = keys({}, id);
    EXPECT_EQ(round_trip(*k, kms::vault_recipients(vault_key())[0]), "");
    EXPECT_EQ(audiences_, std::vector<std::string>{server_->url()});
    EXPECT_EQ(count("vault login auth/kubernetes apps_tenant 200"), 1u) << log();
    // A static sops.vault-token wins: no login.
    audiences_.clear();
    auto with_token = keys({{"sops.vault-token", "static-root"}, {"sops.vault-allowlist", server_->url()}}, id);
    EXPECT_EQ(round_trip(*with_token, kms::vault_recipients(vault_key())[0]), "");
    EXPECT_TRUE(audiences_.empty());
    // An address the login map does not name gets no token.
    id.vault_login_paths = {{"https://vault.example.com:8200", "auth/kubernetes/login"}};
    std::string err = round_trip(*keys({}, id), kms::vault_recipients(vault_key())[0]);
    EXPECT_NE(err.find("no Vault login path configured for address"), std::string::npos) << err;
    EXPECT_TRUE(audiences_.empty());
    // A service account the role is not bound to is refused.
    id.vault_login_paths = {{server_->url(), "auth/kubernetes/login"}};
    token_subject_ = "system:serviceaccount:other:tenant";
    err = round_trip(*keys({}, id), kms::vault_recipients(vault_key())[0]);
    EXPECT_NE(err.find("as role 'other_tenant'"), std::string::npos) << err;
}

TEST_F(WorkloadIdentityTest, ProcessIdentityIsTheFallbackWithoutASecretCredentialOrAServiceAccount) {
    start({{"aws", {{"web_identity_roles", {{kRole, {{"issuer", kIssuer}, {"audience", "sts.amazonaws.com"}, {"subject", "system:serviceaccount:flux-system:kustomize-controller"}}}}}}}});
    // The controller's IRSA token file.
    sopskit::test::write_file(home_ / "irsa-token", cluster().token("sts.amazonaws.com", "system:serviceaccount:flux-system:kustomize-controller"));
    env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (home_ / "irsa-token").string();
    env_["AWS_ROLE_ARN"] = kRole;
    auto id = identity({}, /*with_account=*/false);
    id.process_identity = true;
    EXPECT_EQ(round_trip(*keys({}, id), kms::kms_recipients(kArn)[0]), "");
    EXPECT_EQ(count(std::string("sts AssumeRoleWithWebIdentity ") + kRole + " 200"), 1u) << log();
    // Locked down: nothing of the process.
    id.process_identity = false;
    std::string err = round_trip(*keys({}, id), kms::kms_recipients(kArn)[0]);
    EXPECT_NE(err.find("no AWS credentials were given"), std::string::npos) << err;
    EXPECT_EQ(count("AssumeRoleWithWebIdentity"), 1u) << log();
}

// The CLI flags: a ServiceAccount manifest and a token command, as `kubectl create token` would be.
TEST_F(WorkloadIdentityTest, CliDecryptsWithTheServiceAccountFlags) {
    start({{"aws", aws_trust()}});
    std::string transport = "env -i PATH=/usr/bin:/bin HOME=" + home_.string() + " AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_KMS=" +
                            server_->url() + " AWS_ENDPOINT_URL_STS=" + server_->url() + " AWS_CA_BUNDLE=" + env_["AWS_CA_BUNDLE"] + " ";
    sopskit::test::write_file(home_ / "plain.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\nstringData:\n    password: correct-horse\n");
    auto enc = sopskit::test::run(transport + "AWS_ACCESS_KEY_ID=AKIDPROCESS000000001 AWS_SECRET_ACCESS_KEY=process/secret/0000000000000000000000 " +
                                  sopskit::test::cli_path() + " encrypt --encrypted-regex '^stringData$' --kms " + kArn + " " + (home_ / "plain.yaml").string());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    sopskit::test::write_file(home_ / "stream.yaml", enc.out);
    sopskit::test::write_file(home_ / "sa.yaml", std::string("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: tenant\n  namespace: apps\n"
                                                             "  annotations:\n    eks.amazonaws.com/role-arn: ") + kRole + "\n");
    sopskit::test::write_file(home_ / "sa-token", cluster().token("sts.amazonaws.com"));
    std::string base = transport + sopskit::test::cli_path() + " decrypt-manifests --decryption-service-account " + (home_ / "sa.yaml").string();
    auto r = sopskit::test::run(base + " --service-account-token-command 'cat " + (home_ / "sa-token").string() + "' " + (home_ / "stream.yaml").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("password: correct-horse"), std::string::npos) << r.out;
    EXPECT_EQ(count(std::string("sts AssumeRoleWithWebIdentity ") + kRole + " 200"), 1u) << log();
    auto no_token = sopskit::test::run(base + " " + (home_ / "stream.yaml").string());
    EXPECT_NE(no_token.exit_code, 0);
    EXPECT_NE(no_token.err.find("needs --service-account-token-file or --service-account-token-command"), std::string::npos) << no_token.err;
}

TEST_F(WorkloadIdentityTest, TokenSourcesAndManifests) {
    sopskit::test::write_file(home_ / "token", "  file-token\n");
    EXPECT_EQ(kms::token_source_from_file((home_ / "token").string())("aud"), "file-token");
    EXPECT_THROW(kms::token_source_from_file((home_ / "missing").string())("aud"), std::exception);
    // The command runs without a shell; {audience} and $SOPSKIT_TOKEN_AUDIENCE carry the audience.
    auto cmd = kms::token_source_from_command({"/bin/sh", "-c", "printf '%s|%s' \"$1\" \"$SOPSKIT_TOKEN_AUDIENCE\"", "sh", "{audience}"});
    EXPECT_EQ(cmd("sts.amazonaws.com"), "sts.amazonaws.com|sts.amazonaws.com");
    auto failing = kms::token_source_from_command({"/bin/sh", "-c", "echo secret-output; exit 3"});
    try {
        failing("a");
        ADD_FAILURE() << "no error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("exit code 3"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("secret-output"), std::string::npos) << e.what();
    }
    auto sa = kms::service_account_from_manifest(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: tenant\n  namespace: apps\n  annotations:\n"
        "    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/r\n");
    EXPECT_EQ(sa.namespace_name, "apps");
    EXPECT_EQ(sa.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::111122223333:role/r");
    EXPECT_THROW(kms::service_account_from_manifest("kind: Secret\nmetadata: {name: a, namespace: b}\n"), Error);
    auto paths = kms::vault_login_paths_from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vault, namespace: flux-system}\ndata:\n  config.yaml: |\n"
        "    instances:\n      - address: https://vault.example.com:8200\n        loginPath: auth/kubernetes/login\n");
    EXPECT_EQ(paths, (std::map<std::string, std::string>{{"https://vault.example.com:8200", "auth/kubernetes/login"}}));
    EXPECT_THROW(kms::vault_login_paths_from("kind: ConfigMap\ndata: {}\n"), Error);
}

// sops.azure-kv's clientCertificateSendChain: the assertion carries the certificate (x5c).
TEST(WorkloadIdentityAzure, ClientCertificateSendChainPutsTheChainInTheAssertion) {
    auto s = kms::settings_from_flux_entries(std::nullopt, std::nullopt,
                                             std::string(R"({"tenantId":"t","clientId":"c","clientCertificate":"PEM","clientCertificateSendChain":true})"),
                                             std::nullopt);
    ASSERT_TRUE(s.azure);
    EXPECT_TRUE(s.azure->send_certificate_chain);
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("app"), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_sign(cert, key, EVP_sha256());
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* p = nullptr;
    long n = BIO_get_mem_data(bio, &p);
    std::string pem(p, static_cast<std::size_t>(n));
    BIO_free(bio);
    X509_free(cert);
    EVP_PKEY_free(key);
    auto header_of = [](const std::string& jwt) { return json::parse(*kms::b64url_decode(jwt.substr(0, jwt.find('.')))); };
    json plain = header_of(kms::azure::client_assertion(pem, "", "c", "https://login/t/oauth2/v2.0/token", 1700000000));
    EXPECT_FALSE(plain.contains("x5c"));
    json chained = header_of(kms::azure::client_assertion(pem, "", "c", "https://login/t/oauth2/v2.0/token", 1700000000, true));
    ASSERT_TRUE(chained.contains("x5c")) << chained.dump();
    EXPECT_EQ(chained["x5c"].size(), 1u);
    EXPECT_EQ(chained["x5t"], plain["x5t"]);
}

}  // namespace
