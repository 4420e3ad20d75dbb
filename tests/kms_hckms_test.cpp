// HuaweiCloud KMS (`hckms`): the SDK-HMAC-SHA256 signer against the SDK's own known answers, key
// ids and regions as sops reads them (and hostile ones refused before any request), credentials
// from the SDK's file, and the CLI end to end through the emulator, whose gateway refuses a bad
// signature: encrypt, decrypt, rotate, --add/--rm-hckms, SOPS_HUAWEICLOUD_KMS_IDS, .sops.yaml
// creation rules and key groups, `groups add --hckms`.
#include <algorithm>
#include <filesystem>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "hckms/hckms.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/kms/emulator.hpp"
#include "sopskit/kms/sdk_hmac.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
namespace hckms = sopskit::kms::hckms;
namespace sh = sopskit::kms::sdk_hmac;
using nlohmann::json;
using sopskit::test::RunResult;

namespace {

const char* kAk = "HCKMSE2EACCESSKEY001";
const char* kSk = "hckms-e2e-secret-key-0000000000000000000";
const char* kTemporaryAk = "HCKMSE2ETEMPORARY001";
const char* kProject = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const char* kKey1 = "tr-west-1:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c";
const char* kKey2 = "tr-west-1:7c6d5e4f-3a2b-4c1d-9e8f-7a6b5c4d3e2f";
const char* kPlain = "db:\n    password: correct-horse-battery\n";

}  // namespace

// --- signing -----------------------------------------------------------------------------------

