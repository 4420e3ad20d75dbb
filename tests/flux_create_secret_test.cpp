// `sopskit create secret` against flux2's `create secret` test tables: the same arguments, and
// the output each golden file holds, written out here from flux2's generators (sourcesecret,
// fluxcd/pkg runtime/secrets, sigs.k8s.io/yaml) rather than copied; errors word for word.
#include <filesystem>
#include <sstream>

#include "sopskit/error.hpp"
#include "sopskit/git_secret.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::RunResult;
using sopskit::test::write_file;

namespace {

class FluxCreateSecret : public ::testing::Test {
protected:
    void SetUp() override { dir_ = sopskit::test::make_temp_dir(); }

    // `sopskit create secret <args>` in the test's folder; args split on spaces as flux2's
    // test harness splits them.
    RunResult create(const std::string& args, const std::vector<std::pair<std::string, std::string>>& env = {}) {
        std::vector<std::string> argv{sopskit::test::cli_path(), "create", "secret"};
        std::istringstream in(args);
        for (std::string word; in >> word;) argv.push_back(word);
        return sopskit::test::run_argv(argv, dir_, env);
    }
    // flux2's assertError: the command fails with exactly this message.
    void expect_error(const std::string& args, const std::string& message) {
        SCOPED_TRACE(args);
        RunResult r = create(args);
        EXPECT_NE(r.exit_code, 0);
        EXPECT_EQ(r.err, "sopskit: " + message + "\n");
        EXPECT_EQ(r.out, "");
    }
    // flux2's assertGoldenFile: standard output is exactly `golden`.
    void expect_output(const std::string& args, const std::string& golden) {
        SCOPED_TRACE(args);
        RunResult r = create(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, golden);
    }
    fs::path dir_;
};

// A block scalar's lines as sigs.k8s.io/yaml indents them under a stringData key.
std::string indented(const std::string& text) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out += "    " + line + "\n";
    return out;
}

std::string sha256_hex_of(const fs::path& file) {
    RunResult r = sopskit::test::run("openssl dgst -sha256 -r '" + file.string() + "'");
    return r.out.substr(0, 64);
}

}  // namespace

// --- receiver (flux2 create_secret_receiver_test.go) ---------------------------------------

TEST_F(FluxCreateSecret, ReceiverTable) {
    expect_error("receiver test-secret --token=t --hostname=h", "--type is required");
    expect_error("receiver test-secret --type=invalid --token=t --hostname=h",
                 "invalid argument \"invalid\" for \"--type\" flag: receiver type 'invalid' is not supported, must be one of: generic, "
                 "generic-hmac, github, gitlab, bitbucket, harbor, dockerhub, quay, gcr, nexus, acr, cdevents");
    expect_error("receiver test-secret --type=github --token=t", "--hostname is required");
    expect_error("receiver test-secret --type=gcr --token=t --hostname=h", "--email-claim is required for gcr receiver type");
    // The hook path is sha256("test-token" + name + namespace), as notification-controller computes it.
    expect_output("receiver receiver-secret --type=github --token=test-token --hostname=flux.example.com --namespace=my-namespace --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  annotations:\n"
                  "    notification.toolkit.fluxcd.io/webhook: https://flux.example.com/hook/"
                  "106120121d366c2f67e93200f6c1dbe938235eb588daa5e8c0516d3a77ac1dee\n"
                  "  name: receiver-secret\n  namespace: my-namespace\nstringData:\n  token: test-token\n\n");
    const std::string gcr_url = "https://flux.example.com/hook/6d6c55e9affb9d1e0d101ce604ae4270880ec1ff24d1bd2d928fcd64243d21a4";
    const std::string gcr_head = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  annotations:\n    notification.toolkit.fluxcd.io/webhook: " +
                                 gcr_url + "\n  name: gcr-secret\n  namespace: my-namespace\nstringData:\n";
    expect_output("receiver gcr-secret --type=gcr --token=test-token --hostname=flux.example.com "
                  "--email-claim=sa@project.iam.gserviceaccount.com --namespace=my-namespace --export",
                  gcr_head + "  audience: " + gcr_url + "\n  email: sa@project.iam.gserviceaccount.com\n  token: test-token\n\n");
    expect_output("receiver gcr-secret --type=gcr --token=test-token --hostname=flux.example.com "
                  "--email-claim=sa@project.iam.gserviceaccount.com --audience-claim=https://custom.audience.example.com "
                  "--namespace=my-namespace --export",
                  gcr_head + "  audience: https://custom.audience.example.com\n  email: sa@project.iam.gserviceaccount.com\n"
                             "  token: test-token\n\n");
}

