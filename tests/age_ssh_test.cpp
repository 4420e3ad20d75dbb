// age with SSH keys (ssh-ed25519, ssh-rsa): both directions with the real `age` CLI, keys made
// by the real ssh-keygen, and sops' lookup order for SSH identities.
#include <gtest/gtest.h>

#include <cstdlib>

#include "age/age_internal.hpp"
#include "age/ssh_internal.hpp"
#include "core/text.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// Sets environment variables for one test and restores them after.
class ScopedEnv {
public:
    void set(const std::string& name, const std::string& value) {
        remember(name);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    void unset(const std::string& name) {
        remember(name);
        ::unsetenv(name.c_str());
    }
    ~ScopedEnv() {
        for (auto& [name, old] : saved_)
            if (old) ::setenv(name.c_str(), old->c_str(), 1);
            else ::unsetenv(name.c_str());
    }

private:
    void remember(const std::string& name) {
        for (auto& s : saved_)
            if (s.first == name) return;
        const char* v = std::getenv(name.c_str());
        saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A key pair made by ssh-keygen in `dir` (HOME pointed there too, so nothing of the machine is read).
fs::path keygen(const fs::path& dir, const std::string& type, const std::string& name, const std::string& passphrase = "",
                const std::string& extra = "") {
    fs::path key = dir / name;
    auto r = run("HOME=" + q(dir) + " ssh-keygen -q -t " + type + " " + extra + " -N '" + passphrase + "' -C test@sopskit -f " + q(key) +
                 " </dev/null 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return key;
}

std::string hex(std::string_view bytes) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) out += d[c >> 4], out += d[c & 15];
    return out;
}

age::IdentitySet ssh_ids(const fs::path& key) {
    age::IdentitySet ids;
    ids.add(age::parse_ssh_identity(read_file(key)));
    return ids;
}

class AgeSsh : public ::testing::TestWithParam<std::string> {};

}  // namespace

// age -R key.pub encrypts; sopskit decrypts with the private key. Then sopskit encrypts to the
// public key line and `age -d -i key` decrypts it.
TEST_P(AgeSsh, InteropWithTheAgeCliBothWays) {
    REQUIRE_PROGRAM("age");
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path key = keygen(dir, GetParam(), "id");
    std::string pub = sopskit::test::read_file(dir / "id.pub");

    write_file(dir / "plain", "sops data key 0123456789abcdef");
    auto enc = run("HOME=" + q(dir) + " age -a -R " + q(dir / "id.pub") + " -o " + q(dir / "theirs.age") + " " + q(dir / "plain") + " 2>&1");
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
    auto plain = age::decrypt(read_file(dir / "theirs.age"), ssh_ids(key));
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->view(), "sops data key 0123456789abcdef");

    SecureBytes data_key = SecureBytes::random(32);
    std::string recipient = sopskit::detail::trim(pub);
    ASSERT_TRUE(age::is_valid_recipient(recipient));
    for (bool armor : {true, false}) {
        write_file(dir / "ours.age", age::encrypt(data_key.view(), {recipient}, armor));
        auto r = run("HOME=" + q(dir) + " age -d -i " + q(key) + " " + q(dir / "ours.age") + " | od -An -tx1 | tr -d ' \\n'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, hex(data_key.view()));
    }
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, AgeSsh, ::testing::Values("ed25519", "rsa"));

TEST(AgeSshKeys, AnotherKeysStanzaIsNotMineAndAForeignKeyDoesNotOpenIt) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path a = keygen(dir, "ed25519", "a"), b = keygen(dir, "ed25519", "b"), r = keygen(dir, "rsa", "r", "", "-b 2048");
    std::string file = age::encrypt("x", {sopskit::detail::trim(read_file(dir / "a.pub"))}, true);
    EXPECT_FALSE(age::decrypt(file, ssh_ids(b)).has_value());
    EXPECT_FALSE(age::decrypt(file, ssh_ids(r)).has_value());
    EXPECT_TRUE(age::decrypt(file, ssh_ids(a)).has_value());
}

TEST(AgeSshKeys, PemRsaKeysLoadAndSmallRsaKeysAreRefusedAsRecipients) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path pem = keygen(dir, "rsa", "pem", "", "-b 2048 -m PEM");
    ASSERT_NE(read_file(pem).find("BEGIN RSA PRIVATE KEY"), std::string::npos);
    std::string file = age::encrypt("x", {sopskit::detail::trim(read_file(dir / "pem.pub"))}, true);
    EXPECT_TRUE(age::decrypt(file, ssh_ids(pem)).has_value());
    keygen(dir, "rsa", "small", "", "-b 1024");
    std::string small = sopskit::detail::trim(read_file(dir / "small.pub"));
    EXPECT_FALSE(age::is_valid_recipient(small));
    EXPECT_THROW(age::encrypt("x", {small}, true), Error);
}

TEST(AgeSshKeys, APassphraseProtectedKeyLoadsAndFailsClearlyOnlyForItsOwnStanza) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path locked = keygen(dir, "ed25519", "locked", "correct horse");
    auto id = age::parse_ssh_identity(read_file(locked));  // loads: its public half is in clear
    age::IdentitySet ids;
    ids.add(id);
    std::string other = age::encrypt("x", {age::X25519Identity::generate().recipient()}, true);
    EXPECT_FALSE(age::decrypt(other, ids).has_value());
    std::string mine = age::encrypt("x", {sopskit::detail::trim(read_file(dir / "locked.pub"))}, true);
    try {
        age::decrypt(mine, ids);
        FAIL() << "a protected key cannot open its stanza without a passphrase";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("passphrase-protected"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("correct horse"), std::string::npos);
    }
}

