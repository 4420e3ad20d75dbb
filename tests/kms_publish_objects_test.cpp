// `sopskit publish` to S3 and GCS destinations against the KMS emulator's object stores, with
// their real authentication (SigV4 for S3, a bearer token for GCS): the bytes stored are the
// encrypted file as sops sends it, or its re-encryption for a recreation_rule's keys.
#include <filesystem>
#include <functional>
#include <map>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/http.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms/emulator.hpp"
#include "sopskit/kms/publish.hpp"
#include "sopskit/kms/sigv4.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace emu = sopskit::kms_emulator;
namespace sigv4 = sopskit::kms::sigv4;
using nlohmann::json;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::RunResult;
using sopskit::test::write_file;

namespace {

const char* kKeyId = "AKIDSOPSKITPUBLISH01";
const char* kSecret = "publish/aws/secret/key/0000000000000000000";
const char* kGcsToken = "ya29.publish-test-token";

class PublishObjects : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        json state = {{"aws", {{"credentials", {{kKeyId, kSecret}}}}}, {"gcp", {{"static_tokens", {kGcsToken}}}}};
        write_file(dir_ / "state.json", state.dump());
        emu::Options o;
        o.state_path = (dir_ / "state.json").string();
        o.quiet = true;
        server_ = std::make_unique<emu::Emulator>(o);
        server_->start();
        write_file(dir_ / "ca.pem", server_->cert_pem());
        recipient1_ = keygen("one.key");
        recipient2_ = keygen("two.key");
        write_file(dir_ / "app.yaml", "db:\n    password: correct-horse\nport: 5432\n");
        auto enc = cli("encrypt -i --age " + recipient1_ + " app.yaml", "SOPS_AGE_KEY_FILE=" + (dir_ / "one.key").string());
        ASSERT_EQ(enc.exit_code, 0) << enc.err;
        encrypted_ = read_file(dir_ / "app.yaml");
        ASSERT_EQ(encrypted_.find("correct-horse"), std::string::npos);
    }
    void TearDown() override {
        if (server_) server_->stop();
    }

    std::string keygen(const std::string& name) {
        auto r = run(sopskit::test::cli_path() + " keygen age --output '" + (dir_ / name).string() + "'");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto at = r.err.find("public key: ");
        return at == std::string::npos ? "" : r.err.substr(at + 12, r.err.find('\n', at) - at - 12);
    }

    // Only loopback, the emulator's CA and the credentials named in `extra`.
    RunResult cli(const std::string& args, const std::string& extra = "", const std::string& input = "") {
        std::string ca = (dir_ / "ca.pem").string();
        return run("cd '" + dir_.string() + "' && env -i PATH=/usr/bin:/bin HOME='" + dir_.string() +
                       "' AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_S3=" + server_->url() + " AWS_CA_BUNDLE=" + ca +
                       " SSL_CERT_FILE=" + ca + " SOPSKIT_GCS_ENDPOINT=" + server_->url() +
                       " SOPSKIT_KMS_RETRY_BASE_MS=5 SOPSKIT_KMS_TIMEOUT_S=10 " + extra + " '" + sopskit::test::cli_path() + "' " + args,
                   input);
    }
    static std::string aws_env(const std::string& secret = kSecret) {
        return std::string("AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=") + kKeyId + " AWS_SECRET_ACCESS_KEY='" + secret + "'";
    }

    std::unique_ptr<httplib::SSLClient> client() {
        auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
        c->set_ca_cert_path((dir_ / "ca.pem").c_str());
        return c;
    }
    // A signed GetObject, path style; nullopt unless 200.
    std::optional<std::string> s3_get(const std::string& bucket, const std::string& key) {
        sigv4::Request s;
        s.method = "GET";
        s.path = "/" + bucket + "/" + key;
        s.headers.push_back({"Host", "127.0.0.1:" + std::to_string(server_->port())});
        sigv4::Options o;
        o.normalize_path = false;
        o.add_content_sha256 = true;
        sigv4::sign(s, {kKeyId, kSecret, ""}, "eu-west-1", "s3", sigv4::amz_date_now(), o);
        httplib::Headers h;
        for (const auto& x : s.headers)
            if (x.name != "Host") h.emplace(x.name, x.value);
        auto r = client()->Get(sigv4::uri_encode(s.path, true), h);
        if (!r || r->status != 200) return std::nullopt;
        return r->body;
    }
    std::optional<std::string> gcs_get(const std::string& bucket, const std::string& object) {
        auto r = client()->Get("/storage/v1/b/" + bucket + "/o/" + sigv4::uri_encode(object, false) + "?alt=media",
                              {{"Authorization", std::string("Bearer ") + kGcsToken}});
        if (!r || r->status != 200) return std::nullopt;
        return r->body;
    }

    fs::path dir_;
    std::unique_ptr<emu::Emulator> server_;
    std::string recipient1_, recipient2_, encrypted_;
};

}  // namespace