TEST_F(FluxCreateSecret, ReceiverEveryTypeAndTheRandomToken) {
    for (const auto& type : flux_receiver_types()) {
        SCOPED_TRACE(type);
        RunResult r = create("receiver hook --type=" + type + " --hostname=flux.example.com --email-claim=sa@p.iam --export");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out.find("  email: ") != std::string::npos, type == "gcr") << "only gcr carries the claims";
    }
    std::string tokens[2], hooks[2];
    for (auto i : {0, 1}) {
        RunResult r = create("receiver hook --type=github --hostname=flux.example.com -n apps --export");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto t = r.out.find("  token: ");
        ASSERT_NE(t, std::string::npos) << r.out;
        tokens[i] = r.out.substr(t + 9, r.out.find('\n', t) - t - 9);
        auto h = r.out.find("/hook/");
        hooks[i] = r.out.substr(h + 6, 64);
        EXPECT_EQ(tokens[i].size(), 64u) << "32 random bytes in hex";
        EXPECT_EQ(tokens[i].find_first_not_of("0123456789abcdef"), std::string::npos);
        // The webhook path checked with openssl, an independent SHA-256.
        write_file(dir_ / "preimage", tokens[i] + "hook" + "apps");
        EXPECT_EQ(hooks[i], sha256_hex_of(dir_ / "preimage"));
    }
    EXPECT_NE(tokens[0], tokens[1]);
    RunResult r = sopskit::test::run_argv({sopskit::test::cli_path(), "create", "secret", "receiver", "hook", "--type", " ", "--hostname=h"}, dir_);
    EXPECT_EQ(r.err, "sopskit: invalid argument \" \" for \"--type\" flag: no receiver type given, please specify the receiver type\n");
}

// --- proxy (flux2 create_secret_proxy_test.go) ----------------------------------------------

TEST_F(FluxCreateSecret, ProxyTable) {
    expect_error("proxy proxy-secret", "address is required");
    expect_output("proxy proxy-secret --address=https://my-proxy.com --username=my-username --password=my-password "
                  "--namespace=my-namespace --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: proxy-secret\n  namespace: my-namespace\nstringData:\n"
                  "  address: https://my-proxy.com\n  password: my-password\n  username: my-username\ntype: Opaque\n\n");
    // fluxcd/pkg's MakeProxySecret: credentials are optional; url.Parse's errors.
    expect_output("proxy px --address=http://proxy.example:3128",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: px\n  namespace: flux-system\nstringData:\n"
                  "  address: http://proxy.example:3128\ntype: Opaque\n\n");
    expect_error("proxy px --address=http://proxy/%zz", "invalid proxy address: parse \"http://proxy/%zz\": invalid URL escape \"%zz\"");
    expect_error("proxy px --address=:3128", "invalid proxy address: parse \":3128\": missing protocol scheme");
}

// --- githubapp (flux2 create_secret_githubapp_test.go) --------------------------------------

TEST_F(FluxCreateSecret, GitHubAppTable) {
    // A key file without a final newline, as flux2's fixture: a "|-" block.
    const std::string key = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                            "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ\n-----END RSA PRIVATE KEY-----";
    write_file(dir_ / "test-private-key.pem", key);
    expect_error("githubapp", "name is required");
    expect_error("githubapp appinfo --app-id 1 --app-installation-id 2 --app-private-key pk.pem",
                 "unable to read private key file: open pk.pem: no such file or directory");
    const std::string head = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: appinfo\n  namespace: my-namespace\nstringData:\n";
    const std::string pem = "  githubAppPrivateKey: |-\n" + indented(key) + "type: Opaque\n\n";
    expect_output("githubapp appinfo --namespace my-namespace --app-id 1 --app-installation-owner my-org "
                  "--app-private-key test-private-key.pem --export",
                  head + "  githubAppID: \"1\"\n  githubAppInstallationOwner: my-org\n" + pem);
    expect_output("githubapp appinfo --namespace my-namespace --app-id 1 --app-installation-id 2 "
                  "--app-private-key test-private-key.pem --app-base-url www.example.com/api/v3 --export",
                  head + "  githubAppBaseURL: www.example.com/api/v3\n  githubAppID: \"1\"\n  githubAppInstallationID: \"2\"\n" + pem);
    // fluxcd/pkg's MakeGitHubAppSecret rules.
    expect_error("githubapp appinfo --app-private-key test-private-key.pem --app-installation-id 2", "githubAppID is required");
    expect_error("githubapp appinfo --app-id 1 --app-private-key test-private-key.pem",
                 "exactly one of githubAppInstallationOwner or githubAppInstallationID must be provided");
    expect_error("githubapp appinfo --app-id 1 --app-private-key test-private-key.pem --app-installation-id 2 --app-installation-owner o",
                 "exactly one of githubAppInstallationOwner or githubAppInstallationID must be provided");
    write_file(dir_ / "empty.pem", "");
    expect_error("githubapp appinfo --app-id 1 --app-private-key empty.pem --app-installation-id 2", "githubAppPrivateKey is required");
}

// --- notation (flux2 create_secret_notation_test.go) ----------------------------------------

