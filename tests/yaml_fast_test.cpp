// The YAML fast path of encryption (stores/yaml_fast.hpp): it takes only its subset, and on
// what it takes it writes the tree path's bytes and MAC exactly (one fixed IV for every value
// makes both deterministic).
#include <gtest/gtest.h>

#include <set>

#include "sopskit/engine.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/sops_file.hpp"
#include "stores/yaml_fast.hpp"
#include "stores/yaml_fast_check.hpp"
#include "test_support.hpp"

using namespace sopskit;
using detail::fast_check::compare_yaml_decrypt_paths;
using detail::fast_check::compare_yaml_paths;

namespace {

CryptRules default_rules() {
    CryptRules r;
    r.unencrypted_suffix = kDefaultUnencryptedSuffix;
    return r;
}

void expect_same(std::string_view yaml, const CryptRules& rules = default_rules(), int indent = 4, bool timestamps = true) {
    auto c = compare_yaml_paths(yaml, rules, indent, timestamps);
    EXPECT_TRUE(c.fast_taken) << "declined:\n" << yaml;
    EXPECT_TRUE(c.same) << "input:\n" << yaml << "\nfast:\n" << c.fast << "\ntree:\n" << c.tree;
    EXPECT_EQ(c.fast_mac, c.tree_mac);
}

const char* kTricky =
    "a: 1\n"
    "b:\n"
    "    c: hello world\n"
    "    d_unencrypted: true\n"
    "    l:\n"
    "    - x\n"
    "    - -3.5\n"
    "    -\n"
    "      k: v\n"
    "      m:\n"
    "    - null\n"
    "    -\n"
    "        - q\n"
    "    - - r\n"
    "      - - s: t\n"
    "          u: v\n"
    "        -\n"
    "    -   spaced: entry\n"
    "        next: one\n"
    "e: 2001-12-14\n"
    "ts: 2001-12-14t21:59:43.10-05:00\n"
    "f: .inf\n"
    "g: 0x1F\n"
    "h: ~\n"
    "i:\n"
    "true: key that reads as a bool\n"
    "1.50: key that reads as a number\n"
    "null: key null\n"
    "s: a:b, c[d] {e}  f\n"
    "url: http://example.com/x?y=z\n"
    "dash: -x\n"
    "yes: on\n"
    "empty_map_value:\n"
    "\n"
    "   \n"
    "last:\n"
    "  - 1\n"
    "  - two\n";

// What the tree path writes for kTricky's keys `true`, `1.50`, `null` and `yes` is quoted,
// which the fast path leaves to the tree path: encrypted files to decrypt do without them.
std::string without_quoted_keys(std::string yaml) {
    for (const char* line : {"true: key that reads as a bool\n", "1.50: key that reads as a number\n", "null: key null\n",
                             "yes: on\n"})
        yaml.erase(yaml.find(line), std::string_view(line).size());
    return yaml;
}

}  // namespace

TEST(YamlFastPath, WritesTheTreePathsBytesAndMac) {
    expect_same(kTricky);
    expect_same("k: v");  // no final line break
    expect_same("app0:\n    name: service-0\n    password: p4ssw0rd-0-xxxx\n    port: 1000\n    enabled: true\n"
                "    tags:\n        - a0\n        - b0\n");
}

TEST(YamlFastPath, KeepsTheRulesIndentAndTimestampOption) {
    CryptRules regex;
    regex.encrypted_regex = "^(c|l|k)$";
    expect_same(kTricky, regex);
    CryptRules suffix;
    suffix.encrypted_suffix = "_secret";
    expect_same("a_secret: 1\nb:\n  c_secret:\n    - x\n  d: y\n", suffix);
    CryptRules unregex;
    unregex.unencrypted_regex = "^b$";
    expect_same(kTricky, unregex);
    CryptRules mac_only = regex;
    mac_only.mac_only_encrypted = true;
    expect_same(kTricky, mac_only);
    for (int indent : {0, 2, 3, 9, 12}) expect_same(kTricky, default_rules(), indent);
    expect_same(kTricky, default_rules(), 4, false);
}

