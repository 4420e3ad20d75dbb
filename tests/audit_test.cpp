// sopskit audit and its pre-commit guard, on real git repositories in a temporary folder (HOME
// pointed there too, so no user or system git configuration is read).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "sopskit/age.hpp"
#include "sopskit/audit.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::cli_path;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

constexpr const char* kPlainSecret = R"(apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: hunter2-plain-value
)";

class AuditRepo : public ::testing::Test {
protected:
    void SetUp() override {
        if (!sopskit::test::have_program("git")) GTEST_SKIP() << "git not installed";
        dir_ = sopskit::test::make_temp_dir();
        repo_ = dir_ / "repo";
        fs::create_directories(repo_);
        old_ = sopskit::age::X25519Identity::generate();
        new_ = sopskit::age::X25519Identity::generate();
        write_file(dir_ / "keys.txt", old_.encode() + "\n" + new_.encode() + "\n");
        write_file(dir_ / "gitconfig", "");
        fs::create_directories(dir_ / "tmp");  // --staged exports the index under $TMPDIR
        ASSERT_EQ(sh("git init -q . && git config user.name t && git config user.email t@example.com").exit_code, 0);
    }

    // A command in the repository, with HOME and git's global/system configuration inside the
    // temporary folder and the test's age identities for sopskit.
    sopskit::test::RunResult sh(const std::string& command, const std::string& in = "") {
        std::string env = "cd '" + repo_.string() + "' && export HOME='" + dir_.string() +
                          "' TMPDIR='" + (dir_ / "tmp").string() + "' GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL='" + (dir_ / "gitconfig").string() + "' XDG_CONFIG_HOME='" +
                          dir_.string() + "' SOPS_AGE_KEY_FILE='" + (dir_ / "keys.txt").string() + "' PATH='" +
                          fs::path(cli_path()).parent_path().string() + "':\"$PATH\" && ";
        return run(env + command, in);
    }
    sopskit::test::RunResult audit(const std::string& args) { return sh("sopskit audit " + args); }

    void put(const std::string& name, const std::string& text) {
        fs::create_directories((repo_ / name).parent_path());
        write_file(repo_ / name, text);
    }
    void sops_yaml(const std::string& recipient) {
        put(".sops.yaml", "creation_rules:\n  - path_regex: .*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: " +
                              recipient + "\n  - path_regex: .*\\.env$\n    age: " + recipient + "\n");
    }
    // Encrypts a plain Secret in place with the creation rule.
    void encrypted_secret(const std::string& name) {
        put(name, kPlainSecret);
        auto r = sh("sopskit encrypt -i " + name);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }

    fs::path dir_, repo_;
    sopskit::age::X25519Identity old_, new_;
};

TEST_F(AuditRepo, CleanRepositoryHasNoFindings) {
    sops_yaml(old_.recipient());
    encrypted_secret("apps/db.yaml");
    put("apps/config.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  mode: fast\n");
    put("apps/kustomization.yaml", "resources: [db.yaml]\nsecretGenerator:\n  - name: gen\n    envs: [gen.env]\n");
    put("apps/gen.env", "TOKEN=abc\n");
    // A Helm template is not a manifest until rendered: not flagged although it does not parse.
    put("chart/templates/secret.yaml", "kind: Secret\ndata:\n  {{- range .Values.keys }}\n  {{ . }}: x\n  {{- end }}\n");
    ASSERT_EQ(sh("sopskit encrypt -i apps/gen.env").exit_code, 0);
    ASSERT_EQ(sh("git add -A").exit_code, 0);
    auto r = audit("");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    auto j = nlohmann::json::parse(audit("--json").out);
    EXPECT_TRUE(j["findings"].empty());
}

