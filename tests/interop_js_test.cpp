// Interop with independent SOPS implementations from npm: sops-age (JavaScript) decrypts files
// sopskit writes, in YAML, JSON and dotenv; sops-decoder also verifies their MAC.
#include <filesystem>

#include "sopskit/age.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

// Installs sops-age and sops-decoder once per build tree; empty when npm or the registry is
// unavailable.
std::string sops_age_module_dir() { return sopskit::test::npm_install_once("npm-interop", "sops-age@4.0.2 sops-decoder@0.10.3"); }

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

// sops-decoder (JSON only, AWS KMS only) recomputes the MAC over every value. Its KMS client is
// stubbed to hand it the data key, which the real age CLI unwraps from our enc block first; a
// readable value changed afterwards must then fail its MAC check.
TEST(InteropSopsDecoderJs, VerifiesValuesAndMacOfWhatSopskitWrites) {
    REQUIRE_PROGRAM("node");
    REQUIRE_PROGRAM("npm");
    REQUIRE_PROGRAM("age");
    std::string modules = sops_age_module_dir();
    if (modules.empty()) GTEST_SKIP() << "could not install the npm package sops-decoder (no registry access)";
    auto id = sopskit::age::X25519Identity::generate();
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "key.txt", id.encode() + "\n");
    write_file(dir / "s.yaml", "password: hunter2\nport: 5432\nratio: 1.5\nenabled: true\nnothing: null\n"
                               "note_unencrypted: readable\ndb:\n    user: admin\n    hosts:\n        - alpha\n        - 7\n");
    std::string cli = "'" + sopskit::test::cli_path() + "'";
    auto enc = run(cli + " -e --age " + id.recipient() + " --output-type json '" + (dir / "s.yaml").string() + "'");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    write_file(dir / "s.enc.json", enc.out);
    std::string tampered = enc.out;
    tampered.replace(tampered.find("\"readable\""), 10, "\"readablX\"");
    write_file(dir / "t.enc.json", tampered);
    // The data key, unwrapped by the real age from the file's enc block.
    auto armored = run("node -e 'process.stdout.write(JSON.parse(require(\"fs\").readFileSync(process.argv[1])).sops.age[0].enc)' '" +
                       (dir / "s.enc.json").string() + "' | age -d -i '" + (dir / "key.txt").string() + "' | base64 -w0");
    ASSERT_EQ(armored.exit_code, 0) << armored.err;
    ASSERT_EQ(armored.out.size(), 44u) << "a 32-byte data key";
    write_file(fs::path(modules) / "decoder.cjs",
               "const { KMSClient } = require('@aws-sdk/client-kms');\n"
               "const { decrypt } = require('sops-decoder');\n"
               "KMSClient.prototype.send = async () => ({ Plaintext: new Uint8Array(Buffer.from(process.env.DATA_KEY, 'base64')) });\n"
               "(async () => {\n"
               "  for (const f of process.argv.slice(2)) {\n"
               "    const tree = JSON.parse(require('fs').readFileSync(f, 'utf8'));\n"
               "    tree.sops.kms = [{ arn: 'arn:aws:kms:us-east-1:111111111111:key/stub', enc: 'AA==', created_at: '' }];\n"
               "    try { console.log(JSON.stringify(await decrypt(tree))); } catch (e) { console.log('error: ' + e.message); }\n"
               "  }\n"
               "})();\n");
    auto out = run("cd '" + modules + "' && AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y DATA_KEY='" + armored.out + "' node decoder.cjs '" +
                   (dir / "s.enc.json").string() + "' '" + (dir / "t.enc.json").string() + "'");
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out,
              R"({"password":"hunter2","port":5432,"ratio":1.5,"enabled":true,"nothing":null,"note_unencrypted":"readable",)"
              R"("db":{"user":"admin","hosts":["alpha",7]}})" "\n"
              "error: Hash mismatch\n");
}