TEST_F(FluxCreateSecret, NotationTable) {
    const std::string policy =
        "{\n    \"version\": \"1.0\",\n    \"trustPolicies\": [\n        {\n            \"name\": \"fluxcd.io\",\n"
        "            \"registryScopes\": [\n                \"*\"\n            ],\n            \"signatureVerification\": {\n"
        "                \"level\" : \"strict\"\n            },\n            \"trustStores\": [ \"ca:fluxcd.io\" ],\n"
        "            \"trustedIdentities\": [\n                \"*\"\n            ]\n        }\n    ]\n}\n";
    write_file(dir_ / "test-trust-policy.json", policy);
    write_file(dir_ / "invalid-trust-policy.json", "{\n    \"version\": \"1.0\",\n    \"trustPolicies\": [{}]\n}\n");
    write_file(dir_ / "invalid.json", "\"\"\n");
    fs::create_directories(dir_ / "crt" );
    fs::create_directories(dir_ / "pem");
    fs::create_directories(dir_ / "p12");
    write_file(dir_ / "crt" / "ca.crt", "ca-data-crt");
    write_file(dir_ / "pem" / "ca.pem", "ca-data-pem");
    write_file(dir_ / "p12" / "ca.p12", "");
    expect_error("notation", "name is required");
    expect_error("notation notation-config --ca-cert-file=crt", "--trust-policy-file is required");
    expect_error("notation notation-config --trust-policy-file=test-trust-policy.json", "--ca-cert-file is required");
    expect_error("notation notation-config --ca-cert-file=p12/ca.p12 --trust-policy-file=test-trust-policy.json",
                 "ca.p12 must end with either .crt or .pem");
    expect_error("notation notation-config --ca-cert-file=crt --trust-policy-file=invalid-trust-policy.json",
                 "invalid trust policy: trust policy: a trust policy statement is missing a name, every statement requires a name");
    expect_error("notation notation-config --ca-cert-file=crt --trust-policy-file=invalid.json",
                 "failed to unmarshal trust policy invalid.json: json: cannot unmarshal string into Go value of type trustpolicy.Document");
    const std::string head = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: notation-config\n  namespace: my-namespace\nstringData:\n";
    const std::string tail = "  trustpolicy.json: |\n" + indented(policy) + "\n";
    expect_output("notation notation-config --ca-cert-file=crt/ca.crt --trust-policy-file=test-trust-policy.json --namespace=my-namespace --export",
                  head + "  ca.crt: ca-data-crt\n" + tail);
    expect_output("notation notation-config --ca-cert-file=pem/ca.pem --trust-policy-file=test-trust-policy.json --namespace=my-namespace --export",
                  head + "  ca.pem: ca-data-pem\n" + tail);
    expect_output("notation notation-config --ca-cert-file=crt/ca.crt --ca-cert-file=pem/ca.pem --trust-policy-file=test-trust-policy.json "
                  "--namespace=my-namespace --export",
                  head + "  ca.crt: ca-data-crt\n  ca.pem: ca-data-pem\n" + tail);
    // A StringSlice flag: commas separate files too; every file's problem is reported (errors.Join).
    expect_output("notation notation-config --ca-cert-file=crt/ca.crt,pem/ca.pem --trust-policy-file=test-trust-policy.json "
                  "--namespace=my-namespace",
                  head + "  ca.crt: ca-data-crt\n  ca.pem: ca-data-pem\n" + tail);
    expect_error("notation nn --ca-cert-file=a.der,b.crt --trust-policy-file=test-trust-policy.json",
                 "a.der must end with either .crt or .pem\\nunable to read TLS CA file: open b.crt: no such file or directory");
    expect_error("notation nn --ca-cert-file=crt/ca.crt --trust-policy-file=none.json",
                 "unable to read trust policy file: open none.json: no such file or directory");
}

