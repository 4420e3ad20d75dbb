// AWS KMS key source: ARN parsing, shared-file profiles, STS, IMDS, and Encrypt/Decrypt against
// an in-process stub that verifies SigV4 like the real service.
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>

#include "aws/aws.hpp"
#include "common/codec.hpp"
#include "kms_stub.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"

using namespace sopskit;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kArn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
constexpr const char* kAkid = "AKIDTEST";
constexpr const char* kSecret = "secret/test+key";

struct EnvMap {
    std::map<std::string, std::string> vars;
    kms::EnvReader reader() {
        return [this](const std::string& n) -> std::optional<std::string> {
            auto it = vars.find(n);
            if (it == vars.end() || it->second.empty()) return std::nullopt;
            return it->second;
        };
    }
};

// A fake KMS + STS: checks SigV4 for known keys, seals the plaintext with the key id and the
// context (so a different context fails), can throttle the first N calls.
struct FakeAws {
    sopskit::test::StubServer server;
    std::mutex mu;
    std::map<std::string, std::string> secrets{{kAkid, kSecret}, {"ASIAROLE", "rolesecret"}};
    std::vector<json> kms_calls;
    std::vector<std::string> sts_bodies, targets, regions;
    int throttle = 0;
    int imds_calls = 0;

    FakeAws() {
        server.srv().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            auto sreq = sopskit::test::sigv4_request_of(req);
            auto auth = kms::sigv4::parse_authorization(req.get_header_value("Authorization"));
            std::string ctype = req.get_header_value("Content-Type");
            if (ctype.rfind("application/x-www-form-urlencoded", 0) == 0 &&
                req.body.find("Action=AssumeRoleWithWebIdentity") != std::string::npos) {
                sts_bodies.push_back(req.body);
                res.set_content(sts_reply("AssumeRoleWithWebIdentity"), "text/xml");
                return;
            }
            if (!auth || !secrets.count(auth->access_key_id) || !kms::sigv4::verify(sreq, secrets[auth->access_key_id])) {
                res.status = 400;
                res.set_content(R"({"__type":"InvalidSignatureException","message":"The request signature we calculated does not match"})",
                                "application/x-amz-json-1.1");
                return;
            }
            regions.push_back(auth->region + "/" + auth->service);
            if (auth->service == "sts") {
                sts_bodies.push_back(req.body);
                res.set_content(sts_reply("AssumeRole"), "text/xml");
                return;
            }
            if (throttle > 0) {
                --throttle;
                res.status = 400;
                res.set_content(R"({"__type":"ThrottlingException","message":"Rate exceeded"})", "application/x-amz-json-1.1");
                return;
            }
            std::string target = req.get_header_value("X-Amz-Target");
            targets.push_back(target + " " + auth->access_key_id + " " + req.get_header_value("X-Amz-Security-Token"));
            json body = json::parse(req.body);
            kms_calls.push_back(body);
            json ctx = body.value("EncryptionContext", json::object());
            if (target == "TrentService.Encrypt") {
                std::string sealed = body["KeyId"].get<std::string>() + "|" + ctx.dump() + "|" + body["Plaintext"].get<std::string>();
                res.set_content(json{{"CiphertextBlob", kms::b64_encode(sealed)}, {"KeyId", body["KeyId"]}}.dump(),
                                "application/x-amz-json-1.1");
            } else if (target == "TrentService.Decrypt") {
                auto sealed = kms::b64_decode(body["CiphertextBlob"].get<std::string>());
                std::string prefix = body["KeyId"].get<std::string>() + "|" + ctx.dump() + "|";
                if (!sealed || sealed->rfind(prefix, 0) != 0) {
                    res.status = 400;
                    res.set_content(R"({"__type":"InvalidCiphertextException","message":"context mismatch"})",
                                    "application/x-amz-json-1.1");
                    return;
                }
                res.set_content(json{{"Plaintext", sealed->substr(prefix.size())}, {"KeyId", body["KeyId"]}}.dump(),
                                "application/x-amz-json-1.1");
            } else {
                res.status = 400;
                res.set_content(R"({"__type":"UnknownOperationException"})", "application/x-amz-json-1.1");
            }
        });
        // Container credentials (ECS / EKS pod identity)
        server.srv().Get("/container-creds", [](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") != "container-auth") res.status = 401;
            else
                res.set_content(R"({"AccessKeyId":"ASIAROLE","SecretAccessKey":"rolesecret","Token":"container-session","Expiration":"2099-01-01T00:00:00Z"})",
                                "application/json");
        });
        // IMDSv2
        server.srv().Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            ++imds_calls;
            if (req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds").empty()) res.status = 400;
            else res.set_content("imds-token", "text/plain");
        });
        server.srv().Get("/latest/meta-data/iam/security-credentials/", [](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("X-aws-ec2-metadata-token") != "imds-token") res.status = 401;
            else res.set_content("instance-role\n", "text/plain");
        });
        server.srv().Get("/latest/meta-data/iam/security-credentials/instance-role",
                         [](const httplib::Request& req, httplib::Response& res) {
                             if (req.get_header_value("X-aws-ec2-metadata-token") != "imds-token") res.status = 401;
                             else
                                 res.set_content(R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAROLE","SecretAccessKey":"rolesecret","Token":"imds-session","Expiration":"2099-01-01T00:00:00Z"})",
                                                 "application/json");
                         });
        server.start();
    }

    static std::string sts_reply(const std::string& action) {
        return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
               "Result><Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>rolesecret</SecretAccessKey>"
               "<SessionToken>role&amp;token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></" +
               action + "Result></" + action + "Response>";
    }
};

