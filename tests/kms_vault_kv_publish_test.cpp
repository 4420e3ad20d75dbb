// The KMS emulator's Vault KV (v1 at kv/, v2 at secret/, plain HTTP as `vault server -dev`), and
// `sopskit publish` to it from .sops.yaml destination_rules, read back over the wire.
#include <filesystem>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "sopskit/kms/emulator.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
using nlohmann::json;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

class VaultKv : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        write_file(dir_ / "state.json", R"({"vault":{"tokens":{"root-token":{"namespace":""}}}})");
        emu::Options o;
        o.state_path = (dir_ / "state.json").string();
        o.quiet = true;
        o.vault_kv_port = 0;
        server_ = std::make_unique<emu::Emulator>(o);
        server_->start();
        url_ = server_->vault_kv_url();
        client_ = std::make_unique<httplib::Client>(url_);
    }
    void TearDown() override {
        if (server_) server_->stop();
    }
    httplib::Headers token(const std::string& t = "root-token") { return {{"X-Vault-Token", t}}; }
    json get_json(const std::string& path) {
        auto r = client_->Get(path, token());
        if (!r || r->status != 200) return nullptr;
        return json::parse(r->body);
    }
    fs::path dir_;
    std::unique_ptr<emu::Emulator> server_;
    std::string url_;
    std::unique_ptr<httplib::Client> client_;
};

}  // namespace

TEST_F(VaultKv, ServesV1AndV2OverPlainHttp) {
    ASSERT_EQ(url_.rfind("http://127.0.0.1:", 0), 0u) << url_;
    auto v1 = client_->Put("/v1/kv/app/db", token(), R"({"user":"u","n":2})", "application/json");
    ASSERT_TRUE(v1);
    EXPECT_EQ(v1->status, 204);
    EXPECT_EQ(get_json("/v1/kv/app/db")["data"], json({{"user", "u"}, {"n", 2}}));

    auto v2 = client_->Post("/v1/secret/data/app/db", token(), R"({"data":{"k":"v"}})", "application/json");
    ASSERT_TRUE(v2);
    EXPECT_EQ(v2->status, 200);
    EXPECT_EQ(json::parse(v2->body)["data"]["version"], 1);
    auto again = client_->Post("/v1/secret/data/app/db", token(), R"({"data":{"k":"w"}})", "application/json");
    EXPECT_EQ(json::parse(again->body)["data"]["version"], 2);
    json read = get_json("/v1/secret/data/app/db");
    EXPECT_EQ(read["data"]["data"], json({{"k", "w"}}));
    EXPECT_EQ(read["data"]["metadata"]["version"], 2);

    // Wrong token, missing secret, a v2 write without data, a path escaping its mount.
    EXPECT_EQ(client_->Get("/v1/kv/app/db", token("wrong"))->status, 403);
    EXPECT_EQ(client_->Get("/v1/kv/none", token())->status, 404);
    EXPECT_EQ(client_->Put("/v1/secret/data/x", token(), R"({"k":"v"})", "application/json")->status, 400);
    EXPECT_EQ(client_->Put("/v1/kv/a/../b", token(), R"({"k":"v"})", "application/json")->status, 400);
    EXPECT_EQ(client_->Get("/v1/secret/metadata/app/db", token())->status, 404);
}

TEST_F(VaultKv, PublishWritesDecryptedValuesToTheDestinationRule) {
    auto conf = sopskit::test::conformance_dir();
    if (!conf) GTEST_SKIP() << "../shared/conformance not present: publish decrypts with upstream's PGP test key";
    if (!sopskit::test::have_program("gpg")) GTEST_SKIP() << "gpg not installed";
    fs::path home = dir_ / "gnupg";
    fs::create_directory(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    std::string env = "GNUPGHOME='" + home.string() + "' HOME='" + dir_.string() + "' SOPS_AGE_KEY_FILE=/nonexistent VAULT_ADDR='" +
                      url_ + "' VAULT_TOKEN=root-token ";
    ASSERT_EQ(run(env + "gpg --batch --quiet --import '" + (*conf / "sops/pgp/sops_functional_tests_key.asc").string() + "'").exit_code, 0);
    write_file(dir_ / ".sops.yaml",
               "creation_rules:\n  - pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n"
               "destination_rules:\n"
               "  - vault_path: team/\n    vault_kv_mount_name: secret/\n    vault_kv_version: 2\n    path_regex: v2\\.json$\n"
               "  - vault_path: old\n    vault_kv_mount_name: kv\n    vault_kv_version: 1\n    path_regex: v1\\.json$\n"
               "  - s3_bucket: b\n    path_regex: s3\\.json$\n");
    std::string cli = "cd '" + dir_.string() + "' && " + env + "'" + sopskit::test::cli_path() + "' ";
    for (const char* f : {"v2.json", "v1.json", "s3.json"}) {
        write_file(dir_ / f, R"({"foo": 2, "bar": "baz", "nested": {"a": true}})");
        ASSERT_EQ(run(cli + "encrypt -i " + f).exit_code, 0) << f;
    }
    auto v2 = run(cli + "publish --yes v2.json");
    ASSERT_EQ(v2.exit_code, 0) << v2.err;
    json want = {{"foo", 2}, {"bar", "baz"}, {"nested", {{"a", true}}}};
    EXPECT_EQ(get_json("/v1/secret/data/team/v2.json")["data"]["data"], want);
    auto v1 = run(cli + "publish -y --omit-extensions v1.json");
    ASSERT_EQ(v1.exit_code, 0) << v1.err;
    EXPECT_EQ(get_json("/v1/kv/old/v1")["data"], want);
    // Publishing unchanged data makes no new version.
    ASSERT_EQ(run(cli + "publish --yes v2.json").exit_code, 0);
    EXPECT_EQ(get_json("/v1/secret/data/team/v2.json")["data"]["metadata"]["version"], 1);
    // Asked interactively, "n" cancels.
    auto no = run(cli + "publish v1.json", "n\n");
    EXPECT_EQ(no.exit_code, 1);
    EXPECT_NE(no.err.find("canceled"), std::string::npos) << no.err;
    // An S3 rule is not Vault's: without an AWS region nothing is sent (tests/kms_publish_objects_test.cpp uploads).
    auto s3 = run("cd '" + dir_.string() + "' && env -u AWS_REGION -u AWS_DEFAULT_REGION -u AWS_CONFIG_FILE " + env + "'" + sopskit::test::cli_path() + "' publish -y s3.json");
    EXPECT_NE(s3.exit_code, 0);
    EXPECT_NE(s3.err.find("operation error S3: PutObject, failed to resolve service endpoint"), std::string::npos) << s3.err;
}