TEST_F(AuditRepo, FindsEveryPlantedCase) {
    sops_yaml(old_.recipient());
    // 1. plaintext Secret, as the second document of a multi-document file.
    put("apps/multi.yaml", std::string("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n") + kPlainSecret);
    // 2. JSON Secret with data in plaintext.
    put("apps/secret.json", R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"j"},"data":{"token":"c2VjcmV0"}})");
    // 3. partial encryption: a rule that encrypts only `password`.
    put("apps/partial.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\nstringData:\n  password: a\n  apikey: b\n");
    ASSERT_EQ(sh("sopskit encrypt -i --age " + old_.recipient() + " --encrypted-regex ^password$ apps/partial.yaml").exit_code, 0);
    // 4. stale recipient: encrypted to the old key, then .sops.yaml moved to the new one.
    encrypted_secret("apps/stale.yaml");
    sops_yaml(new_.recipient());
    // 5. secretGenerator reading a plaintext file.
    put("gen/kustomization.yaml", "secretGenerator:\n  - name: creds\n    files:\n      - password.txt=creds/password.txt\n");
    put("gen/creds/password.txt", "hunter2\n");
    // 6. a committed age identity, 7. a decryption-key Secret in plaintext.
    put("keys/age.agekey", old_.encode() + "\n");
    put("flux/sops-age.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-age\nstringData:\n  age.agekey: x\n");
    // 8. mac_only_encrypted.
    put("apps/maconly.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: m\nstringData:\n  password: z\n");
    ASSERT_EQ(sh("sopskit encrypt -i --age " + new_.recipient() + " --mac-only-encrypted apps/maconly.yaml").exit_code, 0);
    // 11. a Secret inside a `kind: List` (kubectl get -o yaml).
    put("apps/list.yaml", "apiVersion: v1\nkind: List\nitems:\n  - kind: ConfigMap\n    data: {a: b}\n  - kind: Secret\n    data:\n      k: dg==\n");
    // 10. a Secret that does not parse is reported, not skipped silently.
    put("apps/broken.yaml", "kind: Secret\ndata: [unclosed\n");
    // 9. a MAC that does not verify: metadata.name changed without sops.
    encrypted_secret("apps/tampered.yaml");
    ASSERT_EQ(sh("sed -i s/name:\\ db/name:\\ dbx/ apps/tampered.yaml && grep -q dbx apps/tampered.yaml").exit_code, 0);
    ASSERT_EQ(sh("git add -A").exit_code, 0);

    auto r = audit("");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string& out = r.out;
    EXPECT_NE(out.find("apps/multi.yaml:2: stringData.password: error: Kubernetes Secret data is not encrypted"), std::string::npos) << out;
    EXPECT_NE(out.find("fix: sopskit encrypt -i apps/multi.yaml"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/secret.json: data.token:"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/partial.yaml: stringData.apikey: error: SOPS file leaves Secret data readable"), std::string::npos) << out;
    EXPECT_EQ(out.find("apps/partial.yaml: stringData.password"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/stale.yaml: sops: error: recipients differ"), std::string::npos) << out;
    EXPECT_NE(out.find("-age " + old_.recipient()), std::string::npos) << out;
    EXPECT_NE(out.find("sopskit updatekeys -y apps/stale.yaml && sopskit rotate -i apps/stale.yaml"), std::string::npos) << out;
    EXPECT_NE(out.find("gen/kustomization.yaml: secretGenerator.creds: error: kustomize secretGenerator source is plaintext: source gen/creds/password.txt"),
              std::string::npos) << out;
    EXPECT_NE(out.find("sopskit encrypt -i gen/creds/password.txt"), std::string::npos) << out;
    EXPECT_NE(out.find("keys/age.agekey: error: age identity"), std::string::npos) << out;
    EXPECT_NE(out.find("flux/sops-age.yaml: stringData.age.agekey: error: decryption key Secret manifest in plaintext"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/maconly.yaml: sops.mac_only_encrypted: warning"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/tampered.yaml: sops.mac: error: MAC does not verify"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/list.yaml: items[1].data.k: error: Kubernetes Secret data is not encrypted"), std::string::npos) << out;
    EXPECT_NE(out.find("apps/broken.yaml: warning: file looks like a Secret but does not parse"), std::string::npos) << out;
    EXPECT_EQ(audit("--no-verify-mac").out.find("apps/tampered.yaml"), std::string::npos);
    // The files that are fine are not named; no value and no identity appear anywhere.
    EXPECT_EQ(out.find("hunter2"), std::string::npos);
    EXPECT_EQ(out.find("AGE-SECRET-KEY-1"), std::string::npos);
    EXPECT_EQ(out.find("c2VjcmV0"), std::string::npos);

    // The same findings as JSON and SARIF.
    auto j = nlohmann::json::parse(audit("--json").out);
    std::set<std::string> rules;
    for (const auto& f : j["findings"]) {
        rules.insert(f["rule"].get<std::string>());
        for (const char* field : {"file", "path", "severity", "message", "fix"}) EXPECT_TRUE(f.contains(field)) << f;
    }
    EXPECT_EQ(rules, (std::set<std::string>{"plaintext-secret", "partly-encrypted-secret", "stale-recipients",
                                            "generator-plaintext-source", "age-identity-committed",
                                            "plaintext-decryption-key", "mac-only-encrypted", "mac-mismatch", "unparsable-secret"}));
    auto s = audit("--sarif");
    EXPECT_EQ(s.exit_code, 1);
    auto sarif = nlohmann::json::parse(s.out);
    EXPECT_EQ(sarif["version"], "2.1.0");
    const auto& run0 = sarif["runs"][0];
    EXPECT_EQ(run0["tool"]["driver"]["name"], "sopskit");
    EXPECT_EQ(run0["results"].size(), j["findings"].size());
    std::set<std::string> declared;
    for (const auto& rule : run0["tool"]["driver"]["rules"]) declared.insert(rule["id"].get<std::string>());
    for (const auto& res : run0["results"]) {
        EXPECT_TRUE(declared.count(res["ruleId"].get<std::string>())) << res;
        EXPECT_TRUE(res["level"] == "error" || res["level"] == "warning");
        EXPECT_FALSE(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().empty());
    }
    EXPECT_EQ(s.out.find("hunter2"), std::string::npos);

    // A path argument limits the audit; untracked files are not audited in a git work tree.
    auto one = audit("apps/secret.json");
    EXPECT_EQ(one.exit_code, 1);
    EXPECT_EQ(one.out.find("apps/multi.yaml"), std::string::npos) << one.out;
    put("untracked.yaml", kPlainSecret);
    EXPECT_EQ(audit("untracked.yaml").exit_code, 0);
    EXPECT_EQ(audit("--no-git untracked.yaml").exit_code, 1);
}

TEST_F(AuditRepo, StagedReadsTheIndexNotTheWorkTree) {
    sops_yaml(old_.recipient());
    put("s.yaml", kPlainSecret);
    ASSERT_EQ(sh("git add -A").exit_code, 0);
    ASSERT_EQ(sh("sopskit encrypt -i s.yaml").exit_code, 0);  // encrypted in the work tree only
    EXPECT_EQ(audit("").exit_code, 0);
    auto r = audit("--staged");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("s.yaml: stringData.password"), std::string::npos) << r.out;
}

TEST_F(AuditRepo, UnreadableFileExitsTwo) {
    // --staged needs git's index: outside a work tree there is nothing it can read.
    fs::create_directories(dir_ / "plain");
    auto outside = run("cd '" + (dir_ / "plain").string() + "' && HOME='" + dir_.string() + "' GIT_CEILING_DIRECTORIES='" +
                       dir_.string() + "' '" + cli_path() + "' audit --staged");
    EXPECT_EQ(outside.exit_code, 2) << outside.err;
    EXPECT_NE(outside.err.find("not inside a git work tree"), std::string::npos) << outside.err;
    put("a.yaml", "x: 1\n");
    ASSERT_EQ(sh("git add -A").exit_code, 0);
    fs::permissions(repo_ / "a.yaml", fs::perms::none);
    if (std::getenv("USER") && std::string(std::getenv("USER")) == "root") GTEST_SKIP() << "root reads any file";
    auto r = audit("");
    if (r.exit_code == 0) GTEST_SKIP() << "running with CAP_DAC_OVERRIDE";
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("cannot read a.yaml"), std::string::npos) << r.err;
}

// The pre-commit guard: a real hook, a real commit.
TEST_F(AuditRepo, PreCommitHookBlocksPlaintextAndLetsTheEncryptedFileThrough) {
    sops_yaml(old_.recipient());
    write_file(repo_ / ".git/hooks/pre-commit", "#!/bin/sh\nexec sopskit audit --staged\n");
    fs::permissions(repo_ / ".git/hooks/pre-commit", fs::perms::owner_all);
    put("db.yaml", kPlainSecret);
    ASSERT_EQ(sh("git add -A").exit_code, 0);
    auto blocked = sh("git commit -q -m plain");
    EXPECT_NE(blocked.exit_code, 0);
    EXPECT_NE((blocked.out + blocked.err).find("fix: sopskit encrypt -i db.yaml"), std::string::npos) << blocked.out << blocked.err;
    EXPECT_EQ((blocked.out + blocked.err).find("hunter2"), std::string::npos);
    EXPECT_NE(sh("git rev-parse -q --verify HEAD").exit_code, 0) << "the commit was made";

    ASSERT_EQ(sh("sopskit encrypt -i db.yaml && git add db.yaml").exit_code, 0);
    auto ok = sh("git commit -q -m encrypted");
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_EQ(sh("git rev-parse -q --verify HEAD").exit_code, 0);
}

TEST(AuditParsers, GitLsFilesZ) {
    EXPECT_EQ(sopskit::parse_git_ls_files_z(std::string("a\0b c\0\0d\n\0", 10)),
              (std::vector<std::string>{"a", "b c", "d\n"}));
    EXPECT_TRUE(sopskit::parse_git_ls_files_z("").empty());
    EXPECT_EQ(sopskit::shell_quote("a/b.yaml"), "a/b.yaml");
    EXPECT_EQ(sopskit::shell_quote("it's here"), "'it'\\''s here'");
    EXPECT_EQ(sopskit::shell_quote("-x"), "'-x'");
}

}  // namespace