SecureBytes data_key() {
    std::string k;
    for (int i = 0; i < 32; ++i) k.push_back(static_cast<char>(i));
    return SecureBytes::from(k);
}

}  // namespace

TEST(kmsAws, RegionFromArnFollowsSopsPattern) {
    EXPECT_EQ(kms::aws::region_from_arn(kArn).value_or(""), "eu-west-1");
    EXPECT_EQ(kms::aws::region_from_arn("arn:aws-cn:kms:cn-north-1:123456789012:alias/sops").value_or(""), "cn-north-1");
    EXPECT_FALSE(kms::aws::region_from_arn("arn:aws:s3:::bucket"));
    EXPECT_FALSE(kms::aws::region_from_arn("1234abcd-12ab-34cd-56ef-1234567890ab"));
}

TEST(kmsAws, EndpointOverrides) {
    EnvMap env;
    EXPECT_EQ(kms::aws::service_endpoint(env.reader(), "kms", "us-east-1"), "https://kms.us-east-1.amazonaws.com");
    EXPECT_EQ(kms::aws::service_endpoint(env.reader(), "kms", "cn-north-1"), "https://kms.cn-north-1.amazonaws.com.cn");
    env.vars["AWS_ENDPOINT_URL"] = "http://global:1";
    EXPECT_EQ(kms::aws::service_endpoint(env.reader(), "sts", "us-east-1"), "http://global:1");
    env.vars["AWS_ENDPOINT_URL_KMS"] = "http://kms:2";
    EXPECT_EQ(kms::aws::service_endpoint(env.reader(), "kms", "us-east-1"), "http://kms:2");
}

TEST(kmsAws, RoleSessionNameMatchesSopsRegex) {
    EXPECT_EQ(kms::aws::role_session_name("my-host.example"), "sops@myhost.example");
    EXPECT_EQ(kms::aws::role_session_name("a[b]^c_d"), "sops@a[b]^c_d");
    EXPECT_EQ(kms::aws::role_session_name(std::string(100, 'x')).size(), 64u);
}