// notation-go's Document.Validate and json.Unmarshal's errors, through the library.
TEST(NotationTrustPolicy, ValidateMatchesNotationGo) {
    auto msg = [](const std::string& json) {
        try {
            validate_notation_trust_policy(json, "tp.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("ok");
    };
    // One statement with the fields given; the rest valid.
    auto doc = [](const std::string& fields) {
        return "{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"s\",\"registryScopes\":[\"*\"],"
               "\"signatureVerification\":{\"level\":\"strict\"},\"trustStores\":[\"ca:store\"],\"trustedIdentities\":[\"*\"]" +
               fields + "}]}";
    };
    const std::string invalid = "invalid trust policy: ";
    const std::string stmt = "invalid trust policy: trust policy: trust policy statement \"s\" ";
    EXPECT_EQ(msg(doc("")), "ok");
    EXPECT_EQ(msg("{\"VERSION\":\"1.0\",\"trustpolicies\":[{\"NAME\":\"s\",\"registryscopes\":[\"example.com/app\"],"
                  "\"signatureverification\":{\"LEVEL\":\"audit\"},\"truststores\":[\"tsa:t\"],\"trustedidentities\":[\"x509.subject:C=US, "
                  "ST=WA, O=wabbit-network.io\"],\"unknown\":{\"a\":[1,2]}}]}"),
              "ok")
        << "Go matches field names case-insensitively and ignores unknown ones";
    EXPECT_EQ(msg("null"), invalid + "trust policy document has empty version, version must be specified");
    EXPECT_EQ(msg("{\"version\":\"2.0\"}"), invalid + "trust policy document uses unsupported version \"2.0\"");
    EXPECT_EQ(msg("{\"version\":\"1.0\",\"trustPolicies\":[]}"), invalid + "trust policy document can not have zero trust policy statements");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{}")), "ok") << "a repeated key decodes into the same struct, keeping its level";
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"\"}")),
              stmt + "has invalid signatureVerification: signature verification level is empty or missing in the trust policy statement");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"lax\"}")),
              stmt + "has invalid signatureVerification: invalid signature verification level \"lax\"");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"skip\",\"override\":{\"expiry\":\"log\"}}")),
              stmt + "has invalid signatureVerification: signature verification level \"skip\" can't be used to customize signature verification");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"speed\":\"log\"}}")),
              stmt + "has invalid signatureVerification: verification type \"speed\" in custom signature verification is not supported, "
                     "supported values are [\"integrity\" \"authenticity\" \"authenticTimestamp\" \"expiry\" \"revocation\"]");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"expiry\":\"ignore\"}}")),
              stmt + "has invalid signatureVerification: verification action \"ignore\" in custom signature verification is not supported, "
                     "supported values are [\"enforce\" \"log\" \"skip\"]");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"integrity\":\"log\"}}")),
              stmt + "has invalid signatureVerification: \"integrity\" verification can not be overridden in custom signature verification");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"expiry\":\"skip\"}}")),
              stmt + "has invalid signatureVerification: \"expiry\" verification can not be skipped in custom signature verification");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"strict\",\"override\":{\"revocation\":\"skip\"}}")), "ok");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"strict\",\"verifyTimestamp\":\"never\"}")),
              stmt + "has invalid signatureVerification: verifyTimestamp must be \"always\" or \"afterCertExpiry\", but got \"never\"");
    EXPECT_EQ(msg(doc(",\"signatureVerification\":{\"level\":\"skip\"}")),
              stmt + "is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if "
                     "signature verification needs to be skipped");
    EXPECT_EQ(msg(doc(",\"trustStores\":[]")), stmt + "is either missing trust stores or trusted identities, both must be specified");
    EXPECT_EQ(msg(doc(",\"trustStores\":[\"store\"]")),
              stmt + "has malformed trust store value \"store\". The required format is <TrustStoreType>:<TrustStoreName>");
    EXPECT_EQ(msg(doc(",\"trustStores\":[\"unknown:my-ts\"]")),
              stmt + "uses an unsupported trust store type \"unknown\" in trust store value \"unknown:my-ts\"");
    EXPECT_EQ(msg(doc(",\"trustStores\":[\"ca:#@$@$\"]")),
              stmt + "uses an unsupported trust store name \"#@$@$\" in trust store value \"ca:#@$@$\". Named store name needs to follow "
                     "[a-zA-Z0-9_.-]+ format");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"*\",\"x509.subject:C=US,ST=WA,O=o\"]")),
              stmt + "uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"\"]")), stmt + "has an empty trusted identity");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"C=US, ST=WA, O=wabbit-network.io, OU=org1\"]")),
              stmt + "has trusted identity \"C=US, ST=WA, O=wabbit-network.io, OU=org1\" missing separator");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"other:anything\"]")), "ok") << "unknown identity prefixes are not checked";
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:\"]")), stmt + "has trusted identity \"x509.subject:\" without an identity value");
    const std::string dn_help = "A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum";
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:,,,\"]")),
              stmt + "has trusted identity \"x509.subject:,,,\" with invalid identity value: parsing distinguished name (DN) \",,,\" failed "
                     "with err: incomplete type, value pair. " + dn_help + ", and follow RFC 4514 standard");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,ST\"]")),
              stmt + "has trusted identity \"x509.subject:C=US,ST\" with invalid identity value: parsing distinguished name (DN) \"C=US,ST\" "
                     "failed with err: DN ended with incomplete type, value pair. " + dn_help + ", and follow RFC 4514 standard");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,ST=W\\\\zz,O=o\"]")),
              stmt + "has trusted identity \"x509.subject:C=US,ST=W\\\\zz,O=o\" with invalid identity value: parsing distinguished name (DN) "
                     "\"C=US,ST=W\\\\zz,O=o\" failed with err: failed to decode escaped character: encoding/hex: invalid byte: U+007A 'z'. " +
                     dn_help + ", and follow RFC 4514 standard");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,C=IN\"]")),
              stmt + "has trusted identity \"x509.subject:C=US,C=IN\" with invalid identity value: distinguished name (DN) \"C=US,C=IN\" has "
                     "duplicate RDN attribute for \"C\", DN can only have unique RDN attributes");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,ST=WA\"]")),
              stmt + "has trusted identity \"x509.subject:C=US,ST=WA\" with invalid identity value: distinguished name (DN) \"C=US,ST=WA\" has "
                     "no mandatory RDN attribute for \"O\", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US+ST=WA,O=MyOrg\"]")),
              stmt + "has trusted identity \"x509.subject:C=US+ST=WA,O=MyOrg\" with invalid identity value: distinguished name (DN) "
                     "\"C=US+ST=WA,O=MyOrg\" has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,S=WA,O=a\\\\,b\"]")), "ok") << "S is ST; \\, escapes the comma";
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,ST=WA,O=#04024869\"]")),
              stmt + "has trusted identity \"x509.subject:C=US,ST=WA,O=#04024869\" with invalid identity value: unsupported distinguished name "
                     "(DN) \"C=US,ST=WA,O=#04024869\": notation does not support x509.subject identities containing \"=#\"");
    EXPECT_EQ(msg(doc(",\"trustedIdentities\":[\"x509.subject:C=US,ST=WA,O=MyOrg\",\"x509.subject:C=US,ST=WA,O=MyOrg,X=Y\"]")),
              stmt + "has overlapping x509 trustedIdentities, \"x509.subject:C=US,ST=WA,O=MyOrg\" overlaps with "
                     "\"x509.subject:C=US,ST=WA,O=MyOrg,X=Y\"");
    EXPECT_EQ(msg(doc(",\"registryScopes\":[]")),
              invalid + "trust policy statement \"s\" has zero registry scopes, it must specify registry scopes with at least one value");
    EXPECT_EQ(msg(doc(",\"registryScopes\":[\"*\",\"a.io/b\"]")),
              invalid + "trust policy statement \"s\" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other "
                        "scope values");
    const std::string ensure = " make sure it is a fully qualified repository without the scheme, protocol or tag. For example "
                               "domain.com/my/repository or a local scope like local/myOCILayout";
    EXPECT_EQ(msg(doc(",\"registryScopes\":[\"a.io/*\"]")), invalid + "registry scope \"a.io/*\" with wild card(s) is not valid," + ensure);
    EXPECT_EQ(msg(doc(",\"registryScopes\":[\"a.io\"]")), invalid + "registry scope \"a.io\" is not valid," + ensure);
    EXPECT_EQ(msg(doc(",\"registryScopes\":[\"a.io/Repo\"]")), invalid + "registry scope \"a.io/Repo\" is not valid," + ensure);
    EXPECT_EQ(msg(doc(",\"registryScopes\":[\"https://a.io/repo\"]")), invalid + "registry scope \"https://a.io/repo\" is not valid," + ensure);
    EXPECT_EQ(msg(doc(",\"registryScopes\":[\"localhost:5000/my_repo/sub-dir\"]")), "ok");
    auto two = [](const std::string& a, const std::string& b) {
        return "{\"version\":\"1.0\",\"trustPolicies\":[" + a + "," + b + "]}";
    };
    const std::string p1 = "{\"name\":\"one\",\"registryScopes\":[\"a.io/x\"],\"signatureVerification\":{\"level\":\"skip\"}}";
    EXPECT_EQ(msg(two(p1, p1)), invalid + "multiple trust policy statements use the same name \"one\", statement names must be unique");
    EXPECT_EQ(msg(two(p1, "{\"name\":\"two\",\"registryScopes\":[\"a.io/x\"],\"signatureVerification\":{\"level\":\"skip\"}}")),
              invalid + "registry scope \"a.io/x\" is present in multiple trust policy statements, one registry scope value can only be "
                        "associated with one statement");
}

