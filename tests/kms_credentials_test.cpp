// Credential sources of the cloud SDKs' default chains, each end to end against the in-process
// KMS emulator over verified HTTPS: the credential is exchanged at the emulated identity service,
// the KMS call is made with what came back, and expiry makes the next call fetch it again.
// Every test runs with HOME in its own temporary folder and a map environment: nothing of the
// machine's own credentials is read.
#include <filesystem>
#include <map>
#include <thread>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "aws/aws.hpp"
#include "azure/azure.hpp"
#include "gcp/gcp.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/kms/emulator.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
using namespace sopskit;
using nlohmann::json;

namespace {

constexpr const char* kArn = "arn:aws:kms:us-east-1:111122223333:key/c0ffee00-1111-2222-3333-444455556666";
constexpr const char* kAkid = "AKIDCREDSTEST000001";
constexpr const char* kSecret = "creds/test/secret/00000000000000000000";
constexpr const char* kRole = "arn:aws:iam::111122223333:role/ci";

class CredentialsTest : public ::testing::Test {
protected:
    void SetUp() override { home_ = sopskit::test::make_temp_dir(); }
    void TearDown() override {
        if (server_) server_->stop();
    }

    // Starts the emulator with `state` (merged over AWS static credentials) and a token lifetime.
    void start(json state, long long ttl_seconds) {
        state["aws"]["credentials"][kAkid] = kSecret;
        sopskit::test::write_file(home_ / "state.json", state.dump());
        emu::Options o;
        o.state_path = (home_ / "state.json").string();
        o.log_path = (home_ / "calls.log").string();
        o.token_ttl_seconds = ttl_seconds;
        o.extra_names = extra_names_;
        server_ = std::make_unique<emu::Emulator>(o);
        server_->start();
        sopskit::test::write_file(home_ / "ca.pem", server_->cert_pem());
        std::string pins;
        for (const auto& name : extra_names_) pins += (pins.empty() ? "" : ",") + name + ":" + std::to_string(server_->port()) + ":127.0.0.1";
        env_ = {{"SOPSKIT_KMS_RESOLVE", pins}, {"SOPS_GCP_KMS_ENDPOINT", server_->url()},
                {"AWS_ENDPOINT_URL_KMS", server_->url()}, {"AWS_ENDPOINT_URL_STS", server_->url()},
                {"AWS_ENDPOINT_URL_SSO", server_->url()}, {"AWS_CA_BUNDLE", (home_ / "ca.pem").string()},
                {"SSL_CERT_FILE", (home_ / "ca.pem").string()}, {"AWS_EC2_METADATA_DISABLED", "true"},
                {"SOPSKIT_KMS_RETRY_BASE_MS", "1"}, {"HOME", home_.string()}};
    }

    kms::KmsSettings settings() {
        kms::KmsSettings s;
        s.env = [env = env_](const std::string& n) -> std::optional<std::string> {
            auto it = env.find(n);
            if (it == env.end() || it->second.empty()) return std::nullopt;
            return it->second;
        };
        s.home = home_.string();
        return s;
    }

    static SecureBytes data_key() { return SecureBytes::from(std::string(32, '\x5a')); }

    // Wraps a data key for the AWS key and unwraps it again with the same source.
    void aws_round_trip(KeySource& src) {
        StoredKey stored = src.wrap(kms::kms_recipients(kArn)[0], data_key());
        auto out = src.unwrap(stored);
        ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
        EXPECT_EQ(std::string(out.data_key.view()), std::string(32, '\x5a'));
    }
    std::string aws_error(KeySource& src) {
        try {
            src.wrap(kms::kms_recipients(kArn)[0], data_key());
        } catch (const std::exception& e) {
            return e.what();
        }
        ADD_FAILURE() << "wrap succeeded";
        return {};
    }

    std::string log() const { return sopskit::test::read_file(home_ / "calls.log"); }
    std::size_t count(const std::string& what) const {
        std::string text = log();
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    }
    void write(const std::string& rel, const std::string& text) {
        fs::create_directories((home_ / rel).parent_path());
        sopskit::test::write_file(home_ / rel, text);
    }