TEST(kmsAws, ErrorParsingStripsNamespacesAndSuffixes) {
    kms::HttpResponse r;
    r.status = 400;
    r.body = R"({"__type":"com.amazonaws.kms#NotFoundException","message":"Key 'x' does not exist"})";
    EXPECT_EQ(kms::aws::parse_json_error(r).text(), "HTTP 400 NotFoundException: Key 'x' does not exist");
    r.headers.emplace("x-amzn-errortype", "AccessDeniedException:http://internal/");
    r.body = R"({"Message":"no"})";
    EXPECT_EQ(kms::aws::parse_json_error(r).text(), "HTTP 400 AccessDeniedException: no");
    r.headers.clear();
    r.status = 403;
    r.body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not &amp; allowed</Message></Error></ErrorResponse>";
    EXPECT_EQ(kms::aws::parse_xml_error(r).text(), "HTTP 403 AccessDenied: not & allowed");
}

TEST(kmsAws, SharedFilesParse) {
    auto ini = kms::aws::parse_ini("[default]\nregion = us-east-1\n[profile dev]\nrole_arn=arn:aws:iam::1:role/x\n"
                                   "source_profile = base\n[sso-session s]\nsso_region=x\n# c\n",
                                   true);
    EXPECT_EQ(ini["default"]["region"], "us-east-1");
    EXPECT_EQ(ini["dev"]["source_profile"], "base");
    EXPECT_FALSE(ini.count("sso-session s"));
    auto creds = kms::aws::parse_ini("[base]\naws_access_key_id = AK\nAWS_SECRET_ACCESS_KEY=SK\n", false);
    EXPECT_EQ(creds["base"]["aws_secret_access_key"], "SK");
}

TEST(kmsAws, EncryptDecryptWithContextRoundTrips) {
    FakeAws fake;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL_KMS", fake.server.url()}, {"AWS_ACCESS_KEY_ID", kAkid},
                {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    kms::KmsSettings s;
    s.env = env.reader();
    s.home = "/nonexistent";
    auto src = kms::make_aws_kms_source(s);
    auto recips = kms::kms_recipients(kArn, "", "app:flux,ns:tenant-a");
    ASSERT_EQ(recips.size(), 1u);
    StoredKey k = src->wrap(recips[0], data_key());
    EXPECT_EQ(k.kind, "kms");
    EXPECT_EQ(k.field("arn"), kArn);
    EXPECT_EQ(k.field("aws_profile"), "");
    ASSERT_NE(k.fields.find("aws_profile"), nullptr);  // always written, as sops does
    EXPECT_EQ(k.fields.find("role"), nullptr);
    ASSERT_NE(k.fields.find("context"), nullptr);
    EXPECT_EQ(k.fields.find("context")->find("app")->text, "flux");
    EXPECT_FALSE(k.field("created_at").empty());
    EXPECT_TRUE(kms::b64_decode(k.field("enc")).has_value());
    EXPECT_EQ(fake.kms_calls.at(0)["EncryptionContext"], (json{{"app", "flux"}, {"ns", "tenant-a"}}));
    EXPECT_EQ(fake.regions.at(0), "eu-west-1/kms");

    UnwrapOutcome out = src->unwrap(k);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_TRUE(out.data_key.equals(data_key()));
    EXPECT_EQ(fake.kms_calls.at(1)["KeyId"], kArn);

    // A different context must not decrypt, and the error names the key, the status and code.
    StoredKey tampered = k;
    tampered.fields.find("context")->find("app")->text = "other";
    UnwrapOutcome bad = src->unwrap(tampered);
    ASSERT_EQ(bad.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(bad.reason.find(kArn), std::string::npos) << bad.reason;
    EXPECT_NE(bad.reason.find("HTTP 400 InvalidCiphertextException"), std::string::npos) << bad.reason;
    EXPECT_EQ(bad.reason.find('\n'), std::string::npos);
    EXPECT_EQ(bad.reason.find(kms::b64_encode(data_key().view())), std::string::npos);

    // Without context sops sends an empty map.
    StoredKey plain = src->wrap(kms::kms_recipients(kArn)[0], data_key());
    EXPECT_EQ(plain.fields.find("context"), nullptr);
    EXPECT_EQ(fake.kms_calls.back()["EncryptionContext"], json::object());
    EXPECT_EQ(src->describe(plain), kArn);
}

TEST(kmsAws, WrongSecretGivesOneLineErrorNamingKeyAndStatus) {
    FakeAws fake;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL", fake.server.url()}, {"AWS_ACCESS_KEY_ID", kAkid},
                {"AWS_SECRET_ACCESS_KEY", "wrong"}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    kms::KmsSettings s;
    s.env = env.reader();
    auto src = kms::make_aws_kms_source(s);
    try {
        src->wrap(kms::kms_recipients(kArn)[0], data_key());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("failed to encrypt sops data key with AWS KMS key " + std::string(kArn)), std::string::npos) << m;
        EXPECT_NE(m.find("HTTP 400 InvalidSignatureException"), std::string::npos) << m;
        EXPECT_EQ(m.find("wrong"), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos);
    }
}

TEST(kmsAws, ThrottlingIsRetried) {
    FakeAws fake;
    fake.throttle = 2;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL_KMS", fake.server.url()}, {"AWS_ACCESS_KEY_ID", kAkid}, {"AWS_SECRET_ACCESS_KEY", kSecret},
                {"SOPSKIT_KMS_RETRY_BASE_MS", "1"}};
    kms::KmsSettings s;
    s.env = env.reader();
    auto src = kms::make_aws_kms_source(s);
    StoredKey k = src->wrap(kms::kms_recipients(kArn)[0], data_key());
    EXPECT_EQ(fake.throttle, 0);
    EXPECT_EQ(fake.kms_calls.size(), 1u);
    // Throttled on every try: gives up after the bounded retries with the service's code.
    fake.throttle = 100;
    UnwrapOutcome out = src->unwrap(k);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(out.reason.find("ThrottlingException"), std::string::npos) << out.reason;
    EXPECT_EQ(fake.throttle, 96);  // 1 try + 3 retries
}