// Large files are encrypted in two halves on two threads, cut at the middle top-level key;
// compare_yaml_paths checks the halves' bytes and MAC too. Here, cuts under every rule kind,
// including a MAC of encrypted values only, and documents the cut cannot split.
TEST(YamlFastPath, TwoHalvesOnTwoThreadsWriteTheSameBytesAndMac) {
    std::string many;
    for (int i = 0; i < 300; ++i) {
        many += "app" + std::to_string(i) + ":\n  name: service-" + std::to_string(i) + "\n  port: " + std::to_string(i) +
                "\n  secret_unencrypted: open\n  tags:\n  - t" + std::to_string(i % 7) + "\n  -\n    deep: 1.5e3\n";
        if (i % 50 == 0) many += "top" + std::to_string(i) + ": " + (i % 100 ? "true" : "") + "\n";
    }
    expect_same(many);
    CryptRules regex;
    regex.encrypted_regex = "^(name|deep)$";
    expect_same(many, regex);
    regex.mac_only_encrypted = true;
    expect_same(many, regex);
    expect_same("only:\n  one: key\n  at: the top\n");  // no second top-level key: no cut
    expect_same("a: 1\nb: 2\n");

    // The cut is real: the halves differ from one emitter's output only if they are wrong, so
    // also check that each half's envelopes carry their own fresh IVs (none shared).
    auto doc = detail::yaml_fast_parse(many, true);
    ASSERT_TRUE(doc);
    SecureBytes key = SecureBytes::random(32);
    ValueCipher cipher(key);
    std::string mac;
    std::string out = detail::yaml_fast_encrypt(*doc, default_rules(), cipher, 4, mac, nullptr, 0);
    std::set<std::string> ivs;
    std::size_t envelopes = 0;
    for (std::size_t at = out.find(",iv:"); at != std::string::npos; at = out.find(",iv:", at + 1)) {
        ivs.insert(out.substr(at + 4, 44));
        ++envelopes;
    }
    EXPECT_GT(envelopes, 1000u);
    EXPECT_EQ(ivs.size(), envelopes);
}

TEST(YamlFastPath, DeclinesWhatItDoesNotHandle) {
    for (const char* yaml : {
             "",
             "\n  \n",
             "a: 1 # comment\n",
             "# head\na: 1\n",
             "a: 'quoted'\n",
             "a: \"quoted\"\n",
             "a: [1, 2]\n",
             "a: {b: 1}\n",
             "a: &x 1\nb: *x\n",
             "a: !!str 1\n",
             "a: |\n  block\n",
             "a: >\n  folded\n",
             "a: multi\n  line\n",
             "---\na: 1\n",
             "a: 1\n...\n",
             "%YAML 1.2\n---\na: 1\n",
             "a:\t1\n",
             "a: 1\r\n",
             "a: caf\xc3\xa9\n",
             "a: 1\na: 2\n",
             "<<: {a: 1}\n",
             "- a\n",
             "  a: 1\n",
             "a:\n  b: 1\n c: 2\n",
             "a: b: c\n",
             "a: b:\n",
             "a: - b\n",
             "key with space: 1\n",
             "? a\n: b\n",
             "a: @x\n",
             "a:\n  - x\n  b: 1\n",
             "scalar\n",
             "l:\n-\n",  // libfyaml refuses an empty entry of a sequence at its key's column
             "b:\n  l:\n  - x\n  -\ns: 1\n",
         })
        EXPECT_FALSE(detail::yaml_fast_parse(yaml, true).has_value()) << yaml;
}

TEST(YamlFastPath, DuplicateKeysAreLeftToTheTreePathsError) {
    std::string many;
    for (int i = 0; i < 40; ++i) many += "k" + std::to_string(i) + ": v\n";
    EXPECT_TRUE(detail::yaml_fast_parse(many, true).has_value());
    EXPECT_FALSE(detail::yaml_fast_parse(many + "k7: again\n", true).has_value());  // past the linear check
    EXPECT_FALSE(detail::yaml_fast_parse("a:\n  x: 1\n  x: 2\n", true).has_value());
    EXPECT_TRUE(detail::yaml_fast_parse("a:\n  x: 1\nb:\n  x: 2\n", true).has_value());  // other mappings
}

TEST(YamlFastPath, DeepNestingIsDeclinedWithoutRecursion) {
    std::string deep;
    for (int i = 0; i < 5000; ++i) deep += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    EXPECT_FALSE(detail::yaml_fast_parse(deep, true).has_value());
    std::string ok;
    for (int i = 0; i < 200; ++i) ok += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    expect_same(ok);
}