TEST(AgeSshKeys, DamagedKeyFilesAreRefusedWithoutKeyBytesInTheMessage) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    std::string good = read_file(keygen(dir, "ed25519", "k"));
    auto body_start = good.find('\n') + 1;
    // Every single-character change in the body is either refused or leaves a key that
    // still matches its public half (the seed is checked against it).
    for (std::size_t i = body_start + 100; i < body_start + 300; i += 7) {
        std::string bad = good;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        try {
            age::parse_ssh_identity(bad);
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()).find(good.substr(body_start, 20)), std::string::npos);
        }
    }
    EXPECT_THROW(age::parse_ssh_identity("not a key"), Error);
    EXPECT_THROW(age::parse_ssh_identity(good.substr(0, good.size() / 2)), Error);
}

// sops' lookup: SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD, ~/.ssh/id_ed25519
// and ~/.ssh/id_rsa all count; an unreadable one is reported and the others still work.
TEST(AgeSshKeys, EnvironmentLookupFollowsSops) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path home = dir / "home";
    fs::create_directories(home / ".ssh");
    fs::path by_file = keygen(dir, "ed25519", "by_file"), by_cmd = keygen(dir, "ed25519", "by_cmd");
    fs::path ed = keygen(home / ".ssh", "ed25519", "id_ed25519"), rsa = keygen(home / ".ssh", "rsa", "id_rsa", "", "-b 2048");
    ScopedEnv env;
    env.set("HOME", home.string());
    env.set("XDG_CONFIG_HOME", (dir / "config").string());
    for (const char* v : {"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD"}) env.unset(v);
    env.set("SOPS_AGE_SSH_PRIVATE_KEY_FILE", by_file.string());
    env.set("SOPS_AGE_SSH_PRIVATE_KEY_CMD", "cat " + q(by_cmd) + " # $SOPS_AGE_RECIPIENT");

    for (const fs::path& key : {by_file, by_cmd, ed, rsa}) {
        std::string recipient = sopskit::detail::trim(read_file(key.string() + ".pub"));
        std::string file = age::encrypt("k", {recipient}, true);
        auto ids = age::load_identities_from_environment(recipient);
        EXPECT_EQ(ids.size(), 4u);
        EXPECT_TRUE(ids.problems().empty());
        EXPECT_TRUE(age::decrypt(file, ids).has_value()) << key;
    }

    write_file(home / ".ssh" / "id_ed25519", "damaged");
    env.set("SOPS_AGE_SSH_PRIVATE_KEY_FILE", (dir / "missing").string());
    auto ids = age::load_identities_from_environment();
    EXPECT_EQ(ids.size(), 2u);
    ASSERT_EQ(ids.problems().size(), 2u);
    EXPECT_NE(ids.problems()[0].find("SOPS_AGE_SSH_PRIVATE_KEY_FILE"), std::string::npos);
    EXPECT_NE(ids.problems()[1].find("id_ed25519"), std::string::npos);
    std::string file = age::encrypt("k", {sopskit::detail::trim(read_file(rsa.string() + ".pub"))}, true);
    EXPECT_TRUE(age::decrypt(file, ids).has_value());
}

// The key source end to end: a file encrypted to an SSH recipient and decrypted through the
// environment, and the data key metadata keeps the recipient line as given.
TEST(AgeSshKeys, KeySourceWrapsForSshRecipients) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path key = keygen(dir, "ed25519", "k");
    std::string recipient = sopskit::detail::trim(read_file(dir / "k.pub"));
    auto source = make_age_key_source(ssh_ids(key));
    SecureBytes dk = SecureBytes::random(32);
    StoredKey stored = source->wrap({"age", recipient, {}}, dk);
    EXPECT_EQ(stored.field("recipient"), recipient);
    auto out = source->unwrap(stored);
    ASSERT_EQ(out.status, UnwrapOutcome::Status::Ok) << out.reason;
    EXPECT_TRUE(out.data_key.equals(dk));
}

// The command line end to end: encrypt to an SSH public key line, decrypt with the key found
// at ~/.ssh/id_ed25519 (HOME a temporary folder), and the stored data key opens with `age`.
TEST(AgeSshKeys, TheCliEncryptsToAnSshKeyAndFindsItInHome) {
    REQUIRE_PROGRAM("ssh-keygen");
    REQUIRE_PROGRAM("age");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::create_directories(dir / ".ssh");
    fs::path key = keygen(dir / ".ssh", "ed25519", "id_ed25519");
    std::string recipient = sopskit::detail::trim(read_file(dir / ".ssh" / "id_ed25519.pub"));
    write_file(dir / "plain.yaml", "password: hunter2\n");
    std::string env = "cd " + q(dir) + " && env -i PATH=/usr/bin:/bin HOME=" + q(dir) + " ";
    auto enc = run(env + sopskit::test::cli_path() + " encrypt --age " + q(recipient) + " plain.yaml > secret.yaml");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    EXPECT_NE(read_file(dir / "secret.yaml").find("recipient: " + recipient), std::string::npos);
    auto dec = run(env + sopskit::test::cli_path() + " decrypt secret.yaml");
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, "password: hunter2\n");
    auto data_key = run(env + "sed -n '/enc: |/,/END AGE/p' secret.yaml | sed '1d; s/^ *//' | age -d -i .ssh/id_ed25519 | wc -c");
    EXPECT_EQ(sopskit::detail::trim(data_key.out), "32") << data_key.err;
    // Without the key: sops' exit code, and the error names the recipient, never the key.
    fs::rename(key, dir / "elsewhere");
    auto none = run(env + sopskit::test::cli_path() + " decrypt secret.yaml");
    EXPECT_EQ(none.exit_code, 128);
    EXPECT_NE(none.err.find(recipient), std::string::npos) << none.err;
}