TEST(kmsAws, RoleIsAssumedThroughSts) {
    FakeAws fake;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL", fake.server.url()}, {"AWS_ACCESS_KEY_ID", kAkid}, {"AWS_SECRET_ACCESS_KEY", kSecret}};
    kms::KmsSettings s;
    s.env = env.reader();
    auto src = kms::make_aws_kms_source(s);
    const std::string role = "arn:aws:iam::111122223333:role/sops";
    StoredKey k = src->wrap(kms::kms_recipients(std::string(kArn) + "+" + role)[0], data_key());
    EXPECT_EQ(k.field("role"), role);
    EXPECT_EQ(k.field("arn"), kArn);
    ASSERT_EQ(fake.sts_bodies.size(), 1u);
    EXPECT_NE(fake.sts_bodies[0].find("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fsops&RoleSessionName=sops%40"),
              std::string::npos) << fake.sts_bodies[0];
    EXPECT_EQ(fake.regions.at(0), "eu-west-1/sts");
    EXPECT_EQ(fake.targets.at(0), "TrentService.Encrypt ASIAROLE role&token");
    EXPECT_EQ(src->describe(k), std::string(kArn) + "+" + role);
    EXPECT_EQ(src->recipient_of(k).id, std::string(kArn) + "+" + role);
    ASSERT_EQ(src->unwrap(k).status, UnwrapOutcome::Status::Ok);
    EXPECT_EQ(fake.sts_bodies.size(), 1u);  // cached
}

