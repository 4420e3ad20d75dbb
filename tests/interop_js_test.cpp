// Interop with an independent SOPS implementation: the npm package sops-age (JavaScript)
// decrypts files sopskit writes, in YAML, JSON and dotenv.
#include <filesystem>

#include "sopskit/age.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

// Installs sops-age once per build tree; empty when npm or the registry is unavailable.
std::string sops_age_module_dir() {
    fs::path dir = fs::path(SOPSKIT_CLI_PATH).parent_path().parent_path() / "npm-interop";
    if (fs::exists(dir / "node_modules/sops-age/package.json")) return dir.string();
    fs::create_directories(dir);
    auto r = run("cd '" + dir.string() + "' && npm install --silent --no-audit --no-fund sops-age@4.0.2 >/dev/null 2>&1");
    if (r.exit_code != 0 || !fs::exists(dir / "node_modules/sops-age/package.json")) return {};
    return dir.string();
}

}  // namespace

TEST(InteropSopsAgeJs, DecryptsWhatSopskitWrites) {
    REQUIRE_PROGRAM("node");
    REQUIRE_PROGRAM("npm");
    std::string modules = sops_age_module_dir();
    if (modules.empty()) GTEST_SKIP() << "could not install the npm package sops-age (no registry access)";
    auto id = sopskit::age::X25519Identity::generate();
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "s.yaml",
               "apiVersion: v1\nkind: Secret\nmetadata:\n    name: x\nstringData:\n    password: hunter2\n    n: 42\n"
               "    f: 1.5\n    b: true\n    # a comment\n    list:\n        - a\n        - 2\n");
    write_file(dir / "e.env", "A=1\nB=two words\n");
    std::string cli = "'" + sopskit::test::cli_path() + "'";
    std::string r = id.recipient();
    ASSERT_EQ(run(cli + " -e --age " + r + " --encrypted-regex '^(data|stringData)$' '" + (dir / "s.yaml").string() +
                  "' > '" + (dir / "s.enc.yaml").string() + "'").exit_code, 0);
    ASSERT_EQ(run(cli + " -e --age " + r + " --output-type json '" + (dir / "s.yaml").string() + "' > '" +
                  (dir / "s.enc.json").string() + "'").exit_code, 0);
    ASSERT_EQ(run(cli + " -e --age " + r + " '" + (dir / "e.env").string() + "' > '" + (dir / "e.enc.env").string() + "'").exit_code, 0);
    write_file(dir / "t.mjs",
               "import { decryptSops } from 'sops-age';\nimport fs from 'fs';\n"
               "for (const [f, t] of [['s.enc.yaml','yaml'], ['s.enc.json','json'], ['e.enc.env','env']]) {\n"
               "  const d = await decryptSops(fs.readFileSync('" + dir.string() + "/' + f, 'utf8'), { secretKey: process.env.K, fileType: t });\n"
               "  console.log(JSON.stringify(d));\n}\n");
    fs::copy_file(dir / "t.mjs", fs::path(modules) / "t.mjs", fs::copy_options::overwrite_existing);
    auto out = run("cd '" + modules + "' && K='" + id.encode() + "' node t.mjs");
    ASSERT_EQ(out.exit_code, 0) << out.err;
    std::string secret = R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"stringData":{"password":"hunter2","n":42,"f":1.5,"b":true,"list":["a",2]}})";
    EXPECT_EQ(out.out, secret + "\n" + secret + "\n" + R"({"A":"1","B":"two words"})" + "\n");
}