TEST(YamlFastPath, AFileWithASopsKeyIsStillRefused) {
    EncryptRequest req;
    req.input_format = req.output_format = Format::Yaml;
    KeyRing ring;
    try {
        encrypt_document("a: 1\nsops: x\n", req, ring);
        FAIL() << "encrypted a file holding a sops key";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::FileAlreadyEncrypted);
    }
}

namespace {

// Encrypts `plain` with the tree path, then decrypts that with both paths.
void expect_same_decryption(std::string_view plain, const CryptRules& rules = default_rules(), int indent = 4,
                            std::string_view metadata = "sops:\n    version: 3.13.2\n", std::string_view after = "") {
    SecureBytes key = SecureBytes::random(32);
    ValueCipher cipher(key);
    Branches tree = detail::yaml_load(plain);
    encrypt_branches(tree, rules, cipher);
    std::string encrypted = detail::yaml_emit(tree, indent) + std::string(metadata);
    auto c = compare_yaml_decrypt_paths(encrypted, rules, cipher, indent, true);
    EXPECT_TRUE(c.fast_taken) << "declined:\n" << encrypted;
    EXPECT_TRUE(c.same) << "input:\n" << encrypted << "\nfast:\n" << c.fast << "\ntree:\n" << c.tree;
    EXPECT_EQ(c.fast_mac, c.tree_mac);
    EXPECT_EQ(c.fast, detail::yaml_emit(detail::yaml_load(std::string(plain) + std::string(after)), indent));
}

}  // namespace

TEST(YamlFastPath, DecryptsAsTheTreePathDoes) {
    const std::string plain = without_quoted_keys(kTricky);
    expect_same_decryption(plain);
    CryptRules regex;
    regex.encrypted_regex = "^(c|l|k)$";
    expect_same_decryption(plain, regex);
    CryptRules mac_only = regex;
    mac_only.mac_only_encrypted = true;
    expect_same_decryption(plain, mac_only, 2);
    // Metadata with a block scalar and a blank line is read by libfyaml on its own; keys after it too.
    expect_same_decryption(plain, default_rules(), 4,
                           "sops:\n    age:\n        - enc: |\n            -----BEGIN AGE-----\n\n            x\n"
                           "          recipient: age1x\n    version: 3.13.2\nafter_unencrypted: 1\n",
                           "after_unencrypted: 1\n");
}

TEST(YamlFastPath, DecryptionWritesMultiLineValuesAsLiteralBlocks) {
    // Values that decrypt to text with line breaks are written as the writer writes them.
    SecureBytes key = SecureBytes::random(32);
    ValueCipher cipher(key);
    Branches tree = detail::yaml_load("a: |\n  two\n  lines\nl:\n- |-\n  x\n   y\nm:\n  - k: \" lead\\nx\"\n");
    CryptRules rules = default_rules();
    encrypt_branches(tree, rules, cipher);
    std::string encrypted = detail::yaml_emit(tree, 4);
    auto c = compare_yaml_decrypt_paths(encrypted, rules, cipher, 4, true);
    EXPECT_TRUE(c.fast_taken);
    EXPECT_TRUE(c.same) << "fast:\n" << c.fast << "\ntree:\n" << c.tree;
}

TEST(YamlFastPath, DecryptionDeclinesWhatTheTreePathRefuses) {
    SecureBytes key = SecureBytes::random(32);
    ValueCipher cipher(key);
    std::string mac;
    for (const char* yaml : {
             "a: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n",  // does not authenticate
             "a: 5\n",                                                   // not an envelope
             "a: plain text\n",
             "sops:\n    version: 3.13.2\n",                              // nothing but metadata: `{}`
         }) {
        auto doc = detail::yaml_fast_parse(yaml, true, true);
        ASSERT_TRUE(doc.has_value()) << yaml;
        EXPECT_FALSE(detail::yaml_fast_decrypt(*doc, default_rules(), cipher, 4, mac).has_value()) << yaml;
    }
    EXPECT_FALSE(detail::yaml_fast_parse("sops:\n  a: 1\nsops:\n  b: 2\n", true, true).has_value());
    EXPECT_FALSE(detail::yaml_fast_parse("sops:\n  a: 1\n# after\n", true, true).has_value());
    // A comment in the sops entry's lines may be the document's (this one is): left to the tree path.
    auto commented = detail::yaml_fast_parse("a_unencrypted: 1\nsops:\n    version: 1\n  # c\n", true, true);
    ASSERT_TRUE(commented.has_value());
    EXPECT_FALSE(detail::yaml_fast_metadata(*commented, true).has_value());
    auto scalar = detail::yaml_fast_parse("a_unencrypted: 1\nsops: x\n", true, true);
    ASSERT_TRUE(scalar.has_value());
    EXPECT_FALSE(detail::yaml_fast_metadata(*scalar, true).has_value());
}