TEST(kmsAws, ProfileFromSharedFilesAndStoredAwsProfile) {
    FakeAws fake;
    fs::path dir = sopskit::test::make_temp_dir();
    fs::create_directories(dir / ".aws");
    sopskit::test::write_file(dir / ".aws/credentials", std::string("[team]\naws_access_key_id = ") + kAkid +
                                                            "\naws_secret_access_key = " + kSecret + "\n");
    sopskit::test::write_file(dir / ".aws/config", "[profile team]\nregion = eu-west-1\n");
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL_KMS", fake.server.url()}, {"AWS_ACCESS_KEY_ID", "IGNORED"},
                {"AWS_SECRET_ACCESS_KEY", "ignored"}};
    kms::KmsSettings s;
    s.env = env.reader();
    s.home = dir.string();
    auto src = kms::make_aws_kms_source(s);
    StoredKey k = src->wrap(kms::kms_recipients(kArn, "team")[0], data_key());
    EXPECT_EQ(k.field("aws_profile"), "team");
    EXPECT_EQ(fake.targets.at(0), std::string("TrentService.Encrypt ") + kAkid + " ");
    // AWS_PROFILE selects the profile when env keys are absent.
    env.vars.erase("AWS_ACCESS_KEY_ID");
    env.vars["AWS_PROFILE"] = "team";
    auto src2 = kms::make_aws_kms_source(s);
    StoredKey no_profile = k;
    no_profile.set_field("aws_profile", Value::string(""));
    EXPECT_EQ(src2->unwrap(no_profile).status, UnwrapOutcome::Status::Ok);
    // A missing profile is an error naming it.
    StoredKey other = k;
    other.set_field("aws_profile", Value::string("nope"));
    auto missing = src->unwrap(other);
    EXPECT_EQ(missing.status, UnwrapOutcome::Status::Failed);
    EXPECT_NE(missing.reason.find("nope"), std::string::npos) << missing.reason;
}

TEST(kmsAws, WebIdentityAndInstanceMetadata) {
    FakeAws fake;
    fs::path dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "token", "jwt-token\n");
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL", fake.server.url()}, {"AWS_WEB_IDENTITY_TOKEN_FILE", (dir / "token").string()},
                {"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"}, {"AWS_ROLE_SESSION_NAME", "sess"}};
    kms::KmsSettings s;
    s.env = env.reader();
    s.home = dir.string();
    auto src = kms::make_aws_kms_source(s);
    src->wrap(kms::kms_recipients(kArn)[0], data_key());
    ASSERT_EQ(fake.sts_bodies.size(), 1u);
    EXPECT_EQ(fake.sts_bodies[0], "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fweb&RoleSessionName=sess&Version=2011-06-15&WebIdentityToken=jwt-token");
    EXPECT_EQ(fake.targets.at(0), "TrentService.Encrypt ASIAROLE role&token");

    EnvMap env2;
    env2.vars = {{"AWS_ENDPOINT_URL", fake.server.url()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.server.url() + "/"}};
    s.env = env2.reader();
    auto src2 = kms::make_aws_kms_source(s);
    src2->wrap(kms::kms_recipients(kArn)[0], data_key());
    EXPECT_EQ(fake.imds_calls, 1);
    EXPECT_EQ(fake.targets.at(1), "TrentService.Encrypt ASIAROLE imds-session");
}

TEST(kmsAws, IsolatedSettingsNeverReadProcessCredentials) {
    FakeAws fake;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL_KMS", fake.server.url()}, {"AWS_ACCESS_KEY_ID", kAkid}, {"AWS_SECRET_ACCESS_KEY", kSecret},
                {"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.server.url()}};
    auto flux = kms::settings_from_flux_entries(std::nullopt, std::nullopt, std::nullopt, std::nullopt);
    flux.env = env.reader();
    auto src = kms::make_aws_kms_source(flux);
    EXPECT_THROW(src->wrap(kms::kms_recipients(kArn)[0], data_key()), Error);
    EXPECT_EQ(fake.imds_calls, 0);
    EXPECT_TRUE(fake.targets.empty());

    auto tenant = kms::settings_from_flux_entries(std::string("aws_access_key_id: ") + kAkid +
                                                      "\naws_secret_access_key: " + kSecret + "\naws_session_token: tok\n",
                                                  std::nullopt, std::nullopt, std::nullopt);
    tenant.env = env.reader();
    auto src2 = kms::make_aws_kms_source(tenant);
    src2->wrap(kms::kms_recipients(kArn)[0], data_key());
    EXPECT_EQ(fake.targets.at(0), std::string("TrentService.Encrypt ") + kAkid + " tok");
    EXPECT_THROW(kms::settings_from_flux_entries(std::string("aws_access_key_id: x\n"), std::nullopt, std::nullopt, std::nullopt), Error);
}

TEST(kmsAws, RecipientsFromFlags) {
    auto r = kms::kms_recipients(std::string(kArn) + "+arn:aws:iam::1:role/r, " + kArn, "prof", "a:b");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].id, std::string(kArn) + "+arn:aws:iam::1:role/r");
    EXPECT_EQ(r[0].params.find("role")->text, "arn:aws:iam::1:role/r");
    EXPECT_EQ(r[1].params.find("aws_profile")->text, "prof");
    EXPECT_EQ(r[1].params.find("context")->find("a")->text, "b");
    try {
        kms::kms_recipients(kArn, "", "a:b:c");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidKmsEncryptionContext);
    }
}

