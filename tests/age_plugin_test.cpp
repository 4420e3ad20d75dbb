// The age plugin protocol against a toy plugin the suite builds (tests/tools/
// age_plugin_sopskittest.cpp): round trips, the client's bytes checked against the spec's
// recipient-v1 and identity-v1 exchanges, the interactive requests sopskit cannot answer, and
// missing or failing plugins.
#include <gtest/gtest.h>

#include <cstdlib>

#include "age/age_internal.hpp"
#include "age/plugin_internal.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;

namespace {

// PATH with the toy plugin in a private folder first, a log file for what it reads, and a mode;
// all restored afterwards.
class AgePlugin : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        fs::create_directories(dir_ / "bin");
        fs::copy_file(SOPSKIT_TEST_AGE_PLUGIN, dir_ / "bin" / "age-plugin-sopskittest");
        log_ = dir_ / "plugin.log";
        const char* path = std::getenv("PATH");
        set("PATH", (dir_ / "bin").string() + ":" + (path ? path : "/usr/bin:/bin"));
        set("SOPSKIT_PLUGIN_LOG", log_.string());
        set("SOPSKIT_PLUGIN_MODE", "");
    }
    void TearDown() override {
        for (auto& [name, old] : saved_)
            if (old) ::setenv(name.c_str(), old->c_str(), 1);
            else ::unsetenv(name.c_str());
    }
    void set(const std::string& name, const std::string& value) {
        const char* v = std::getenv(name.c_str());
        saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::string log() const { return fs::exists(log_) ? read_file(log_) : std::string(); }
    void clear_log() const { fs::remove(log_); }

    fs::path dir_, log_;
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

const std::string kKey(16, '\x5a');

std::string plugin_recipient(const std::string& name = "sopskittest") { return age::detail::bech32_encode("age1" + name, kKey); }
std::string plugin_identity(const std::string& name = "sopskittest") {
    std::string s = age::detail::bech32_encode("age-plugin-" + name + "-", kKey);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

age::IdentitySet plugin_ids(const std::string& name = "sopskittest") {
    age::IdentitySet ids;
    ids.add(age::parse_plugin_identity(plugin_identity(name)));
    return ids;
}

}  // namespace

TEST_F(AgePlugin, RecipientsAndIdentitiesRoundTripThroughThePlugin) {
    ASSERT_TRUE(age::is_valid_recipient(plugin_recipient()));
    std::string file = age::encrypt("the data key", {plugin_recipient()}, true);
    EXPECT_NE(age::detail::dearmor(file).find("-> sopskittest tagged\n"), std::string::npos) << "the plugin's stanza is the header's";
    auto plain = age::decrypt(file, plugin_ids());
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->view(), "the data key");
    // A file for an X25519 key: the plugin runs, opens nothing, and that is "not mine".
    std::string other = age::encrypt("x", {age::X25519Identity::generate().recipient()}, true);
    EXPECT_FALSE(age::decrypt(other, plugin_ids()).has_value());
}

// The client's side of both exchanges, byte for byte as the age plugin spec lays them out:
// phase 1 commands each a stanza ending in a short (here empty) body line, then "ok" for each
// stanza the plugin sends in phase 2.
TEST_F(AgePlugin, TheWireIsTheSpecs) {
    std::string file = age::detail::dearmor(age::encrypt("k", {plugin_recipient()}, true));
    std::string wrap_log = log();
    std::string head = "[--age-plugin=recipient-v1]\n-> add-recipient " + plugin_recipient() + "\n\n-> wrap-file-key\n";
    ASSERT_EQ(wrap_log.rfind(head, 0), 0u) << wrap_log;
    std::string rest = wrap_log.substr(head.size());
    ASSERT_GE(rest.size(), 23u);
    EXPECT_TRUE(age::detail::b64_raw_decode(rest.substr(0, 22)).has_value()) << "a 16-byte file key is 22 base64 characters";
    EXPECT_EQ(rest.substr(22), "\n-> extension-labels\n\n-> done\n\n-> ok\n\n");

    clear_log();
    ASSERT_TRUE(age::decrypt(file, plugin_ids()).has_value());
    auto stanza_start = file.find("-> sopskittest tagged\n") + 22;
    std::string body_line = file.substr(stanza_start, file.find('\n', stanza_start) - stanza_start);
    EXPECT_EQ(log(), "[--age-plugin=identity-v1]\n-> add-identity " + plugin_identity() + "\n\n-> recipient-stanza 0 sopskittest tagged\n" +
                         body_line + "\n-> done\n\n-> ok\n\n");
}

