// The CLI end to end with cloud keys: sopskit encrypt --kms / --hc-vault-transit against an
// in-process stub, the metadata sops writes, decrypt, rotate --rm-*.
#include <nlohmann/json.hpp>

#include <mutex>

#include "common/codec.hpp"
#include "kms_stub.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

struct FakeCloud {
    sopskit::test::StubServer server;
    std::mutex mu;
    int kms_calls = 0, vault_calls = 0;

    FakeCloud() {
        server.srv().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            ++kms_calls;
            if (!sopskit::kms::sigv4::verify(sopskit::test::sigv4_request_of(req), "cli-secret")) {
                res.status = 400;
                res.set_content(R"({"__type":"InvalidSignatureException","message":"bad signature"})", "application/x-amz-json-1.1");
                return;
            }
            json body = json::parse(req.body);
            if (req.get_header_value("X-Amz-Target") == "TrentService.Encrypt")
                res.set_content(json{{"CiphertextBlob", sopskit::kms::b64_encode("sealed:" + body["Plaintext"].get<std::string>())}}.dump(),
                                "application/x-amz-json-1.1");
            else
                res.set_content(json{{"Plaintext", sopskit::kms::b64_decode(body["CiphertextBlob"].get<std::string>())->substr(7)}}.dump(),
                                "application/x-amz-json-1.1");
        });
        sopskit::test::serve_fake_vault_transit(server, "sops", "cli-token", [this](const std::string&) {
            std::lock_guard lock(mu);
            ++vault_calls;
        });
        server.start();
    }
};

}  // namespace

TEST(kmsCli, EncryptDecryptRotateWithKmsAndVault) {
    FakeCloud fake;
    fs::path dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "secret.yaml", "password: hunter2\n");
    const std::string vault_uri = fake.server.url() + "/v1/transit/keys/sops";
    const std::string base_env = "env -u AWS_PROFILE -u SOPS_KMS_ARN -u SOPS_VAULT_URIS -u SOPS_AGE_RECIPIENTS HOME=" + dir.string() +
                                 " AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_KMS=" + fake.server.url() +
                                 " AWS_ACCESS_KEY_ID=AKIDCLI AWS_SECRET_ACCESS_KEY=cli-secret VAULT_TOKEN=cli-token ";
    auto enc = sopskit::test::run(base_env + sopskit::test::cli_path() + " encrypt --kms " + kArn +
                                  " --encryption-context app:flux --hc-vault-transit " + vault_uri + " " + (dir / "secret.yaml").string());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    const std::string& out = enc.out;
    EXPECT_EQ(out.find("hunter2"), std::string::npos);
    EXPECT_NE(out.find(std::string("    kms:\n        - arn: ") + kArn + "\n          aws_profile: \"\"\n          context:\n            app: flux\n          created_at: "),
              std::string::npos) << out;
    EXPECT_NE(out.find("    hc_vault:\n        - created_at: "), std::string::npos) << out;
    EXPECT_NE(out.find("          enc: vault:v1:"), std::string::npos) << out;
    EXPECT_NE(out.find("          engine_path: transit\n          key_name: sops\n          vault_address: " + fake.server.url() + "\n"),
              std::string::npos) << out;
    sopskit::test::write_file(dir / "enc.yaml", out);

    // Decrypt with only the Vault token (the AWS key fails, Vault opens the file).
    auto dec = sopskit::test::run("env -u AWS_PROFILE HOME=" + dir.string() + " AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_KMS=" +
                                  fake.server.url() + " VAULT_TOKEN=cli-token " + sopskit::test::cli_path() + " decrypt " +
                                  (dir / "enc.yaml").string());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, "password: hunter2\n");

    // Rotate away the Vault key; the AWS key alone still decrypts.
    auto rot = sopskit::test::run(base_env + sopskit::test::cli_path() + " rotate --rm-hc-vault-transit " + vault_uri + " " +
                                  (dir / "enc.yaml").string());
    ASSERT_EQ(rot.exit_code, 0) << rot.err;
    EXPECT_EQ(rot.out.find("hc_vault"), std::string::npos) << rot.out;
    EXPECT_NE(rot.out.find(kArn), std::string::npos);
    sopskit::test::write_file(dir / "rot.yaml", rot.out);
    auto dec2 = sopskit::test::run(base_env + sopskit::test::cli_path() + " decrypt " + (dir / "rot.yaml").string());
    ASSERT_EQ(dec2.exit_code, 0) << dec2.err;
    EXPECT_EQ(dec2.out, "password: hunter2\n");

    // A bad context flag is sops' exit code 6.
    auto bad = sopskit::test::run(base_env + sopskit::test::cli_path() + " encrypt --kms " + kArn + " --encryption-context nocolon " +
                                  (dir / "secret.yaml").string());
    EXPECT_EQ(bad.exit_code, 6) << bad.err;
}

TEST(kmsCli, SopsYamlCloudKeysAndUpdatekeysSeesNoChange) {
    FakeCloud fake;
    fs::path dir = sopskit::test::make_temp_dir();
    const std::string vault_uri = fake.server.url() + "/v1/transit/keys/sops";
    sopskit::test::write_file(dir / ".sops.yaml", std::string("creation_rules:\n  - key_groups:\n      - hc_vault:\n          - ") + vault_uri +
                                                      "\n        kms:\n          - arn: " + kArn +
                                                      "\n            context:\n              team: a\n");
    sopskit::test::write_file(dir / "s.yaml", "token: abc\n");
    const std::string env = "cd " + dir.string() + " && env -u AWS_PROFILE -u SOPS_KMS_ARN -u SOPS_VAULT_URIS HOME=" + dir.string() +
                            " AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_KMS=" + fake.server.url() +
                            " AWS_ACCESS_KEY_ID=AKIDCLI AWS_SECRET_ACCESS_KEY=cli-secret VAULT_TOKEN=cli-token ";
    auto enc = sopskit::test::run(env + sopskit::test::cli_path() + " encrypt -i s.yaml");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    std::string file = sopskit::test::read_file(dir / "s.yaml");
    EXPECT_EQ(file.find("key_groups:"), std::string::npos) << file;  // one group is written flat, as sops does
    EXPECT_NE(file.find("          context:\n            team: a\n"), std::string::npos) << file;
    EXPECT_NE(file.find("vault_address: " + fake.server.url()), std::string::npos) << file;
    auto upd = sopskit::test::run(env + sopskit::test::cli_path() + " updatekeys -y s.yaml");
    ASSERT_EQ(upd.exit_code, 0) << upd.err;
    EXPECT_NE(upd.err.find("already up to date"), std::string::npos) << upd.err;
    auto dec = sopskit::test::run(env + sopskit::test::cli_path() + " decrypt s.yaml");
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, "token: abc\n");
}