    fs::path home_;
    std::vector<std::string> extra_names_;
    std::unique_ptr<emu::Emulator> server_;
    std::map<std::string, std::string> env_;
};

// --- AWS -------------------------------------------------------------------------------------

TEST_F(CredentialsTest, AwsWebIdentityFromTokenFileIsReadAgainAtEachRefresh) {
    start({{"aws", {{"web_identity_tokens", {"jwt-one", "jwt-two"}}}}}, 120);  // inside the 5-minute refresh window
    write("token", "jwt-one\n");
    env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (home_ / "token").string();
    env_["AWS_ROLE_ARN"] = kRole;
    env_["AWS_ROLE_SESSION_NAME"] = "ci-run";
    auto src = kms::make_aws_kms_source(settings());
    StoredKey stored = src->wrap(kms::kms_recipients(kArn)[0], data_key());
    EXPECT_EQ(count(std::string("sts AssumeRoleWithWebIdentity ") + kRole + " 200"), 1u) << log();
    // The issuer rotated the token; the credentials are about to expire, so the next call
    // assumes the role again with the new token.
    write("token", "jwt-two");
    auto out = src->unwrap(stored);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_EQ(count(std::string("sts AssumeRoleWithWebIdentity ") + kRole + " 200"), 2u) << log();
    // A token STS does not accept is an error naming the service's code, not the token.
    write("token", "jwt-forged");
    std::string err = aws_error(*src);
    EXPECT_NE(err.find("InvalidIdentityToken"), std::string::npos) << err;
    EXPECT_EQ(err.find("jwt-forged"), std::string::npos) << err;
}

TEST_F(CredentialsTest, AwsWebIdentityCredentialsAreCachedUntilNearExpiry) {
    start({{"aws", {{"web_identity_tokens", {"jwt-one"}}}}}, 3600);
    write("token", "jwt-one");
    env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (home_ / "token").string();
    env_["AWS_ROLE_ARN"] = kRole;
    auto src = kms::make_aws_kms_source(settings());
    aws_round_trip(*src);
    aws_round_trip(*src);
    EXPECT_EQ(count("sts AssumeRoleWithWebIdentity"), 1u) << log();
    EXPECT_EQ(count("aws Decrypt "), 2u) << log();
}

TEST_F(CredentialsTest, AwsWebIdentityTokenFileWithoutRoleIsAnError) {
    start(json::object(), 3600);
    write("token", "jwt-one");
    env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (home_ / "token").string();
    // Static keys in the default profile would otherwise be used: the SDK stops at the token file.
    write(".aws/credentials", std::string("[default]\naws_access_key_id = ") + kAkid + "\naws_secret_access_key = " + kSecret + "\n");
    auto src = kms::make_aws_kms_source(settings());
    std::string err = aws_error(*src);
    EXPECT_NE(err.find("AWS_ROLE_ARN"), std::string::npos) << err;
    EXPECT_NE(err.find(kArn), std::string::npos) << err;
}

// A credential_process program: counts its runs in a file and prints `json`.
std::string process_script(const fs::path& dir, const std::string& name, const json& out) {
    fs::path script = dir / name;
    sopskit::test::write_file(script, "#!/bin/sh\necho run >> '" + (dir / (name + ".runs")).string() + "'\ncat <<'EOF'\n" + out.dump() + "\nEOF\n");
    fs::permissions(script, fs::perms::owner_all);
    return script.string();
}

std::string iso8601_in(long long seconds) {
    std::time_t t = std::time(nullptr) + seconds;
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

std::size_t lines(const fs::path& p) {
    if (!fs::exists(p)) return 0;
    std::string s = sopskit::test::read_file(p);
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_F(CredentialsTest, AwsCredentialProcessRunsAgainWhenItsExpirationNears) {
    start(json::object(), 3600);
    json soon = {{"Version", 1}, {"AccessKeyId", kAkid}, {"SecretAccessKey", kSecret}, {"Expiration", iso8601_in(120)}};
    json later = {{"Version", 1}, {"AccessKeyId", kAkid}, {"SecretAccessKey", kSecret}, {"Expiration", iso8601_in(3600)}};
    json wrong = {{"Version", 2}, {"AccessKeyId", kAkid}, {"SecretAccessKey", kSecret}};
    write(".aws/config", "[profile soon]\ncredential_process = " + process_script(home_, "soon", soon) +
                             "\n[profile later]\ncredential_process = " + process_script(home_, "later", later) +
                             "\n[profile v2]\ncredential_process = " + process_script(home_, "v2", wrong) + "\n");
    env_["AWS_PROFILE"] = "soon";
    auto src = kms::make_aws_kms_source(settings());
    aws_round_trip(*src);
    EXPECT_EQ(lines(home_ / "soon.runs"), 2u);  // within five minutes of expiry: run for each call
    env_["AWS_PROFILE"] = "later";
    auto cached = kms::make_aws_kms_source(settings());
    aws_round_trip(*cached);
    EXPECT_EQ(lines(home_ / "later.runs"), 1u);
    env_["AWS_PROFILE"] = "v2";
    std::string err = aws_error(*kms::make_aws_kms_source(settings()));
    EXPECT_NE(err.find("\"Version\": 1"), std::string::npos) << err;
    EXPECT_EQ(err.find(kSecret), std::string::npos) << err;
}

TEST_F(CredentialsTest, AwsSsoSessionProfileUsesTheCachedTokenAtGetRoleCredentials) {
    start({{"aws", {{"sso_tokens", {{"sso-access-token", {{"account_id", "111122223333"}, {"roles", {"Admin"}}}}}}}}}, 120);
    write(".aws/config",
          "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n"
          "[profile other-role]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Billing\n"
          "[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n");
    // The AWS CLI's cache file name: hex SHA-1 of the session name.
    write(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
          json{{"accessToken", "sso-access-token"}, {"expiresAt", iso8601_in(3600)}, {"region", "us-east-1"}}.dump());
    env_["AWS_PROFILE"] = "dev";
    auto src = kms::make_aws_kms_source(settings());
    aws_round_trip(*src);
    // Role credentials that expire within five minutes are fetched again for the second call.
    EXPECT_EQ(count("sso GetRoleCredentials Admin 200"), 2u) << log();

    env_["AWS_PROFILE"] = "other-role";
    std::string denied = aws_error(*kms::make_aws_kms_source(settings()));
    EXPECT_NE(denied.find("ForbiddenException"), std::string::npos) << denied;

    // An expired login asks for a new one and never reaches the portal.
    write(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
          json{{"accessToken", "sso-access-token"}, {"expiresAt", iso8601_in(-60)}}.dump());
    env_["AWS_PROFILE"] = "dev";
    std::string expired = aws_error(*kms::make_aws_kms_source(settings()));
    EXPECT_NE(expired.find("aws sso login"), std::string::npos) << expired;
    EXPECT_EQ(expired.find("sso-access-token"), std::string::npos) << expired;
    EXPECT_EQ(count("sso GetRoleCredentials"), 3u) << log();
}

TEST_F(CredentialsTest, AwsLegacySsoProfileKeysItsCacheByStartUrl) {
    start({{"aws", {{"sso_tokens", {{"legacy-token", {{"account_id", "111122223333"}, {"roles", {"Admin"}}}}}}}}}, 3600);
    write(".aws/config", "[profile legacy]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
                         "sso_account_id = 111122223333\nsso_role_name = Admin\n"
                         "[profile half]\nsso_start_url = https://corp.awsapps.com/start\nsso_role_name = Admin\n");
    write(".aws/sso/cache/a51746d4aa793ae07b25e90c3a5db96fc7832bd7.json",
          json{{"accessToken", "legacy-token"}, {"expiresAt", iso8601_in(3600)}}.dump());
    env_["AWS_PROFILE"] = "legacy";
    aws_round_trip(*kms::make_aws_kms_source(settings()));
    EXPECT_EQ(count("sso GetRoleCredentials Admin 200"), 1u) << log();
    env_["AWS_PROFILE"] = "half";
    std::string err = aws_error(*kms::make_aws_kms_source(settings()));
    EXPECT_NE(err.find("sso_account_id"), std::string::npos) << err;
}

TEST_F(CredentialsTest, AwsChainOrderFollowsTheGoSdk) {
    start({{"aws", {{"web_identity_tokens", {"jwt-one"}}, {"sso_tokens", {{"sso-access-token", {{"account_id", "111122223333"}, {"roles", {"Admin"}}}}}}}}},
          3600);
    json creds = {{"Version", 1}, {"AccessKeyId", kAkid}, {"SecretAccessKey", kSecret}};
    // One profile with both SSO and credential_process: SSO comes first.
    write(".aws/config", "[profile both]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\ncredential_process = " +
                             process_script(home_, "proc", creds) +
                             "\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n");
    write(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
          json{{"accessToken", "sso-access-token"}, {"expiresAt", iso8601_in(3600)}}.dump());
    write("token", "jwt-one");
    env_["AWS_PROFILE"] = "both";
    aws_round_trip(*kms::make_aws_kms_source(settings()));
    EXPECT_EQ(count("sso GetRoleCredentials"), 1u) << log();
    EXPECT_EQ(lines(home_ / "proc.runs"), 0u);
    // Web identity from the environment comes before any profile...
    env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (home_ / "token").string();
    env_["AWS_ROLE_ARN"] = kRole;
    aws_round_trip(*kms::make_aws_kms_source(settings()));
    EXPECT_EQ(count("sts AssumeRoleWithWebIdentity"), 1u) << log();
    EXPECT_EQ(count("sso GetRoleCredentials"), 1u) << log();
    // ...and static keys in the environment before web identity.
    env_["AWS_ACCESS_KEY_ID"] = kAkid;
    env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
    aws_round_trip(*kms::make_aws_kms_source(settings()));
    EXPECT_EQ(count("sts AssumeRoleWithWebIdentity"), 1u) << log();
    EXPECT_EQ(lines(home_ / "proc.runs"), 0u);
}

TEST_F(CredentialsTest, AwsStoredProfileWithCredentialSourceEnvironmentAssumesItsRole) {
    start(json::object(), 3600);
    write(".aws/config", std::string("[profile deploy]\nrole_arn = ") + kRole + "\ncredential_source = Environment\n");
    env_["AWS_ACCESS_KEY_ID"] = kAkid;
    env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
    auto src = kms::make_aws_kms_source(settings());
    // The file's aws_profile: that profile only, its role on top of the environment's keys.
    StoredKey stored = src->wrap(kms::kms_recipients(kArn, "deploy")[0], data_key());
    auto out = src->unwrap(stored);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_EQ(count(std::string("sts AssumeRole ") + kRole + " 200"), 1u) << log();
}

TEST(kmsAwsSso, CacheFileNameAndDocumentsParse) {
    EXPECT_EQ(kms::aws::sso_cache_file_name("corp"), "ee0bfd2552fbd840c02cc48b6e823320543c450f.json");
    std::time_t now = 1'700'000'000;
    EXPECT_EQ(kms::aws::sso_cached_access_token(R"({"accessToken":"t","expiresAt":"2027-01-15T08:00:00Z"})", now), "t");
    EXPECT_THROW(kms::aws::sso_cached_access_token(R"({"accessToken":"t","expiresAt":"2020-01-15T08:00:00Z"})", now), kms::TransportError);
    EXPECT_THROW(kms::aws::sso_cached_access_token(R"({"accessToken":"t"})", now), kms::TransportError);
    EXPECT_THROW(kms::aws::sso_cached_access_token(R"([1])", now), kms::TransportError);
    auto c = kms::aws::parse_role_credentials(
        R"({"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t","expiration":1800000000000}})");
    EXPECT_EQ(c.keys.access_key_id, "ASIA1");
    EXPECT_EQ(c.expires, 1'800'000'000);
    // A hostile expiration neither overflows nor counts as "never expires".
    std::time_t hostile = kms::aws::parse_role_credentials(R"({"roleCredentials":{"accessKeyId":"a","secretAccessKey":"s","expiration":1e300}})").expires;
    EXPECT_NE(hostile, 0);
    EXPECT_LE(hostile, std::time(nullptr) + 1);
    EXPECT_THROW(kms::aws::parse_role_credentials(R"({"roleCredentials":{}})"), kms::TransportError);
    auto sessions = kms::aws::parse_sso_sessions("[profile x]\na=b\n[sso-session corp]\nsso_region = eu-west-1\n");
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions["corp"]["sso_region"], "eu-west-1");
    EXPECT_THROW(kms::aws::parse_process_output(R"({"AccessKeyId":"a","SecretAccessKey":"s"})", "p"), kms::TransportError);
    EXPECT_THROW(kms::aws::parse_process_output(R"({"Version":1,"AccessKeyId":"a","SecretAccessKey":"s","Expiration":"soon"})", "p"),
                 kms::TransportError);
}

// --- GCP -------------------------------------------------------------------------------------

constexpr const char* kGcpKey = "projects/p/locations/global/keyRings/r/cryptoKeys/sops";
constexpr const char* kAudience = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/gh";
constexpr const char* kServiceAccount = "sops@p.iam.gserviceaccount.com";
constexpr const char* kPrincipal = "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/subject/repo";

class GcpCredentialsTest : public CredentialsTest {
protected:
    void start_gcp(long long ttl_seconds) {
        extra_names_ = {"sts.googleapis.com", "iamcredentials.googleapis.com"};
        start({{"gcp",
                {{"workload_identity_pools", {{kAudience, {{"subject_tokens", {"subject-1", "subject-2"}}, {"subject", kPrincipal}}}}},
                 {"refresh_tokens", {{"rt-1", {{"client_id", "gcp-client"}, {"client_secret", "gcp-secret"}}}}},
                 {"impersonation", {{kServiceAccount, {kPrincipal, "gcp-client"}}}}}}},
              ttl_seconds);
    }
    std::string port() const { return std::to_string(server_->port()); }
    std::string sts_url() const { return "https://sts.googleapis.com:" + port() + "/v1/token"; }
    std::string impersonation_url() const {
        return "https://iamcredentials.googleapis.com:" + port() + "/v1/projects/-/serviceAccounts/" + kServiceAccount + ":generateAccessToken";
    }
    json external_account(const json& source, bool impersonate) const {
        json j = {{"type", "external_account"}, {"audience", kAudience},
                  {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"}, {"token_url", sts_url()}};
        if (!source.is_null()) j["credential_source"] = source;
        if (impersonate) j["service_account_impersonation_url"] = impersonation_url();
        return j;
    }
    void use_credentials_file(const json& doc) {
        write("adc.json", doc.dump());
        env_["GOOGLE_APPLICATION_CREDENTIALS"] = (home_ / "adc.json").string();
    }
    void gcp_round_trip(KeySource& src) {
        StoredKey stored = src.wrap(kms::gcp_kms_recipients(kGcpKey)[0], data_key());
        auto out = src.unwrap(stored);
        ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
        EXPECT_EQ(std::string(out.data_key.view()), std::string(32, '\x5a'));
    }
    std::string gcp_error(KeySource& src) {
        try {
            src.wrap(kms::gcp_kms_recipients(kGcpKey)[0], data_key());
        } catch (const std::exception& e) {
            return e.what();
        }
        ADD_FAILURE() << "wrap succeeded";
        return {};
    }
    std::string exchange() const { return std::string("gcp-token token-exchange ") + kAudience + " 200"; }
};

TEST_F(GcpCredentialsTest, ExternalAccountFromFileIsExchangedAgainWhenTheTokenExpires) {
    start_gcp(30);  // inside the one-minute refresh margin: every call exchanges again
    write("subject", "subject-1\n");
    use_credentials_file(external_account({{"file", (home_ / "subject").string()}}, false));
    auto src = kms::make_gcp_kms_source(settings());
    StoredKey stored = src->wrap(kms::gcp_kms_recipients(kGcpKey)[0], data_key());
    write("subject", "subject-2");  // the issuer rotated the file
    auto out = src->unwrap(stored);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_EQ(count(exchange()), 2u) << log();
    write("subject", "subject-forged");
    std::string err = gcp_error(*src);
    EXPECT_NE(err.find("invalid_grant"), std::string::npos) << err;
    EXPECT_EQ(err.find("subject-forged"), std::string::npos) << err;
}

TEST_F(GcpCredentialsTest, ExternalAccountJsonFileWithImpersonationIsCachedUntilExpiry) {
    start_gcp(3600);
    write("subject.json", json{{"id_token", "subject-1"}}.dump());
    use_credentials_file(external_account(
        {{"file", (home_ / "subject.json").string()}, {"format", {{"type", "json"}, {"subject_token_field_name", "id_token"}}}}, true));
    auto src = kms::make_gcp_kms_source(settings());
    gcp_round_trip(*src);
    gcp_round_trip(*src);
    EXPECT_EQ(count(exchange()), 1u) << log();
    EXPECT_EQ(count(std::string("gcp-token generateAccessToken ") + kServiceAccount + " 200"), 1u) << log();
    EXPECT_EQ(count("gcp decrypt " + std::string(kGcpKey) + " 200"), 2u) << log();
}

TEST_F(GcpCredentialsTest, ExternalAccountInGoogleCredentialsFromUrlSendsItsHeaders) {
    start_gcp(3600);
    httplib::Server issuer;
    issuer.Get("/token", [](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("Metadata") != "true") {
            res.status = 401;
            return;
        }
        res.set_content(R"({"value":"subject-2"})", "application/json");
    });
    int issuer_port = issuer.bind_to_any_port("127.0.0.1");
    std::thread serving([&] { issuer.listen_after_bind(); });
    while (!issuer.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // GOOGLE_CREDENTIALS may hold the document itself.
    env_["GOOGLE_CREDENTIALS"] = external_account({{"url", "http://127.0.0.1:" + std::to_string(issuer_port) + "/token"},
                                                   {"headers", {{"Metadata", "true"}}},
                                                   {"format", {{"type", "json"}, {"subject_token_field_name", "value"}}}},
                                                  false)
                                     .dump();
    auto src = kms::make_gcp_kms_source(settings());
    gcp_round_trip(*src);
    issuer.stop();
    serving.join();
    EXPECT_EQ(count(exchange()), 1u) << log();
}

TEST_F(GcpCredentialsTest, ExternalAccountExecutableRunsOnlyWhenAllowed) {
    start_gcp(3600);
    fs::path script = home_ / "issuer.sh";
    sopskit::test::write_file(script, "#!/bin/sh\necho \"$GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE $GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE\" >> '" +
                                          (home_ / "issuer.runs").string() +
                                          "'\necho '{\"version\":1,\"success\":true,\"token_type\":\"urn:ietf:params:oauth:token-type:jwt\","
                                          "\"id_token\":\"subject-1\",\"expiration_time\":4102444800}'\n");
    fs::permissions(script, fs::perms::owner_all);
    use_credentials_file(external_account({{"executable", {{"command", script.string() + " --flag"}, {"timeout_millis", 5000}}}}, true));
    std::string refused = gcp_error(*kms::make_gcp_kms_source(settings()));
    EXPECT_NE(refused.find("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1"), std::string::npos) << refused;
    EXPECT_FALSE(fs::exists(home_ / "issuer.runs"));
    env_["GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"] = "1";
    gcp_round_trip(*kms::make_gcp_kms_source(settings()));
    EXPECT_EQ(sopskit::test::read_file(home_ / "issuer.runs"), std::string(kAudience) + " 0\n");
    EXPECT_EQ(count(std::string("gcp-token generateAccessToken ") + kServiceAccount + " 200"), 1u) << log();
}

TEST_F(GcpCredentialsTest, ImpersonatedServiceAccountFromAuthorizedUser) {
    start_gcp(3600);
    json source = {{"type", "authorized_user"}, {"client_id", "gcp-client"}, {"client_secret", "gcp-secret"},
                   {"refresh_token", "rt-1"}, {"token_uri", server_->url() + "/token"}};
    use_credentials_file({{"type", "impersonated_service_account"}, {"service_account_impersonation_url", impersonation_url()},
                          {"source_credentials", source}, {"delegates", json::array()}});
    gcp_round_trip(*kms::make_gcp_kms_source(settings()));
    EXPECT_EQ(count("gcp-token refresh_token gcp-client 200"), 1u) << log();
    EXPECT_EQ(count(std::string("gcp-token generateAccessToken ") + kServiceAccount + " 200"), 1u) << log();
    // A caller the service account does not trust is refused by IAM.
    std::string other = impersonation_url();
    other.replace(other.find("sops@"), 4, "other");
    use_credentials_file({{"type", "impersonated_service_account"}, {"service_account_impersonation_url", other}, {"source_credentials", source}});
    std::string err = gcp_error(*kms::make_gcp_kms_source(settings()));
    EXPECT_NE(err.find("PERMISSION_DENIED"), std::string::npos) << err;
}

TEST_F(GcpCredentialsTest, EndpointsOutsideGoogleApisAreRefusedBeforeAnyCall) {
    start_gcp(3600);
    write("subject", "subject-1");
    json doc = external_account({{"file", (home_ / "subject").string()}}, false);
    doc["token_url"] = server_->url() + "/v1/token";  // the emulator's own address: not a Google host
    use_credentials_file(doc);
    std::string err = gcp_error(*kms::make_gcp_kms_source(settings()));
    EXPECT_NE(err.find("token_url is not a sts.googleapis.com URL"), std::string::npos) << err;
    doc = external_account({{"file", (home_ / "subject").string()}}, true);
    doc["service_account_impersonation_url"] = "https://iamcredentials.googleapis.com.evil.example/v1/x:generateAccessToken";
    use_credentials_file(doc);
    err = gcp_error(*kms::make_gcp_kms_source(settings()));
    EXPECT_NE(err.find("service_account_impersonation_url"), std::string::npos) << err;
    EXPECT_EQ(count("gcp-token"), 0u) << log();
}

TEST(kmsGcpFederation, GoogleApiUrlPatterns) {
    for (const char* ok : {"https://sts.googleapis.com/v1/token", "https://sts.googleapis.com:8443/v1/token",
                           "https://us-east1.sts.googleapis.com/v1/token", "https://sts.us-east1.rep.googleapis.com/v1/token",
                           "https://sts.eu.googleapis.com/v1/token", "https://private-sts.googleapis.com/v1/token",
                           "https://sts-xyz.p.googleapis.com/v1/token", "https://STS.GoogleApis.com/v1/token"})
        EXPECT_TRUE(kms::gcp::is_google_api_url(ok, "sts")) << ok;
    for (const char* bad : {"http://sts.googleapis.com/v1/token", "https://sts.googleapis.com.evil.example/v1/token",
                            "https://evilsts.googleapis.com/v1/token", "https://a.b.sts.googleapis.com/v1/token",
                            "https://sts.a.b.googleapis.com/v1/token", "https://iamcredentials.googleapis.com/v1/token",
                            "https://127.0.0.1/v1/token", "https://user@sts.googleapis.com/v1/token", "sts.googleapis.com",
                            "https://sts.googleapis.com@evil.example/v1/token", "https://googleapis.com/v1/token"})
        EXPECT_FALSE(kms::gcp::is_google_api_url(bad, "sts")) << bad;
    EXPECT_TRUE(kms::gcp::is_google_api_url("https://iamcredentials.googleapis.com/v1/x", "iamcredentials"));
}

// --- Azure ------------------------------------------------------------------------------------

class AzureCliTest : public CredentialsTest {
protected:
    void start_azure() {
        extra_names_ = {"kv.vault.azure.net"};
        start({{"azure", {{"tenant", "t1"}, {"static_tokens", {"az-user-token"}}, {"clients", {{"c1", {{"tenant", "t1"}, {"secret", "s1"}}}}}}}},
              3600);
        // No managed identity here: its endpoint is a closed loopback port.
        env_["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:" + std::to_string(sopskit::test::free_loopback_port());
        env_["AZURE_AUTHORITY_HOST"] = server_->url();
        env_["PATH"] = (home_ / "bin").string() + ":/usr/bin:/bin";
    }
    // A fake `az` on PATH: records its arguments, prints a token valid for `lifetime` seconds.
    void fake_az(long lifetime, bool logged_in = true) {
        fs::create_directories(home_ / "bin");
        std::string body = "#!/bin/sh\necho \"$@\" >> '" + (home_ / "az.runs").string() + "'\n";
        if (logged_in)
            body += "echo \"{\\\"accessToken\\\": \\\"az-user-token\\\", \\\"expires_on\\\": $(( $(date +%s) + " + std::to_string(lifetime) +
                    " )), \\\"tokenType\\\": \\\"Bearer\\\"}\"\n";
        else
            body += "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n";
        sopskit::test::write_file(home_ / "bin/az", body);
        fs::permissions(home_ / "bin/az", fs::perms::owner_all);
    }
    std::string key_url() const { return "https://kv.vault.azure.net:" + std::to_string(server_->port()) + "/keys/sops-key"; }
    void azure_round_trip(KeySource& src) {
        StoredKey stored = src.wrap(kms::azure_kv_recipients(key_url())[0], data_key());
        auto out = src.unwrap(stored);
        ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
        EXPECT_EQ(std::string(out.data_key.view()), std::string(32, '\x5a'));
    }
    std::size_t az_runs() const { return lines(home_ / "az.runs"); }
};

TEST_F(AzureCliTest, AzureCliTokenAfterManagedIdentityAndAgainNearExpiry) {
    start_azure();
    fake_az(30);  // inside the one-minute refresh margin
    azure_round_trip(*kms::make_azure_kv_source(settings()));
    ASSERT_EQ(az_runs(), 3u);  // one per Key Vault call: the key's version, encrypt, decrypt
    EXPECT_EQ(sopskit::test::read_file(home_ / "az.runs").substr(0, sopskit::test::read_file(home_ / "az.runs").find('\n')),
              "account get-access-token --output json --resource https://vault.azure.net --tenant t1");
    fs::remove(home_ / "az.runs");
    fake_az(3600);
    azure_round_trip(*kms::make_azure_kv_source(settings()));
    EXPECT_EQ(az_runs(), 1u);
}

TEST_F(AzureCliTest, EnvironmentCredentialComesBeforeTheCliAndALoggedOutCliSaysSo) {
    start_azure();
    fake_az(3600);
    env_["AZURE_TENANT_ID"] = "t1";
    env_["AZURE_CLIENT_ID"] = "c1";
    env_["AZURE_CLIENT_SECRET"] = "s1";
    azure_round_trip(*kms::make_azure_kv_source(settings()));
    EXPECT_EQ(az_runs(), 0u);
    EXPECT_EQ(count("azure-token client_secret c1 200"), 1u) << log();

    env_.erase("AZURE_CLIENT_SECRET");
    env_.erase("AZURE_TENANT_ID");
    env_.erase("AZURE_CLIENT_ID");
    fake_az(3600, false);
    std::string err;
    try {
        kms::make_azure_kv_source(settings())->wrap(kms::azure_kv_recipients(key_url())[0], data_key());
    } catch (const std::exception& e) {
        err = e.what();
    }
    EXPECT_NE(err.find("az login"), std::string::npos) << err;
    EXPECT_NE(err.find("managed identity"), std::string::npos) << err;
    // A decryption Secret's settings never run the CLI.
    kms::KmsSettings tenant = settings();
    tenant.isolated = true;
    tenant.azure = kms::AzureCredentials{"t1", "c1", "wrong", "", "", server_->url()};
    fs::remove(home_ / "az.runs");
    EXPECT_THROW(kms::make_azure_kv_source(tenant)->wrap(kms::azure_kv_recipients(key_url())[0], data_key()), std::exception);
    EXPECT_EQ(az_runs(), 0u);
}

TEST(kmsAzureCli, TokenJson) {
    std::time_t now = 1'700'000'000;
    auto t = kms::azure::parse_cli_token(R"({"accessToken":"a","expires_on":1700000600})", now);
    EXPECT_EQ(t.access_token, "a");
    EXPECT_EQ(t.expires, 1'700'000'600);
    EXPECT_EQ(kms::azure::parse_cli_token(R"({"accessToken":"a","expires_on":"1700000600"})", now).expires, 1'700'000'600);
    // Out of range or unknown: bounded, never "does not expire".
    EXPECT_EQ(kms::azure::parse_cli_token(R"({"accessToken":"a","expires_on":99999999999999})", now).expires, now + 24 * 3600);
    EXPECT_EQ(kms::azure::parse_cli_token(R"({"accessToken":"a"})", now).expires, now);
    EXPECT_THROW(kms::azure::parse_cli_token(R"({"token":"a"})", now), std::runtime_error);
}

// --- Federated tokens handed by the caller (the Flux controller) -----------------------------

TEST_F(GcpCredentialsTest, IsolatedSettingsNeverReadACredentialSourceButTakeAHandedToken) {
    start_gcp(30);
    write("subject", "subject-1");
    kms::KmsSettings tenant = settings();
    tenant.isolated = true;
    tenant.gcp_credentials_json = external_account({{"file", (home_ / "subject").string()}}, false).dump();
    std::string err = gcp_error(*kms::make_gcp_kms_source(tenant));
    EXPECT_NE(err.find("credential_source is not read"), std::string::npos) << err;
    EXPECT_EQ(count("gcp-token"), 0u) << log();

    int handed = 0;
    kms::KmsSettings federated = settings();
    federated.isolated = true;
    federated.federated = kms::FederatedToken{[&handed] { return ++handed == 1 ? std::string("subject-1") : std::string("subject-2"); },
                                              "", "", external_account(json(), true).dump()};
    gcp_round_trip(*kms::make_gcp_kms_source(federated));
    EXPECT_EQ(handed, 2);  // asked again when the short-lived federated token expired
    EXPECT_EQ(count(exchange()), 2u) << log();
    EXPECT_EQ(count(std::string("gcp-token generateAccessToken ") + kServiceAccount + " 200"), 2u) << log();
}

TEST_F(CredentialsTest, AwsWebIdentityWithAHandedTokenInIsolatedSettings) {
    start({{"aws", {{"web_identity_tokens", {"handed-jwt"}}}}}, 3600);
    // The process environment of a controller: its own keys must not be used.
    env_["AWS_ACCESS_KEY_ID"] = kAkid;
    env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
    int handed = 0;
    kms::KmsSettings s = settings();
    s.isolated = true;
    s.federated = kms::FederatedToken{[&handed] { ++handed; return std::string("handed-jwt"); }, kRole, "tenant-a", std::nullopt};
    aws_round_trip(*kms::make_aws_kms_source(s));
    EXPECT_EQ(handed, 1);
    EXPECT_EQ(count(std::string("sts AssumeRoleWithWebIdentity ") + kRole + " 200"), 1u) << log();
    s.federated->token = [] { return std::string("forged-jwt"); };
    std::string err = aws_error(*kms::make_aws_kms_source(s));
    EXPECT_NE(err.find("InvalidIdentityToken"), std::string::npos) << err;
}

}  // namespace

// Found by fuzz_kms_credentials: a credentials document whose fields have the wrong JSON type
// ("type": {...}, "token_uri": 7) escaped as nlohmann's type_error instead of the refusal the
// callers expect. Each is now refused with a runtime_error, and no request is sent.
TEST(FuzzRegressions, GoogleCredentialsWithNonStringFieldsAreRefused) {
    int requests = 0;
    kms::set_http_transport([&](const kms::HttpRequest&) {
        ++requests;
        return kms::HttpResponse{};
    });
    for (const char* doc : {R"({"type":{"file":"/nonexistent"}})", R"({"type":"service_account","client_email":7,"private_key":[]})",
                            R"({"type":"authorized_user","token_uri":7,"client_id":{},"refresh_token":1})",
                            R"({"type":"impersonated_service_account","service_account_impersonation_url":[1]})",
                            R"({"type":"impersonated_service_account","service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@b:generateAccessToken","source_credentials":{"type":5}})"}) {
        SCOPED_TRACE(doc);
        EXPECT_THROW((void)kms::gcp::token_from_credentials_json(doc, kms::HttpOptions{}, 1'700'000'000, kms::gcp::LocalSources{}),
                     std::runtime_error);
    }
    kms::set_http_transport({});
    EXPECT_EQ(requests, 0);
}