TEST_F(PublishObjects, S3GetsTheEncryptedFileUnderItsPrefix) {
    write_file(dir_ / ".sops.yaml", "destination_rules:\n  - s3_bucket: team-bucket\n    s3_prefix: \"dev env/\"\n");
    auto r = cli("publish -y app.yaml", aws_env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(s3_get("team-bucket", "dev env/app.yaml"), encrypted_);  // byte for byte, never decrypted
    // --omit-extensions, and the prompt names the destination as sops does.
    auto asked = cli("publish --omit-extensions app.yaml", aws_env(), "y\n");
    ASSERT_EQ(asked.exit_code, 0) << asked.err;
    EXPECT_NE(asked.out.find("to s3://team-bucket/dev env/app ? (y/n)"), std::string::npos) << asked.out;
    EXPECT_EQ(s3_get("team-bucket", "dev env/app"), encrypted_);
    // --recursive: each file under its path relative to the folder.
    fs::create_directories(dir_ / "tree/sub");
    write_file(dir_ / "tree/sub/app.yaml", encrypted_);
    auto tree = cli("publish --recursive -y tree", aws_env());
    ASSERT_EQ(tree.exit_code, 0) << tree.err;
    EXPECT_EQ(s3_get("team-bucket", "dev env/sub/app.yaml"), encrypted_);
}

TEST_F(PublishObjects, S3RefusesAWrongSignature) {
    write_file(dir_ / ".sops.yaml", "destination_rules:\n  - s3_bucket: team-bucket\n");
    auto r = cli("publish -y app.yaml", aws_env("not-the-secret-key-at-all"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("operation error S3: PutObject, https response error StatusCode: 403, api error SignatureDoesNotMatch"),
              std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("not-the-secret-key-at-all"), std::string::npos);
    EXPECT_FALSE(s3_get("team-bucket", "app.yaml"));
    // No region: said so, nothing sent.
    auto nor = cli("publish -y app.yaml", std::string("AWS_ACCESS_KEY_ID=") + kKeyId + " AWS_SECRET_ACCESS_KEY=" + kSecret);
    EXPECT_EQ(nor.exit_code, 1);
    EXPECT_NE(nor.err.find("an AWS region is required"), std::string::npos) << nor.err;
}

TEST_F(PublishObjects, GcsGetsTheEncryptedFileWithTheBearerToken) {
    write_file(dir_ / ".sops.yaml", "destination_rules:\n  - gcs_bucket: gcs-bucket\n    gcs_prefix: \"a/b?c&d/\"\n    omit_extensions: true\n");
    auto r = cli("publish -y app.yaml", std::string("GOOGLE_OAUTH_ACCESS_TOKEN=") + kGcsToken);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(gcs_get("gcs-bucket", "a/b?c&d/app"), encrypted_);
}

TEST_F(PublishObjects, GcsRefusesAWrongToken) {
    write_file(dir_ / ".sops.yaml", "destination_rules:\n  - gcs_bucket: gcs-bucket\n");
    auto r = cli("publish -y app.yaml", "GOOGLE_OAUTH_ACCESS_TOKEN=ya29.stolen-or-stale");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("failed to upload to gcs://gcs-bucket/app.yaml: HTTP 401 UNAUTHENTICATED"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("stolen-or-stale"), std::string::npos);
    EXPECT_FALSE(gcs_get("gcs-bucket", "app.yaml"));
}

TEST_F(PublishObjects, RecreationRuleReEncryptsForItsKeys) {
    write_file(dir_ / ".sops.yaml", "destination_rules:\n  - s3_bucket: team-bucket\n    recreation_rule:\n      age: " + recipient2_ +
                                        "\n      unencrypted_suffix: _plain\n");
    auto r = cli("publish -y app.yaml", aws_env() + " SOPS_AGE_KEY_FILE=" + (dir_ / "one.key").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("The following changes will be made to the file's key groups:\nGroup 1\n+++ " + recipient2_ + "\n--- " +
                         recipient1_ + "\n"),
              std::string::npos) << r.out;
    auto stored = s3_get("team-bucket", "app.yaml");
    ASSERT_TRUE(stored);
    EXPECT_NE(*stored, encrypted_);
    EXPECT_EQ(stored->find("correct-horse"), std::string::npos);
    EXPECT_NE(stored->find("recipient: " + recipient2_), std::string::npos) << *stored;
    EXPECT_EQ(stored->find(recipient1_), std::string::npos) << *stored;
    EXPECT_NE(stored->find("unencrypted_suffix: _plain"), std::string::npos) << *stored;
    EXPECT_EQ(read_file(dir_ / "app.yaml"), encrypted_);  // the local file is untouched
    // The new key opens it, the old one no longer does.
    write_file(dir_ / "published.yaml", *stored);
    auto two = cli("decrypt published.yaml", "SOPS_AGE_KEY_FILE=" + (dir_ / "two.key").string());
    ASSERT_EQ(two.exit_code, 0) << two.err;
    EXPECT_EQ(two.out, "db:\n    password: correct-horse\nport: 5432\n");
    EXPECT_NE(cli("decrypt published.yaml", "SOPS_AGE_KEY_FILE=" + (dir_ / "one.key").string()).exit_code, 0);
}

TEST_F(PublishObjects, AFileWithoutSopsMetadataIsNotPublished) {
    write_file(dir_ / ".sops.yaml", "destination_rules:\n  - s3_bucket: team-bucket\n");
    write_file(dir_ / "plain.yaml", "password: correct-horse\n");
    auto r = cli("publish -y plain.yaml", aws_env());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("sops metadata not found"), std::string::npos) << r.err;
    EXPECT_FALSE(s3_get("team-bucket", "plain.yaml"));
}

TEST_F(PublishObjects, EmulatorRefusesUnsignedAndUnauthenticatedUploads) {
    auto c = client();
    auto s3 = c->Put("/team-bucket/x.yaml", "data", "text/plain");
    ASSERT_TRUE(s3);
    EXPECT_EQ(s3->status, 403);
    EXPECT_NE(s3->body.find("<Code>AccessDenied</Code>"), std::string::npos);
    auto gcs = c->Post("/upload/storage/v1/b/gcs-bucket/o?uploadType=media&name=x.yaml", "data", "text/plain");
    ASSERT_TRUE(gcs);
    EXPECT_EQ(gcs->status, 401);
    EXPECT_FALSE(s3_get("team-bucket", "x.yaml"));
    EXPECT_FALSE(gcs_get("gcs-bucket", "x.yaml"));
}

namespace {

// The request put_s3_object / upload_gcs_object would send, captured instead of sent.
struct Captured {
    sopskit::kms::HttpRequest req;
    int calls = 0;
};

sopskit::kms::KmsSettings settings_with(std::map<std::string, std::string> vars) {
    sopskit::kms::KmsSettings s;
    s.env = [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    s.home = sopskit::test::make_temp_dir().string();
    return s;
}

Captured capture(const std::function<void()>& call, long status = 200) {
    Captured c;
    sopskit::kms::set_http_transport([&c, status](const sopskit::kms::HttpRequest& r) {
        c.req = r;
        ++c.calls;
        sopskit::kms::HttpResponse resp;
        resp.status = status;
        return resp;
    });
    try {
        call();
    } catch (...) {
        sopskit::kms::set_http_transport({});
        throw;
    }
    sopskit::kms::set_http_transport({});
    return c;
}

std::string header_of(const sopskit::kms::HttpRequest& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

}  // namespace

// Virtual-hosted style at AWS (as the SDK does for a DNS-label bucket), path style for a bucket
// with dots or an IP endpoint; key bytes encoded once and signed as sent.
TEST(PublishS3Request, AddressingEncodingAndSignature) {
    std::map<std::string, std::string> env{{"AWS_REGION", "eu-west-1"}, {"AWS_ACCESS_KEY_ID", kKeyId}, {"AWS_SECRET_ACCESS_KEY", kSecret}};
    auto aws = capture([&] { sopskit::kms::put_s3_object("team-bucket", "dev env/a+b.yaml", "body", settings_with(env)); });
    ASSERT_EQ(aws.calls, 1);
    EXPECT_EQ(aws.req.method, "PUT");
    EXPECT_EQ(aws.req.url, "https://team-bucket.s3.eu-west-1.amazonaws.com/dev%20env/a%2Bb.yaml");
    EXPECT_EQ(aws.req.body, "body");
    sigv4::Request s{"PUT", "/dev env/a+b.yaml", "", {}, "body"};
    for (const auto& [k, v] : aws.req.headers) s.headers.push_back({k, v});
    EXPECT_TRUE(sigv4::verify(s, kSecret, false));
    EXPECT_EQ(header_of(aws.req, "X-Amz-Content-Sha256"), sigv4::sha256_hex("body"));
    EXPECT_NE(header_of(aws.req, "Authorization").find("/eu-west-1/s3/aws4_request"), std::string::npos);

    auto dotted = capture([&] { sopskit::kms::put_s3_object("my.bucket", "k", "x", settings_with(env)); });
    EXPECT_EQ(dotted.req.url, "https://s3.eu-west-1.amazonaws.com/my.bucket/k");
    env["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9000/";
    auto ip = capture([&] { sopskit::kms::put_s3_object("team-bucket", "k", "x", settings_with(env)); });
    EXPECT_EQ(ip.req.url, "http://127.0.0.1:9000/team-bucket/k");

    // The region from the profile in the shared config when AWS_REGION is unset.
    env.erase("AWS_REGION");
    env.erase("AWS_ENDPOINT_URL_S3");
    auto profile = settings_with(env);
    fs::create_directories(fs::path(profile.home) / ".aws");
    write_file(fs::path(profile.home) / ".aws/config", "[default]\nregion = ap-south-2\n");
    auto prof = capture([&] { sopskit::kms::put_s3_object("team-bucket", "k", "x", profile); });
    EXPECT_EQ(prof.req.url, "https://team-bucket.s3.ap-south-2.amazonaws.com/k");
    env["AWS_DEFAULT_REGION"] = "us-west-2";
    auto fallback = capture([&] { sopskit::kms::put_s3_object("team-bucket", "k", "x", settings_with(env)); });
    EXPECT_EQ(fallback.req.url, "https://team-bucket.s3.us-west-2.amazonaws.com/k");
}

TEST(PublishGcsRequest, NamesAreEncodedWholeAndTheTokenIsTheBearer) {
    auto s = settings_with({{"GOOGLE_OAUTH_ACCESS_TOKEN", "tok"}});
    auto c = capture([&] { sopskit::kms::upload_gcs_object("b", "dir/a b&c=d?.yaml", "body", s); });
    ASSERT_EQ(c.calls, 1);
    EXPECT_EQ(c.req.method, "POST");
    EXPECT_EQ(c.req.url, "https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=media&name=dir%2Fa%20b%26c%3Dd%3F.yaml");
    EXPECT_EQ(header_of(c.req, "Authorization"), "Bearer tok");
    EXPECT_EQ(c.req.body, "body");
    try {
        capture([&] { sopskit::kms::upload_gcs_object("b", "o", "body", s); }, 403);
        ADD_FAILURE() << "a 403 must throw";
    } catch (const sopskit::Error& e) {
        EXPECT_NE(std::string(e.what()).find("failed to upload to gcs://b/o: HTTP 403"), std::string::npos) << e.what();
    }
}