TEST(NotationTrustPolicy, JsonErrorsAreGos) {
    auto msg = [](const std::string& json) {
        try {
            validate_notation_trust_policy(json, "tp.json");
        } catch (const Error& e) {
            std::string m = e.what();
            const std::string prefix = "failed to unmarshal trust policy tp.json: ";
            return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : "<" + m + ">";
        }
        return std::string("ok");
    };
    EXPECT_EQ(msg(""), "unexpected end of JSON input");
    EXPECT_EQ(msg("{\"version\":"), "unexpected end of JSON input");
    EXPECT_EQ(msg("x"), "invalid character 'x' looking for beginning of value");
    EXPECT_EQ(msg("{\"a\" 1}"), "invalid character '1' after object key");
    EXPECT_EQ(msg("{\"a\":1 \"b\":2}"), "invalid character '\"' after object key:value pair");
    EXPECT_EQ(msg("[1 2]"), "invalid character '2' after array element");
    EXPECT_EQ(msg("{,}"), "invalid character ',' looking for beginning of object key string");
    EXPECT_EQ(msg("{\"a\":1,}"), "invalid character '}' looking for beginning of object key string");
    EXPECT_EQ(msg("[1,]"), "invalid character ']' looking for beginning of value");
    EXPECT_EQ(msg("{} {}"), "invalid character '{' after top-level value");
    EXPECT_EQ(msg("\"a\tb\""), "invalid character '\\t' in string literal");
    EXPECT_EQ(msg("\"\\q\""), "invalid character 'q' in string escape code");
    EXPECT_EQ(msg("\"\\u12x4\""), "invalid character 'x' in \\u hexadecimal character escape");
    EXPECT_EQ(msg("-x"), "invalid character 'x' in numeric literal");
    EXPECT_EQ(msg("1.e5"), "invalid character 'e' after decimal point in numeric literal");
    EXPECT_EQ(msg("1e+"), "unexpected end of JSON input");
    EXPECT_EQ(msg("1ex"), "invalid character 'x' in exponent of numeric literal");
    EXPECT_EQ(msg("01"), "invalid character '1' after top-level value");
    EXPECT_EQ(msg("trie"), "invalid character 'i' in literal true (expecting 'u')");
    EXPECT_EQ(msg("nul'"), "invalid character '\\'' in literal null (expecting 'l')");
    EXPECT_EQ(msg("\x01"), "invalid character '\\x01' looking for beginning of value");
    EXPECT_EQ(msg("\xe9"), "invalid character '\xc3\xa9' looking for beginning of value") << "Go shows the byte as the rune U+00E9";
    EXPECT_EQ(msg(std::string(10001, '[')), "invalid character '[' exceeded max depth");
    EXPECT_EQ(msg(std::string(10000, '[')), "unexpected end of JSON input");
    // Type errors: the first one in document order, in encoding/json's words.
    EXPECT_EQ(msg("[]"), "json: cannot unmarshal array into Go value of type trustpolicy.Document");
    EXPECT_EQ(msg("true"), "json: cannot unmarshal bool into Go value of type trustpolicy.Document");
    EXPECT_EQ(msg("{\"version\":1}"), "json: cannot unmarshal number into Go struct field Document.version of type string");
    EXPECT_EQ(msg("{\"trustPolicies\":{}}"),
              "json: cannot unmarshal object into Go struct field Document.trustPolicies of type []trustpolicy.TrustPolicy");
    EXPECT_EQ(msg("{\"trustPolicies\":[\"x\"]}"),
              "json: cannot unmarshal string into Go struct field Document.trustPolicies of type trustpolicy.TrustPolicy");
    EXPECT_EQ(msg("{\"trustPolicies\":[{\"registryScopes\":[1]}]}"),
              "json: cannot unmarshal number into Go struct field TrustPolicy.trustPolicies.registryScopes of type string");
    EXPECT_EQ(msg("{\"trustPolicies\":[{\"signatureVerification\":{\"level\":[]}}]}"),
              "json: cannot unmarshal array into Go struct field SignatureVerification.trustPolicies.signatureVerification.level of type string");
    EXPECT_EQ(msg("{\"trustPolicies\":[{\"signatureVerification\":{\"override\":[]}}]}"),
              "json: cannot unmarshal array into Go struct field SignatureVerification.trustPolicies.signatureVerification.override of type "
              "map[trustpolicy.ValidationType]trustpolicy.ValidationAction");
    EXPECT_EQ(msg("{\"trustPolicies\":[{\"signatureVerification\":{\"verifyTimestamp\":false}}]}"),
              "json: cannot unmarshal bool into Go struct field SignatureVerification.trustPolicies.signatureVerification.verifyTimestamp of "
              "type trustpolicy.TimestampOption");
    EXPECT_EQ(msg("{\"version\":1,\"trustPolicies\":\"x\"}"),
              "json: cannot unmarshal number into Go struct field Document.version of type string");
}