TEST(YamlFastPath, DecryptionOutputLargerThanTheFileGrowsWithoutLoss) {
    // Control characters are written escaped (\x01: four bytes for one), so the plaintext
    // outgrows the encrypted file whose size the output buffer starts from.
    std::string plain = "a: \"";
    for (int i = 0; i < 3000; ++i) plain += "\\x01";
    plain += "\"\n";
    expect_same_decryption(plain);
}

namespace {

// The CLI with and without the fast path, in `dir`, with the age key there.
sopskit::test::RunResult cli(const std::filesystem::path& dir, const std::vector<std::string>& args, bool fast) {
    std::vector<std::string> argv{sopskit::test::cli_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return sopskit::test::run_argv(argv, dir,
                                   {{"HOME", dir.string()},
                                    {"SOPS_AGE_KEY_FILE", (dir / "key.txt").string()},
                                    {"SOPSKIT_YAML_FAST", fast ? "1" : "0"}});
}

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

}  // namespace

TEST(YamlFastPath, CliAnswersAndErrorsAreTheTreePaths) {
    auto dir = sopskit::test::make_temp_dir();
    auto keygen = cli(dir, {"keygen", "age", "--output", (dir / "key.txt").string()}, true);
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    std::string recipient = keygen.err.substr(keygen.err.find("age1"));
    recipient.resize(recipient.find_first_of("\n "));
    const std::string plain = "app:\n    name: service\n    password: p4ss\n    port: 1000\n    tags:\n        - a\n";
    sopskit::test::write_file(dir / "plain.yaml", plain);
    auto enc = cli(dir, {"encrypt", "--age", recipient, "plain.yaml"}, true);
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    sopskit::test::write_file(dir / "good.yaml", enc.out);
    // Tampered copies: a ciphertext, a value that is no envelope, the MAC.
    std::string data = enc.out.substr(enc.out.find("data:") + 5, 2);
    sopskit::test::write_file(dir / "bad-value.yaml", replace_once(enc.out, "data:" + data, data == "AA" ? "data:BB" : "data:AA"));
    sopskit::test::write_file(dir / "plain-value.yaml",
                              replace_once(enc.out, "    port: ENC[", "    extra: plain\n    port: ENC["));
    std::string mac = enc.out.substr(enc.out.find("mac: ENC[AES256_GCM,data:") + 25, 2);
    sopskit::test::write_file(dir / "bad-mac.yaml", replace_once(enc.out, "mac: ENC[AES256_GCM,data:" + mac,
                                                                 mac == "AA" ? "mac: ENC[AES256_GCM,data:BB" : "mac: ENC[AES256_GCM,data:AA"));
    for (const char* file : {"good.yaml", "bad-value.yaml", "plain-value.yaml", "bad-mac.yaml"})
        for (bool ignore_mac : {false, true}) {
            std::vector<std::string> args{"decrypt", file};
            if (ignore_mac) args.push_back("--ignore-mac");
            auto fast = cli(dir, args, true), tree = cli(dir, args, false);
            EXPECT_EQ(fast.exit_code, tree.exit_code) << file;
            EXPECT_EQ(fast.out, tree.out) << file;
            EXPECT_EQ(fast.err, tree.err) << file;
        }
    EXPECT_EQ(cli(dir, {"decrypt", "good.yaml"}, true).out, plain);
    EXPECT_NE(cli(dir, {"decrypt", "bad-mac.yaml"}, true).exit_code, 0);
}

TEST(YamlFastPath, ManyBlankLinesReserveLittle) {
    // 16 MiB of line breaks hold no document: declined, without reserving four events a line.
    std::string blank(16u << 20, '\n');
    EXPECT_FALSE(detail::yaml_fast_parse(blank, true).has_value());
    std::string dense;
    for (int i = 0; i < 20000; ++i) dense += "k" + std::to_string(i) + ":\n";  // more events than a quarter of the bytes
    expect_same(dense);
}