// huaweicloud-sdk-go-v3 core/auth/signer/signer_test.go: GET /path?limit=1 with only X-Sdk-Date
// signed (a name with '_' never is).
TEST(HckmsSigning, MatchesTheSdksKnownAnswer) {
    sh::Request r;
    r.method = "GET";
    r.path = "/path";
    r.query = "limit=1";
    r.headers = {{"TEST_UNDERSCORE", "TEST_VALUE"}};
    sh::sign(r, "AccessKey", "SecretKey", "20060102T150405Z");
    EXPECT_EQ(*r.header("Authorization"),
              "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
              "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
    EXPECT_EQ(*r.header("X-Sdk-Date"), "20060102T150405Z");
    EXPECT_TRUE(sh::verify(r, "SecretKey"));
}

// The same file's POST case: a JSON body (the SDK's encoder ends it with a newline) is hashed
// into the signature; Content-Type is never signed.
TEST(HckmsSigning, MatchesTheSdksKnownAnswerWithABody) {
    sh::Request r;
    r.method = "POST";
    r.path = "/path";
    r.query = "key=value";
    r.headers = {{"TEST_UNDERSCORE", "TEST_VALUE"}, {"Content-Type", "application/json"}};
    r.body = "{\"Name\":\"test\",\"Id\":1}\n";
    sh::sign(r, "AccessKey", "SecretKey", "20060102T150405Z");
    EXPECT_EQ(*r.header("Authorization"),
              "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
              "Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
}

TEST(HckmsSigning, CanonicalFormAsTheSdkBuildsIt) {
    EXPECT_EQ(sh::canonical_uri("/v1.0/p/kms/encrypt-data"), "/v1.0/p/kms/encrypt-data/");
    EXPECT_EQ(sh::canonical_uri("/a b/c"), "/a%20b/c/");
    EXPECT_EQ(sh::canonical_query("b=2&a=x%20y&a=1"), "a=1&a=x%20y&b=2");
    sh::Request r;
    r.method = "POST";
    r.path = "/v1.0/p/kms/encrypt-data";
    r.headers = {{"Host", "kms.tr-west-1.myhuaweicloud.com"}, {"Content-Type", "application/json;charset=UTF-8"}, {"X-Project-Id", "p"}};
    EXPECT_EQ(sh::headers_to_sign(r), (std::vector<std::string>{"host", "x-project-id"}));
}

TEST(HckmsSigning, VerifyRefusesAnyChange) {
    sh::Request r;
    r.method = "POST";
    r.path = "/v1.0/p/kms/decrypt-data";
    r.headers = {{"Host", "h"}, {"X-Project-Id", "p"}};
    r.body = R"({"cipher_text":"x"})";
    sh::sign(r, "AK", "SK", "20260101T000000Z");
    ASSERT_TRUE(sh::verify(r, "SK"));
    EXPECT_FALSE(sh::verify(r, "SK2"));
    sh::Request body = r;
    body.body += " ";
    EXPECT_FALSE(sh::verify(body, "SK"));
    sh::Request date = r;
    date.set_header("X-Sdk-Date", "20260101T000001Z");
    EXPECT_FALSE(sh::verify(date, "SK"));
    sh::Request project = r;
    project.set_header("X-Project-Id", "q");
    EXPECT_FALSE(sh::verify(project, "SK"));
    sh::Request path = r;
    path.path = "/v1.0/p/kms/encrypt-data";
    EXPECT_FALSE(sh::verify(path, "SK"));
    // A signature that leaves the date out could be replayed under any date.
    sh::Request undated = r;
    undated.set_header("Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=" + std::string(64, '0'));
    EXPECT_FALSE(sh::verify(undated, "SK"));
    EXPECT_FALSE(sh::parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=zz"));
    EXPECT_FALSE(sh::parse_authorization("AWS4-HMAC-SHA256 Credential=a"));
}

// --- key ids, regions, credentials -------------------------------------------------------------

TEST(HckmsKeyIds, ParsedAsSopsSplitsThem) {
    auto k = hckms::parse_key_id(" tr-west-1 : 0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c ");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->region, "tr-west-1");
    EXPECT_EQ(k->key_uuid, "0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c");
    EXPECT_FALSE(hckms::parse_key_id("0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c"));   // no region
    EXPECT_FALSE(hckms::parse_key_id(":0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c"));  // empty region
    EXPECT_FALSE(hckms::parse_key_id("tr-west-1:"));                              // empty key
}

TEST(HckmsKeyIds, HostileRegionsAndKeysAreRefused) {
    const std::string uuid = "0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c";
    for (const std::string& region : std::vector<std::string>{"evil.example", "127.0.0.1", "tr-west-1.evil.example", "tr-west-1/x", "tr-west-1@evil",
                               "TR-WEST-1", "tr west", "-tr", "a\nb", std::string(64, 'a')})
        EXPECT_FALSE(hckms::parse_key_id(region + ":" + uuid)) << region;
    for (const std::string& key : std::vector<std::string>{"../../x", "0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c/x", "0B5F1E1C-1D2E-4F3A-8B9C-0D1E2F3A4B5C",
                            "alias/x", "0b5f1e1c1d2e4f3a8b9c0d1e2f3a4b5c", std::string(300, 'a')})
        EXPECT_FALSE(hckms::parse_key_id("tr-west-1:" + key)) << key;
}

TEST(HckmsKeyIds, EndpointsComeFromTheTableOrTheOperator) {
    auto none = sopskit::kms::map_env([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
    EXPECT_EQ(hckms::endpoint(none, "tr-west-1"), "https://kms.tr-west-1.myhuaweicloud.com");
    EXPECT_EQ(hckms::endpoint(none, "eu-west-101"), "https://kms.eu-west-101.myhuaweicloud.eu");
    EXPECT_FALSE(hckms::endpoint(none, "xx-nowhere-1"));
    EXPECT_FALSE(hckms::endpoint(none, "evil.example"));
    auto over = sopskit::kms::map_env([](const std::string& n) -> std::optional<std::string> {
        if (n == "HUAWEICLOUD_SDK_REGION_KMS_XX_LAB_1") return "https://127.0.0.1:8443/,https://other";
        return std::nullopt;
    });
    EXPECT_EQ(hckms::endpoint(over, "xx-lab-1"), "https://127.0.0.1:8443");
}

TEST(HckmsCredentials, BasicSectionOfTheSdkFile) {
    auto c = hckms::credentials_from_ini("[global]\nak = G\nsk = G\n\n[basic]\n# comment\nak = AK1\nsk = SK1\nproject_id = p1\n"
                                         "security_token = \"tok\"\n");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key, "AK1");
    EXPECT_EQ(c->secret_key, "SK1");
    EXPECT_EQ(c->project_id, "p1");
    EXPECT_EQ(c->security_token, "tok");
    auto env = hckms::credentials_from_env(sopskit::kms::map_env([](const std::string& n) -> std::optional<std::string> {
        if (n == "HUAWEICLOUD_SDK_AK") return "AK2";
        if (n == "HUAWEICLOUD_SDK_SK") return "SK2";
        return std::nullopt;
    }));
    ASSERT_TRUE(env);
    EXPECT_EQ(env->access_key, "AK2");
    EXPECT_EQ(env->secret_key, "SK2");
    EXPECT_TRUE(env->project_id.empty());
    EXPECT_TRUE(env->iam_endpoint.empty());
    EXPECT_TRUE(env->security_token.empty());
    EXPECT_FALSE(hckms::credentials_from_ini("[global]\nak = G\nsk = G\n"));
    EXPECT_FALSE(hckms::credentials_from_ini("[basic]\nak = A\n"));
}

TEST(HckmsCredentials, MetadataServiceSecurityKey) {
    auto c = hckms::credentials_from_securitykey(
        R"({"credential":{"access":"TMPAK","secret":"TMPSK","securitytoken":"tok","expires_at":"2030-01-01T00:00:00.000000Z"}})", 1'800'000'000);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key, "TMPAK");
    EXPECT_EQ(c->security_token, "tok");
    EXPECT_TRUE(c->iam_endpoint.empty());
    EXPECT_EQ(c->expires, 1'800'000'000 + 24 * 3600);  // clamped to a day
    EXPECT_FALSE(hckms::credentials_from_securitykey(R"({"credential":{"access":"A","secret":"S"}})", 0));
    EXPECT_FALSE(hckms::credentials_from_securitykey("not json", 0));
}

TEST(HckmsCredentials, ProjectIdFromIamAsTheSdkFindsIt) {
    auto none = sopskit::kms::map_env([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
    EXPECT_EQ(hckms::iam_endpoint(none, "", "tr-west-1"), "https://iam.tr-west-1.myhuaweicloud.com");
    EXPECT_EQ(hckms::iam_endpoint(none, "", "eu-west-101"), "https://iam.myhuaweicloud.com");
    EXPECT_EQ(hckms::iam_endpoint(none, "iam.example.test", "tr-west-1"), "https://iam.example.test");
    auto env = sopskit::kms::map_env([](const std::string& n) -> std::optional<std::string> {
        if (n == "HUAWEICLOUD_SDK_IAM_ENDPOINT") return "https://127.0.0.1:9";
        return std::nullopt;
    });
    EXPECT_EQ(hckms::iam_endpoint(env, "iam.example.test", "tr-west-1"), "https://127.0.0.1:9");
    EXPECT_EQ(hckms::project_id_from_answer(R"({"projects":[{"id":"0a1b","name":"tr-west-1"}]})", "tr-west-1"), "0a1b");
    EXPECT_THROW(hckms::project_id_from_answer(R"({"projects":[]})", "tr-west-1"), std::runtime_error);
    EXPECT_THROW(hckms::project_id_from_answer(R"({"projects":[{"id":"a"},{"id":"b"}]})", "tr-west-1"), std::runtime_error);
    EXPECT_THROW(hckms::project_id_from_answer(R"({"projects":[{"id":"../x"}]})", "tr-west-1"), std::runtime_error);
    EXPECT_THROW(hckms::project_id_from_answer("<html>", "tr-west-1"), std::runtime_error);
}

// --- end to end --------------------------------------------------------------------------------

namespace {

class HckmsEndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        json state = {{"hckms",
                       {{"credentials",
                         {{kAk, {{"secret", kSk}, {"project_id", kProject}}},
                          // the ECS agency's temporary keys: the gateway wants their security token
                          {kTemporaryAk, {{"secret", "tmp-secret"}, {"project_id", kProject}, {"security_token", "tmp-token"}}}}}}}};
        sopskit::test::write_file(dir_ / "state.json", state.dump());
        emu::Options o;
        o.state_path = (dir_ / "state.json").string();
        o.log_path = (dir_ / "calls.log").string();
        server_ = std::make_unique<emu::Emulator>(o);
        server_->start();
        sopskit::test::write_file(dir_ / "ca.pem", server_->cert_pem());
        sopskit::test::write_file(dir_ / "plain.yaml", kPlain);
    }
    void TearDown() override { server_.reset(); }

    std::string transport_env() const {
        std::string ca = (dir_ / "ca.pem").string();
        return "env -i PATH=/usr/bin:/bin HOME=" + dir_.string() + " SSL_CERT_FILE=" + ca +
               " HUAWEICLOUD_SDK_REGION_KMS_TR_WEST_1=" + server_->url() + " SOPSKIT_KMS_RETRY_BASE_MS=5 SOPSKIT_KMS_TIMEOUT_S=10 ";
    }
    std::string credentials_env(const std::string& sk = kSk) const {
        return std::string("HUAWEICLOUD_SDK_AK=") + kAk + " HUAWEICLOUD_SDK_SK=" + sk + " HUAWEICLOUD_SDK_PROJECT_ID=" + kProject + " ";
    }
    RunResult cli(const std::string& args, const std::string& env) const {
        return sopskit::test::run("cd " + dir_.string() + " && " + transport_env() + env + " " + sopskit::test::cli_path() + " " + args);
    }
    std::string encrypt_to(const std::string& name, const std::string& flags, const std::string& env) {
        auto r = cli("encrypt " + flags + " plain.yaml", env);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        sopskit::test::write_file(dir_ / name, r.out);
        return r.out;
    }
    std::string log() const { return sopskit::test::read_file(dir_ / "calls.log"); }
    static std::size_t count(const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    }

    fs::path dir_;
    std::unique_ptr<emu::Emulator> server_;
};

}  // namespace

TEST_F(HckmsEndToEnd, RoundTripsWithMetadataAsSopsWritesIt) {
    std::string out = encrypt_to("a.yaml", std::string("--hckms ") + kKey1, credentials_env());
    EXPECT_EQ(out.find("correct-horse-battery"), std::string::npos);
    // sops' hckmskey: key_id, created_at, enc; written with the fields sorted.
    EXPECT_EQ(sopskit::test::metadata_shape(out).find("    hckms:\n        - created_at: *\n          enc: *\n          key_id: *\n") !=
                  std::string::npos,
              true)
        << sopskit::test::metadata_shape(out);
    EXPECT_NE(out.find(std::string("\n          key_id: ") + kKey1 + "\n"), std::string::npos) << out;
    auto dec = cli("decrypt a.yaml", credentials_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
    EXPECT_NE(log().find("hckms encrypt-data 0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c 200"), std::string::npos) << log();
    EXPECT_NE(log().find("hckms decrypt-data 0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c 200"), std::string::npos) << log();

    // JSON: the same three fields, sorted, under "hckms".
    sopskit::test::write_file(dir_ / "plain.json", R"({"password": "correct-horse-battery"})");
    auto json_enc = cli(std::string("encrypt --hckms ") + kKey1 + " plain.json", credentials_env());
    ASSERT_EQ(json_enc.exit_code, 0) << json_enc.err;
    auto doc = json::parse(json_enc.out);
    ASSERT_TRUE(doc["sops"]["hckms"].is_array()) << json_enc.out;
    const auto& entry = doc["sops"]["hckms"][0];
    std::vector<std::string> fields;
    for (const auto& [k, v] : entry.items()) fields.push_back(k);
    EXPECT_EQ(fields, (std::vector<std::string>{"created_at", "enc", "key_id"})) << json_enc.out;
    EXPECT_EQ(entry["key_id"], kKey1);
    EXPECT_LT(json_enc.out.find("\"created_at\""), json_enc.out.find("\"key_id\"")) << json_enc.out;
}

TEST_F(HckmsEndToEnd, RotatesAndAddsAndRemovesKeys) {
    encrypt_to("r.yaml", std::string("--hckms ") + kKey1, credentials_env());
    std::string before = sopskit::test::read_file(dir_ / "r.yaml");
    auto rot = cli(std::string("rotate -i --add-hckms ") + kKey2 + " r.yaml", credentials_env());
    ASSERT_EQ(rot.exit_code, 0) << rot.err;
    std::string after = sopskit::test::read_file(dir_ / "r.yaml");
    EXPECT_NE(after, before);
    EXPECT_NE(after.find(std::string("key_id: ") + kKey1), std::string::npos);
    EXPECT_NE(after.find(std::string("key_id: ") + kKey2), std::string::npos);
    auto rm = cli(std::string("rotate -i --rm-hckms ") + kKey1 + " r.yaml", credentials_env());
    ASSERT_EQ(rm.exit_code, 0) << rm.err;
    after = sopskit::test::read_file(dir_ / "r.yaml");
    EXPECT_EQ(after.find(std::string("key_id: ") + kKey1), std::string::npos) << after;
    auto dec = cli("decrypt r.yaml", credentials_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
}

TEST_F(HckmsEndToEnd, KeysFromTheEnvironmentConfigAndKeyGroups) {
    std::string out = encrypt_to("env.yaml", "", credentials_env() + "SOPS_HUAWEICLOUD_KMS_IDS=" + kKey1 + " ");
    EXPECT_NE(out.find(std::string("key_id: ") + kKey1), std::string::npos) << out;

    sopskit::test::write_file(dir_ / ".sops.yaml", std::string("creation_rules:\n  - path_regex: rule\\.yaml$\n    hckms:\n      - ") + kKey1 +
                                                       "\n  - path_regex: groups\\.yaml$\n    key_groups:\n      - hckms:\n"
                                                       "          - key_id: " + kKey1 + "\n      - hckms:\n          - key_id: " + kKey2 +
                                                       "\n    shamir_threshold: 2\n");
    sopskit::test::write_file(dir_ / "rule.yaml", kPlain);
    auto rule = cli("encrypt rule.yaml", credentials_env());
    ASSERT_EQ(rule.exit_code, 0) << rule.err;
    EXPECT_NE(rule.out.find(std::string("key_id: ") + kKey1), std::string::npos) << rule.out;
    sopskit::test::write_file(dir_ / "groups.yaml", kPlain);
    auto groups = cli("encrypt -i groups.yaml", credentials_env());
    ASSERT_EQ(groups.exit_code, 0) << groups.err;
    std::string g = sopskit::test::read_file(dir_ / "groups.yaml");
    EXPECT_EQ(count(g, "hckms:"), 2u) << g;
    auto dec = cli("decrypt groups.yaml", credentials_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);

    auto add = cli(std::string("groups add -i -f env.yaml --hckms ") + kKey2, credentials_env());
    ASSERT_EQ(add.exit_code, 0) << add.err;
    std::string e = sopskit::test::read_file(dir_ / "env.yaml");
    EXPECT_NE(e.find("key_groups:"), std::string::npos) << e;
    EXPECT_NE(e.find(std::string("key_id: ") + kKey2), std::string::npos) << e;
}

TEST_F(HckmsEndToEnd, UpdatekeysFollowsTheCreationRule) {
    auto rule = [&](const char* key) {
        sopskit::test::write_file(dir_ / ".sops.yaml", std::string("creation_rules:\n  - path_regex: u\\.yaml$\n    hckms:\n      - ") + key + "\n");
    };
    rule(kKey1);
    sopskit::test::write_file(dir_ / "u.yaml", kPlain);
    auto enc = cli("encrypt -i u.yaml", credentials_env());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    rule(kKey2);
    auto upd = cli("updatekeys -y u.yaml", credentials_env());
    ASSERT_EQ(upd.exit_code, 0) << upd.err;
    std::string u = sopskit::test::read_file(dir_ / "u.yaml");
    EXPECT_EQ(u.find(std::string("key_id: ") + kKey1), std::string::npos) << u;
    EXPECT_NE(u.find(std::string("key_id: ") + kKey2), std::string::npos) << u;
    auto dec = cli("decrypt u.yaml", credentials_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
}

TEST_F(HckmsEndToEnd, CredentialsFileAsTheSdkReadsIt) {
    fs::create_directories(dir_ / ".huaweicloud");
    sopskit::test::write_file(dir_ / ".huaweicloud" / "credentials",
                              std::string("[basic]\nak = ") + kAk + "\nsk = " + kSk + "\nproject_id = " + kProject + "\n");
    encrypt_to("f.yaml", std::string("--hckms ") + kKey1, "");
    auto dec = cli("decrypt f.yaml", "");
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
}

TEST_F(HckmsEndToEnd, MissingProjectIdIsAskedFromIam) {
    std::string env = std::string("HUAWEICLOUD_SDK_AK=") + kAk + " HUAWEICLOUD_SDK_SK=" + kSk +
                      " HUAWEICLOUD_SDK_IAM_ENDPOINT=" + server_->url() + " ";
    encrypt_to("p.yaml", std::string("--hckms ") + kKey1, env);
    auto dec = cli("decrypt p.yaml", env);
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
    EXPECT_EQ(count(log(), "hckms KeystoneListProjects tr-west-1 200"), 2u) << log();
}

TEST_F(HckmsEndToEnd, MetadataServiceKeysWithTheirSecurityToken) {
    // No AK/SK anywhere: the chain ends at the metadata service, whose keys have no project id.
    std::string env = "SOPSKIT_HUAWEICLOUD_METADATA_ENDPOINT=" + server_->url() + " HUAWEICLOUD_SDK_IAM_ENDPOINT=" + server_->url() + " ";
    encrypt_to("m.yaml", std::string("--hckms ") + kKey1, env);
    auto dec = cli("decrypt m.yaml", env);
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kPlain);
    EXPECT_NE(log().find(std::string("hckms-metadata securitykey ") + kTemporaryAk + " 200"), std::string::npos) << log();
    EXPECT_EQ(count(log(), "hckms encrypt-data 0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c 200"), 1u) << log();

    auto none = cli("decrypt m.yaml", "SOPSKIT_HUAWEICLOUD_METADATA_ENDPOINT=https://127.0.0.1:1 ");
    EXPECT_NE(none.exit_code, 0);
    EXPECT_NE(none.err.find("no HuaweiCloud credentials found"), std::string::npos) << none.err;
}

TEST_F(HckmsEndToEnd, WrongSecretIsRefusedByTheGateway) {
    encrypt_to("s.yaml", std::string("--hckms ") + kKey1, credentials_env());
    auto dec = cli("decrypt s.yaml", credentials_env("not-the-secret"));
    EXPECT_NE(dec.exit_code, 0);
    EXPECT_NE(dec.err.find("HTTP 401 APIGW.0301"), std::string::npos) << dec.err;
    EXPECT_NE(dec.err.find("verify aksk signature fail"), std::string::npos) << dec.err;
    EXPECT_EQ(dec.err.find("not-the-secret"), std::string::npos) << dec.err;
    EXPECT_EQ(dec.out.find("correct-horse-battery"), std::string::npos);

    // And straight at the server: a correctly formed request whose signature is off by one digit.
    sh::Request r;
    r.method = "POST";
    r.path = std::string("/v1.0/") + kProject + "/kms/encrypt-data";
    r.headers = {{"Host", "127.0.0.1:" + std::to_string(server_->port())}, {"X-Project-Id", kProject}};
    r.body = R"({"key_id":"0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c","plain_text":"aGk="})";
    std::string sig = sh::sign(r, kAk, kSk, "20990101T000000Z");
    httplib::SSLClient c("127.0.0.1", server_->port());
    c.set_ca_cert_path((dir_ / "ca.pem").c_str());
    auto send = [&](const sh::Request& req) {
        httplib::Headers h;
        for (const auto& x : req.headers)
            if (x.name != "Host") h.emplace(x.name, x.value);
        return c.Post(req.path, h, req.body, "application/json;charset=UTF-8");
    };
    // Far-future date: refused as expired even though the signature is right.
    auto late = send(r);
    ASSERT_TRUE(late);
    EXPECT_EQ(late->status, 401);
    r.headers.erase(r.headers.end() - 2, r.headers.end());  // X-Sdk-Date, Authorization
    std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
    sig = sh::sign(r, kAk, kSk, date);
    auto good = send(r);
    ASSERT_TRUE(good);
    EXPECT_EQ(good->status, 200) << good->body;
    sh::Request bad = r;
    std::string tampered = sig;
    tampered.back() = tampered.back() == '0' ? '1' : '0';
    std::string auth = *bad.header("Authorization");
    bad.set_header("Authorization", auth.substr(0, auth.size() - sig.size()) + tampered);
    auto refused = send(bad);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    EXPECT_NE(refused->body.find("verify aksk signature fail"), std::string::npos) << refused->body;
}

TEST_F(HckmsEndToEnd, HostileKeyIdsInMetadataFailCleanlyWithoutARequest) {
    std::string good = encrypt_to("h.yaml", std::string("--hckms ") + kKey1, credentials_env());
    std::size_t calls = count(log(), "hckms ");
    for (const std::string& hostile : std::vector<std::string>{"evil.example:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c", "127.0.0.1:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c",
                                "tr-west-1:../../../v1.0/x", "xx-nowhere-1:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c"}) {
        std::string file = good;
        std::string from = std::string("key_id: ") + kKey1;
        file.replace(file.find(from), from.size(), "key_id: " + hostile);
        sopskit::test::write_file(dir_ / "hostile.yaml", file);
        auto dec = cli("decrypt hostile.yaml", credentials_env());
        EXPECT_NE(dec.exit_code, 0) << hostile;
        // sops' report: the file, then one line per key naming it and why, nothing else.
        EXPECT_EQ(dec.err.rfind("sopskit: hostile.yaml: Failed to get the data key required to decrypt the SOPS file:\n  group 0:\n"
                                "    hckms " + hostile + ": failed to decrypt sops data key with HuaweiCloud KMS key " + hostile + ": ",
                                0),
                  0u)
            << dec.err;
        EXPECT_TRUE(dec.err.find("invalid key ID, expected 'region:key-uuid'") != std::string::npos ||
                    dec.err.find("is not a HuaweiCloud KMS region") != std::string::npos)
            << dec.err;
        EXPECT_EQ(std::count(dec.err.begin(), dec.err.end(), '\n'), 3) << dec.err;
    }
    EXPECT_EQ(count(log(), "hckms "), calls) << log();
    auto enc = cli("encrypt --hckms evil.example:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c plain.yaml", credentials_env());
    EXPECT_NE(enc.exit_code, 0);
    EXPECT_NE(enc.err.find("invalid key ID"), std::string::npos) << enc.err;
}
