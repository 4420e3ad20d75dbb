// SigV4 signer against every case of AWS's signing test suite (../shared/conformance/sigv4)
// plus the KMS-shaped worked example of the wire spec.
#include <nlohmann/json.hpp>

#include "sopskit/kms/sigv4.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit::kms;

namespace {

std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Parses the suite's request.txt: "METHOD PATH HTTP/1.1", headers (folded lines start with
// whitespace), a blank line, the body.
sigv4::Request parse_request(const std::string& text) {
    sigv4::Request req;
    std::size_t pos = text.find('\n');
    std::string line = text.substr(0, pos);
    req.method = line.substr(0, line.find(' '));
    std::string target = line.substr(line.find(' ') + 1);
    target = target.substr(0, target.rfind(" HTTP/"));
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    pos = pos == std::string::npos ? text.size() : pos + 1;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) {
            if (pos < text.size()) req.body = text.substr(pos);
            break;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            req.headers.back().value += "\n" + line;
            continue;
        }
        auto colon = line.find(':');
        req.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
    }
    return req;
}

std::string amz_date_of(const std::string& iso) {  // 2015-08-30T12:36:00Z -> 20150830T123600Z
    std::string out;
    for (char c : iso)
        if (c != '-' && c != ':') out.push_back(c);
    return out;
}

}  // namespace

TEST(KmsSigV4, EveryConformanceCase) {
    REQUIRE_CONFORMANCE(conf);
    fs::path dir = conf / "sigv4";
    ASSERT_TRUE(fs::is_directory(dir));
    int cases = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_directory()) continue;
        const fs::path c = entry.path();
        SCOPED_TRACE(c.filename().string());
        auto ctx = nlohmann::json::parse(sopskit::test::read_file(c / "context.json"));
        sigv4::Request req = parse_request(sopskit::test::read_file(c / "request.txt"));
        sigv4::Credentials creds{ctx["credentials"]["access_key_id"], ctx["credentials"]["secret_access_key"],
                                 ctx["credentials"].value("token", "")};
        sigv4::Options opts;
        opts.normalize_path = ctx.value("normalize", true);
        opts.add_content_sha256 = ctx.value("sign_body", false);
        opts.sign_session_token = !ctx.value("omit_session_token", false);
        const std::string region = ctx["region"], service = ctx["service"];
        const std::string date = amz_date_of(ctx["timestamp"]);

        // The building blocks, as a verifier would call them.
        sigv4::Request pre = req;
        pre.set_header("X-Amz-Date", date);
        if (opts.add_content_sha256) pre.set_header("X-Amz-Content-Sha256", sigv4::sha256_hex(pre.body));
        if (!creds.session_token.empty() && opts.sign_session_token)
            pre.set_header("X-Amz-Security-Token", creds.session_token);
        const std::string creq = sigv4::canonical_request(pre, opts.normalize_path);
        EXPECT_EQ(creq, chomp(sopskit::test::read_file(c / "header-canonical-request.txt")));
        const std::string sts = sigv4::string_to_sign(creq, date, region, service);
        EXPECT_EQ(sts, chomp(sopskit::test::read_file(c / "header-string-to-sign.txt")));
        const std::string expected_sig = chomp(sopskit::test::read_file(c / "header-signature.txt"));
        EXPECT_EQ(sigv4::signature(creds.secret_access_key, date, region, service, sts), expected_sig);

        // The one-call signer produces the suite's Authorization header.
        sigv4::Request signed_req = req;
        EXPECT_EQ(sigv4::sign(signed_req, creds, region, service, date, opts), expected_sig);
        const std::string signed_text = sopskit::test::read_file(c / "header-signed-request.txt");
        auto at = signed_text.find("Authorization:");
        ASSERT_NE(at, std::string::npos);
        std::string expected_auth = signed_text.substr(at + 14, signed_text.find('\n', at) - at - 14);
        EXPECT_EQ(signed_req.header("Authorization").value_or(""), chomp(expected_auth));
        // And a verifier given the same secret accepts it, a wrong secret does not.
        EXPECT_TRUE(sigv4::verify(signed_req, creds.secret_access_key, opts.normalize_path));
        EXPECT_FALSE(sigv4::verify(signed_req, "wrong-secret", opts.normalize_path));
        ++cases;
    }
    EXPECT_EQ(cases, 38);
}

TEST(KmsSigV4, KmsShapedExampleFromSpec) {
    sigv4::Request req;
    req.method = "POST";
    req.path = "/";
    req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                   {"Host", "kms.us-east-1.amazonaws.com"},
                   {"X-Amz-Target", "TrentService.Encrypt"}};
    req.body = R"({"KeyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})";
    sigv4::Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    EXPECT_EQ(sigv4::sha256_hex(req.body), "e3489e9990821a513df1b818fccd76f01832d2ca305c951f78b8b321b829825a");
    EXPECT_EQ(sigv4::to_hex(sigv4::signing_key(creds.secret_access_key, "20150830", "us-east-1", "kms")),
              "daf4bdf807b2e75aeddb12d90af33760aa260ac37875a093af71f7f0ddda481e");
    EXPECT_EQ(sigv4::sign(req, creds, "us-east-1", "kms", "20150830T123600Z"),
              "9f1ee58e0a9ac6b35bad91da56099a39ae1cdd8026cd0df02641f281be7b3d8f");
    EXPECT_NE(req.header("Authorization")->find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
              std::string::npos);
}

TEST(KmsSigV4, ParseAuthorizationRejectsMalformed) {
    EXPECT_FALSE(sigv4::parse_authorization("Bearer x"));
    EXPECT_FALSE(sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/kms, SignedHeaders=host, Signature=ab"));
    auto p = sigv4::parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AK/20150830/eu-west-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->access_key_id, "AK");
    EXPECT_EQ(p->region, "eu-west-1");
    EXPECT_EQ(p->service, "kms");
    EXPECT_EQ(p->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
}