TEST_F(AgePlugin, RequestsSopskitCannotAnswerAreRefusedAndMessagesShown) {
    std::string file = age::encrypt("k", {plugin_recipient()}, true);
    set("SOPSKIT_PLUGIN_MODE", "ask");
    clear_log();
    EXPECT_TRUE(age::decrypt(file, plugin_ids()).has_value());
    EXPECT_NE(log().find("-> done\n\n-> fail\n\n"), std::string::npos) << log();
    set("SOPSKIT_PLUGIN_MODE", "msg");
    clear_log();
    EXPECT_TRUE(age::decrypt(file, plugin_ids()).has_value());
    EXPECT_NE(log().find("-> done\n\n-> ok\n\n"), std::string::npos) << log();
}

TEST_F(AgePlugin, MissingOrFailingPluginsAreClearErrorsNamingThem) {
    try {
        age::encrypt("k", {plugin_recipient("nosuchplugin")}, true);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("age-plugin-nosuchplugin"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
    }
    std::string file = age::encrypt("k", {plugin_recipient()}, true);
    try {
        age::decrypt(file, plugin_ids("nosuchplugin"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("age-plugin-nosuchplugin"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find(plugin_identity("nosuchplugin")), std::string::npos) << "never the identity";
    }
    // A missing plugin does not stop an identity that works.
    age::IdentitySet both = plugin_ids("nosuchplugin");
    both.add(age::parse_plugin_identity(plugin_identity()));
    EXPECT_TRUE(age::decrypt(file, both).has_value());

    set("SOPSKIT_PLUGIN_MODE", "error");
    try {
        age::decrypt(file, plugin_ids());
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("age-plugin-sopskittest: the token is not plugged in"), std::string::npos) << e.what();
    }
    set("SOPSKIT_PLUGIN_MODE", "exit");
    EXPECT_THROW(age::decrypt(file, plugin_ids()), Error);
    EXPECT_THROW(age::encrypt("k", {plugin_recipient()}, true), Error);
    set("SOPSKIT_PLUGIN_MODE", "silent");
    EXPECT_FALSE(age::decrypt(file, plugin_ids()).has_value());
}

// Flux's .agekey entries take plugin identities as keys.txt does.
TEST_F(AgePlugin, ADecryptionSecretEntryMayHoldAPluginIdentity) {
    EncryptRequest req;
    req.input_format = req.output_format = Format::Yaml;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"age", plugin_recipient(), {}}}};
    KeyRing ring;
    ring.add(make_age_key_source(age::IdentitySet{}));
    std::string secret = encrypt_document("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\nstringData:\n  user: admin\n",
                                          req, ring);
    Decryptor d(DecryptionKeys::from_entries({{"token.agekey", "# a hardware token\n" + plugin_identity() + "\n"}}, "flux-system/sops-age"));
    EXPECT_NE(d.decrypt_manifests(secret).find("user: admin"), std::string::npos);
}

TEST(AgePluginWire, StanzaStreamParsing) {
    std::size_t pos = 0;
    EXPECT_FALSE(age::detail::read_plugin_stanza("-> ok", pos).has_value()) << "an unfinished line waits for more";
    EXPECT_FALSE(age::detail::read_plugin_stanza("-> ok\n", pos).has_value()) << "the body's short line is still to come";
    auto s = age::detail::read_plugin_stanza("-> file-key 0\nAAAAAAAAAAAAAAAAAAAAAA\n-> done\n\n", pos);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, "file-key");
    EXPECT_EQ(s->args, std::vector<std::string>{"0"});
    EXPECT_EQ(s->body.size(), 16u);
    EXPECT_EQ(pos, 37u);
    std::size_t p2 = 0;
    EXPECT_THROW(age::detail::read_plugin_stanza("garbage\n", p2), Error);
    EXPECT_THROW(age::detail::read_plugin_stanza("->  two spaces\n\n", p2), Error);
    EXPECT_THROW(age::detail::read_plugin_stanza("-> x\nAA=\n", p2), Error);
    EXPECT_EQ(age::detail::plugin_name_of_recipient(plugin_recipient()), "sopskittest");
    EXPECT_EQ(age::detail::plugin_name_of_identity(plugin_identity()), "sopskittest");
    EXPECT_FALSE(age::detail::plugin_name_of_recipient(age::detail::bech32_encode("age1a/b", kKey)).has_value());
}