// --- tls, helm, oci: the drift from flux2's generators --------------------------------------

TEST_F(FluxCreateSecret, TlsIsPrintedWithoutTheEmptyLine) {
    auto gen = sopskit::test::run("cd '" + dir_.string() + "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                                  "-keyout test-key.pem -out test-cert.pem -days 1 -subj /CN=c 2>/dev/null && openssl req -x509 -newkey ec "
                                  "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out test-ca.pem -days 1 -subj /CN=ca 2>/dev/null");
    ASSERT_EQ(gen.exit_code, 0);
    // flux2 create_secret_tls.go prints the content with Print, not Println: it ends at "type".
    expect_output("tls certs --namespace=my-namespace --tls-crt-file=test-cert.pem --tls-key-file=test-key.pem --ca-crt-file=test-ca.pem --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: certs\n  namespace: my-namespace\nstringData:\n  ca.crt: |\n" +
                      indented(read_file(dir_ / "test-ca.pem")) + "  tls.crt: |\n" + indented(read_file(dir_ / "test-cert.pem")) +
                      "  tls.key: |\n" + indented(read_file(dir_ / "test-key.pem")) + "type: kubernetes.io/tls\n");
    expect_output("tls ca-only --ca-crt-file=test-ca.pem", "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ca-only\n  namespace: flux-system\n"
                                                           "stringData:\n  ca.crt: |\n" + indented(read_file(dir_ / "test-ca.pem")) + "type: Opaque\n");
    expect_error("tls certs --tls-crt-file=test-cert.pem", "found certificate but missing private key");
    expect_error("tls certs --tls-key-file=test-key.pem", "found private key but missing certificate");
    expect_error("tls certs", "no CA certificate or client certificate pair found");
    expect_error("tls certs --tls-crt-file=test-cert.pem --tls-key-file=ca-key.pem",
                 "invalid TLS certificate and key pair: tls: private key does not match public key");
    expect_error("tls certs --tls-crt-file=nope.pem", "failed to read cert file: open nope.pem: no such file or directory");
}