TEST(kmsAws, SourceProfileRoleAndCredentialProcess) {
    FakeAws fake;
    fs::path dir = sopskit::test::make_temp_dir();
    fs::create_directories(dir / ".aws");
    sopskit::test::write_file(dir / ".aws/credentials", std::string("[base]\naws_access_key_id = ") + kAkid +
                                                            "\naws_secret_access_key = " + kSecret + "\n");
    sopskit::test::write_file(dir / ".aws/config",
                              "[profile assumer]\nrole_arn = arn:aws:iam::111122223333:role/from-profile\nsource_profile = base\n"
                              "role_session_name = fixed\n"
                              "[profile proc]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"" +
                                  std::string(kAkid) + "\",\"SecretAccessKey\":\"" + kSecret + "\",\"SessionToken\":\"proc-token\"}'\n");
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL", fake.server.url()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    kms::KmsSettings s;
    s.env = env.reader();
    s.home = dir.string();
    auto src = kms::make_aws_kms_source(s);
    src->wrap(kms::kms_recipients(kArn, "assumer")[0], data_key());
    ASSERT_EQ(fake.sts_bodies.size(), 1u);
    EXPECT_EQ(fake.sts_bodies[0], "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Ffrom-profile&RoleSessionName=fixed&Version=2011-06-15");
    EXPECT_EQ(fake.targets.at(0), "TrentService.Encrypt ASIAROLE role&token");
    src->wrap(kms::kms_recipients(kArn, "proc")[0], data_key());
    EXPECT_EQ(fake.targets.at(1), std::string("TrentService.Encrypt ") + kAkid + " proc-token");
}

TEST(kmsAws, MaxAttemptsBoundsRetries) {
    FakeAws fake;
    fake.throttle = 100;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL_KMS", fake.server.url()}, {"AWS_ACCESS_KEY_ID", kAkid}, {"AWS_SECRET_ACCESS_KEY", kSecret},
                {"SOPSKIT_KMS_RETRY_BASE_MS", "1"}, {"AWS_MAX_ATTEMPTS", "2"}};
    kms::KmsSettings s;
    s.env = env.reader();
    EXPECT_THROW(kms::make_aws_kms_source(s)->wrap(kms::kms_recipients(kArn)[0], data_key()), Error);
    EXPECT_EQ(fake.throttle, 98);
}

TEST(kmsAws, ContainerCredentials) {
    FakeAws fake;
    EnvMap env;
    env.vars = {{"AWS_ENDPOINT_URL", fake.server.url()}, {"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake.server.url() + "/container-creds"},
                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth"}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    kms::KmsSettings s;
    s.env = env.reader();
    s.home = "/nonexistent";
    kms::make_aws_kms_source(s)->wrap(kms::kms_recipients(kArn)[0], data_key());
    EXPECT_EQ(fake.targets.at(0), "TrentService.Encrypt ASIAROLE container-session");
}
