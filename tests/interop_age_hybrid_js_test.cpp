// Post-quantum hybrid age keys against an independent implementation: age-encryption (npm,
// the TypeScript age by age's author). A file key wrapped by one opens with the other.
#include <filesystem>

#include "core/text.hpp"
#include "sopskit/age.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

std::string age_js_dir() { return test::npm_install_once("npm-interop-age", "age-encryption@0.3.1"); }

}  // namespace

TEST(InteropAgeHybridJs, BothDirections) {
    REQUIRE_PROGRAM("node");
    REQUIRE_PROGRAM("npm");
    std::string modules = age_js_dir();
    if (modules.empty()) GTEST_SKIP() << "could not install the npm package age-encryption (no registry access)";
    fs::path dir = test::make_temp_dir();

    // sopskit -> age-encryption: our identity and file, their decryption and recipient derivation.
    auto ours = age::HybridIdentity::generate();
    write_file(dir / "to_js.age", age::encrypt("from sopskit", {ours.recipient()}, false));
    // age-encryption -> sopskit: their identity and file.
    write_file(dir / "t.mjs",
               "import * as age from 'age-encryption';\nimport fs from 'fs';\n"
               "const dir = process.argv[2];\n"
               "const d = new age.Decrypter();\nd.addIdentity(process.env.OUR_ID);\n"
               "const text = await d.decrypt(fs.readFileSync(dir + '/to_js.age'), 'text');\n"
               "const ourRecipient = await age.identityToRecipient(process.env.OUR_ID);\n"
               "const theirs = await age.generateHybridIdentity();\n"
               "const e = new age.Encrypter();\ne.addRecipient(await age.identityToRecipient(theirs));\n"
               "fs.writeFileSync(dir + '/from_js.age', await e.encrypt('from age-encryption'));\n"
               "fs.writeFileSync(dir + '/their_id.txt', theirs);\n"
               "console.log(JSON.stringify({ text, ourRecipient }));\n");
    fs::copy_file(dir / "t.mjs", fs::path(modules) / "hybrid_t.mjs", fs::copy_options::overwrite_existing);
    auto out = run("cd '" + modules + "' && OUR_ID='" + ours.encode() + "' node hybrid_t.mjs '" + dir.string() + "'");
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out, R"({"text":"from sopskit","ourRecipient":")" + ours.recipient() + "\"}\n");

    std::string their_id = read_file(dir / "their_id.txt");
    ASSERT_EQ(their_id.rfind("AGE-SECRET-KEY-PQ-1", 0), 0u) << "age-encryption made a hybrid identity";
    age::IdentitySet ids;
    ids.add_from_text(their_id);
    auto plain = age::decrypt(read_file(dir / "from_js.age"), ids);
    ASSERT_TRUE(plain) << "sopskit could not unwrap age-encryption's mlkem768x25519 stanza";
    EXPECT_EQ(plain->view(), "from age-encryption");
}