TEST_F(FluxCreateSecret, HelmTable) {
    expect_error("helm", "name is required");
    expect_output("helm helm-secret --username=my-username --password=my-password --namespace=my-namespace --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: helm-secret\n  namespace: my-namespace\nstringData:\n"
                  "  password: my-password\n  username: my-username\ntype: kubernetes.io/basic-auth\n\n");
    // No credentials: Flux's empty StringData map is omitempty, and there is no type.
    expect_output("helm public-repo --namespace=my-namespace --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: public-repo\n  namespace: my-namespace\n\n");
    expect_error("helm hh --username=u", "password is required");
}

TEST_F(FluxCreateSecret, OciTableAndGoJsonEscaping) {
    expect_error("oci", "name is required");
    expect_error("oci ghcr", "--url is required");
    expect_output("oci ghcr --namespace=my-namespace --url ghcr.io --username stefanprodan --password=password --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ghcr\n  namespace: my-namespace\nstringData:\n"
                  "  .dockerconfigjson: |-\n    {\n      \"auths\": {\n        \"ghcr.io\": {\n          \"username\": \"stefanprodan\",\n"
                  "          \"password\": \"password\",\n          \"auth\": \"c3RlZmFucHJvZGFuOnBhc3N3b3Jk\"\n        }\n      }\n    }\n"
                  "type: kubernetes.io/dockerconfigjson\n\n");
    // encoding/json: \t and \n as such, <, > and & as \u003c..., U+2028 as \u2028, bad UTF-8 as \ufffd.
    std::string m = oci_secret_manifest("rr", "ns", "ghcr.io", "a<b>&", "p\tw\nx\xe2\x80\xa8\"\\\xff");
    EXPECT_NE(m.find("\"username\": \"a\\u003cb\\u003e\\u0026\",\n          \"password\": \"p\\tw\\nx\\u2028\\\"\\\\\\ufffd\",\n"), std::string::npos)
        << m;
}

// --- what every subcommand shares ------------------------------------------------------------

TEST_F(FluxCreateSecret, FluxSystemNamespaceForEverySubcommand) {
    write_file(dir_ / "k.pem", "key");
    write_file(dir_ / "age.txt", "AGE-SECRET-KEY-1ABC\n");
    write_file(dir_ / "ca.crt", "ca");
    write_file(dir_ / "tp.json", "{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"s\",\"registryScopes\":[\"*\"],"
                                 "\"signatureVerification\":{\"level\":\"skip\"}}]}");
    const std::vector<std::string> commands{
        "git sx --url=https://h/r -u u -p p", "helm sx", "tls sx --ca-crt-file=ca.crt", "oci sx --url=ghcr.io -u u -p p",
        "proxy sx --address=http://p", "githubapp sx --app-id=1 --app-installation-id=2 --app-private-key=k.pem",
        "receiver sx --type=github --hostname=h", "notation sx --ca-cert-file=ca.crt --trust-policy-file=tp.json",
        "sops sx --age-key-file=age.txt"};
    for (const auto& c : commands) {
        SCOPED_TRACE(c);
        RunResult r = create(c, {{"FLUX_SYSTEM_NAMESPACE", "tenant-a"}});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find("\n  namespace: tenant-a\n"), std::string::npos) << r.out;
        r = create(c + " -n flux-system", {{"FLUX_SYSTEM_NAMESPACE", "tenant-a"}});
        EXPECT_NE(r.out.find("\n  namespace: flux-system\n"), std::string::npos) << "an explicit -n wins, even flux-system";
        r = create(c, {{"FLUX_SYSTEM_NAMESPACE", "Not_A_Label"}});
        EXPECT_NE(r.out.find("\n  namespace: flux-system\n"), std::string::npos) << "an invalid value is ignored";
        EXPECT_NE(r.err.find("ignoring invalid FLUX_SYSTEM_NAMESPACE: \"Not_A_Label\""), std::string::npos) << r.err;
    }
}

