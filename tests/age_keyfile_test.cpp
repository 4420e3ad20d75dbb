// Key files with lines sopskit cannot use (unknown identity kinds, missing plugins, damaged
// keys): each bad line is reported with its number and skipped, and every file that a usable
// key opens still decrypts, from keys.txt as from a Flux decryption Secret.
#include <gtest/gtest.h>

#include <cstdlib>

#include "age/age_internal.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

std::string unknown_plugin_identity() {
    std::string s = age::detail::bech32_encode("age-plugin-nosuchplugin-", std::string(16, '\x01'));
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string damaged(std::string key) {
    key[20] = key[20] == 'Q' ? 'P' : 'Q';  // breaks the Bech32 checksum
    return key;
}

std::string encrypt_yaml(const std::string& recipient) {
    EncryptRequest req;
    req.input_format = req.output_format = Format::Yaml;
    req.key_groups = {{{"age", recipient, {}}}};
    KeyRing ring;
    ring.add(make_age_key_source(age::IdentitySet{}));
    return encrypt_document("password: hunter2\n", req, ring);
}

}  // namespace

TEST(AgeKeyFile, BadLinesAreSkippedWithTheirNumberAndTheOthersStillWork) {
    auto a = age::X25519Identity::generate(), b = age::X25519Identity::generate();
    std::string text = "# created: now\n" +          // 1
                       std::string("not a key\n") +   // 2
                       unknown_plugin_identity() + "\n" +  // 3
                       a.encode() + "\n" +             // 4
                       damaged(b.encode()) + "\n" +    // 5
                       "AGE-SECRET-KEY-PQ-1QQQQ\n";    // 6: a kind sopskit may not know
    age::IdentitySet ids;
    ids.add_from_text(text, "keys.txt");
    ASSERT_EQ(ids.x25519().size(), 1u);
    EXPECT_EQ(ids.others().size(), 1u) << "the plugin line loads; its plugin runs only when needed";
    ASSERT_GE(ids.problems().size(), 2u);
    EXPECT_EQ(ids.problems()[0], "keys.txt: line 2: unknown identity type");
    EXPECT_EQ(ids.problems()[1].rfind("keys.txt: line 5: malformed age identity", 0), 0u) << ids.problems()[1];
    for (const auto& p : ids.problems()) EXPECT_EQ(p.find(b.encode().substr(16, 30)), std::string::npos) << "never the key: " << p;

    // A's file opens (the native identity is tried before the missing plugin).
    EXPECT_TRUE(age::decrypt(age::encrypt("k", {a.recipient()}, true), ids).has_value());
    // B's does not: the reason names the plugin, and the key source adds the skipped lines.
    std::string for_b = age::encrypt("k", {b.recipient()}, true);
    try {
        age::decrypt(for_b, ids);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("age-plugin-nosuchplugin"), std::string::npos) << e.what();
    }
    auto source = make_age_key_source(ids.clone());
    StoredKey stored{"age", Value::empty_map()};
    stored.set_field("recipient", Value::string(b.recipient()));
    stored.set_field("enc", Value::string(for_b));
    auto out = source->unwrap(stored);
    EXPECT_NE(out.status, UnwrapOutcome::Status::Ok);
    EXPECT_NE(out.reason.find("keys.txt: line 5"), std::string::npos) << out.reason;
}

// The same through the CLI, with sops' SOPS_AGE_KEY_FILE: the file for the good key decrypts
// although the keys file has lines sopskit cannot use.
TEST(AgeKeyFile, TheCliDecryptsWithAKeysFileHoldingBadLines) {
    fs::path dir = sopskit::test::make_temp_dir();
    auto a = age::X25519Identity::generate(), b = age::X25519Identity::generate();
    write_file(dir / "keys.txt", "garbage\n" + unknown_plugin_identity() + "\n" + a.encode() + "\n");
    write_file(dir / "a.yaml", encrypt_yaml(a.recipient()));
    write_file(dir / "b.yaml", encrypt_yaml(b.recipient()));
    std::string env = "env -i PATH=/usr/bin:/bin HOME='" + dir.string() + "' SOPS_AGE_KEY_FILE='" + (dir / "keys.txt").string() + "' ";
    auto ok = run(env + sopskit::test::cli_path() + " decrypt '" + (dir / "a.yaml").string() + "'");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "password: hunter2\n");
    auto bad = run(env + sopskit::test::cli_path() + " decrypt '" + (dir / "b.yaml").string() + "'");
    EXPECT_EQ(bad.exit_code, 128) << bad.err;
    EXPECT_NE(bad.err.find("line 1: unknown identity type"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("age-plugin-nosuchplugin"), std::string::npos) << bad.err;
}

// Flux: a bad .agekey entry fails the whole Secret, as sops' ParsedIdentities.Import refuses
// it (kustomize-controller's "age key import error" case), naming the entry, never the key.
TEST(AgeKeyFile, ADecryptionSecretEntryThatCannotBeUsedFailsTheSecret) {
    auto a = age::X25519Identity::generate(), b = age::X25519Identity::generate();
    try {
        DecryptionKeys::from_entries({{"good.agekey", a.encode() + "\n"}, {"bad.agekey", damaged(b.encode()) + "\n"}}, "flux-system/sops-age");
        FAIL() << "a damaged identity was accepted";
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_EQ(msg.rfind("failed to import 'bad.agekey' data from sops decryption Secret 'flux-system/sops-age': failed to parse and "
                            "add to age identities: ",
                            0),
                  0u)
            << msg;
        EXPECT_EQ(msg.find(damaged(b.encode())), std::string::npos);
    }
}