TEST_F(FluxCreateSecret, LabelsAreValidatedAsFluxDoes) {
    expect_output("proxy px --address=http://p --label=app.kubernetes.io/part-of=flux,tier=1 --label team=",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  labels:\n    app.kubernetes.io/part-of: flux\n    team: \"\"\n"
                  "    tier: \"1\"\n  name: px\n  namespace: flux-system\nstringData:\n  address: http://p\ntype: Opaque\n\n");
    expect_error("proxy px --address=http://p --label=novalue", "invalid label format 'novalue', must be key=value");
    expect_error("proxy px --address=http://p --label=a=b=c", "invalid label format 'a=b=c', must be key=value");
    const std::string key_rule = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                                 "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    expect_error("proxy px --address=http://p --label=-bad=v", "invalid label '-bad': [name part " + key_rule + "]");
    expect_error("proxy px --address=http://p --label=Ex.com/k=v",
                 "invalid label 'Ex.com/k': [prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                 "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
    expect_error("proxy px --address=http://p --label=/k=v", "invalid label '/k': [prefix part must be non-empty]");
    expect_error("proxy px --address=http://p --label=a/b/c=v",
                 "invalid label 'a/b/c': [a valid label key " + key_rule + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')]");
    expect_error("proxy px --address=http://p --label=x/=v", "invalid label 'x/': [name part must be non-empty name part " + key_rule + "]");
    expect_error("proxy px --address=http://p --label=k=" + std::string(64, 'v'),
                 "invalid label value '" + std::string(64, 'v') +
                     "': [must be no more than 63 bytes]");
    expect_error("proxy px --address=http://p --label=k=v_",
                 "invalid label value 'v_': [a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                 "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                 "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]");
    // StringSlice is CSV: quotes keep a comma inside one label, a stray quote is pflag's error.
    expect_error("proxy px --address=http://p --label=\"a=b,c\"", "invalid label value 'b,c': [a valid label must be an empty string or consist "
                 "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                 "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]");
    expect_error("proxy px --address=http://p --label=a=b\"c", "invalid argument \"a=b\\\"c\" for \"--label\" flag: parse error on line 1, column 4: "
                 "bare \" in non-quoted-field");
    expect_error("proxy Bad_Name --address=http://p", "name 'Bad_Name' is invalid, it should adhere to standard defined in RFC 1123, the name "
                 "can only contain alphanumeric characters or '-'");
}

TEST_F(FluxCreateSecret, SopsDecryptionSecretUsesMakeSOPSSecretsWords) {
    expect_error("sops", "name is required");
    expect_error("sops keys", "at least one key must be provided");
    write_file(dir_ / "empty.txt", "");
    expect_error("sops keys --age-key-file=empty.txt", "Age key cannot be empty");
    expect_error("sops keys --pgp-key-file=empty.txt", "GPG key cannot be empty");
}

// --- git (flux2 create_secret_git_test.go, the cases that need no network) ------------------

TEST_F(FluxCreateSecret, GitTable) {
    expect_error("git", "name is required");
    const std::string head = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: podinfo-auth\n  namespace: my-namespace\nstringData:\n";
    expect_output("git podinfo-auth --url=https://github.com/stefanprodan/podinfo --username=my-username --password=my-password "
                  "--namespace=my-namespace --export",
                  head + "  password: my-password\n  username: my-username\n\n");
    expect_output("git bearer-token-auth --url=https://github.com/stefanprodan/podinfo --bearer-token=ghp_token --namespace=my-namespace --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: bearer-token-auth\n  namespace: my-namespace\nstringData:\n"
                  "  bearerToken: ghp_token\n\n");
    write_file(dir_ / "ca.crt", "ca-data");
    expect_output("git ca-crt --url=https://github.com/stefanprodan/podinfo --password=my-password --username=my-username "
                  "--ca-crt-file=ca.crt --namespace=my-namespace --export",
                  "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ca-crt\n  namespace: my-namespace\nstringData:\n"
                  "  ca.crt: ca-data\n  password: my-password\n  username: my-username\n\n");
    expect_error("git podinfo-auth --url=https://github.com/stefanprodan/podinfo --username=aaa --password=zzzz --bearer-token=aaaa "
                 "--namespace=my-namespace --export",
                 "user credentials and bearer token cannot be used together");
    expect_error("git podinfo-auth --url=ssh://git@127.0.0.1:1/x --private-key-file=nope",
                 "failed to open private key file: open nope: no such file or directory");
    expect_error("git podinfo-auth --url=https://h/r -u u -p p --ca-crt-file=nope.crt",
                 "unable to read TLS CA file: open nope.crt: no such file or directory");
}
