// PGP data keys decrypted with the key read straight from private-keys-v1.d (no gpg-agent, no
// gpg): the key-file reader (gpg_agent/private_key_file, the advanced S-expression syntax in
// gpg_agent/canonical_sexp) and the route in keys/pgp_agent_decrypt.cpp, which leaves every key
// it does not read (protected, Confirm:, damaged) to the agent and gpg as before.
#include <algorithm>

#include "keys/gpg_agent/canonical_sexp.hpp"
#include "keys/gpg_agent/private_key_file.hpp"
#include "keys/pgp_agent_decrypt.hpp"
#include "openpgp_support.hpp"

namespace fs = std::filesystem;
using sopskit::detail::gpg_agent::canonical_from_advanced;
using sopskit::detail::gpg_agent::read_unprotected_key;
using sopskit::detail::gpg_agent::SexpLimits;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

std::optional<std::string> canonical(std::string_view text, const SexpLimits& limits = {}) {
    std::size_t consumed = 0;
    auto c = canonical_from_advanced(text, &consumed, limits);
    if (!c) return std::nullopt;
    return std::string(c->view());
}

const std::string kD32 = "5FF4EBD65E1E1B0A255ACE47787E010FC4D36FA3BDA991486D339CE706E35F60";
const std::string kQ33 = "40FB75771A94CB25C9492BEA177D1182EC748C06FE67DCBF07CF4A7DDEBA888854";

std::string extended_ecc(const std::string& head = "private-key", const std::string& curve = "Curve25519") {
    return "Created: 20261203T174158\nKey: (" + head + " (ecc (curve " + curve + ")(flags djb-tweak)(q\n  #" + kQ33.substr(0, 30) +
           "\n " + kQ33.substr(30) + "#)\n (d #" + kD32 + "#)\n ))\n";
}

}  // namespace

TEST(AdvancedSexp, EveryAtomFormBecomesCanonical) {
    EXPECT_EQ(canonical("(a bc)"), "(1:a2:bc)");
    EXPECT_EQ(canonical("  (private-key\n (ecc (curve Curve25519)))"), "(11:private-key(3:ecc(5:curve10:Curve25519)))");
    EXPECT_EQ(canonical("(x #00 ff\n 41#)"), std::string("(1:x3:\0\xff" "A)", 10));
    EXPECT_EQ(canonical("(x \"a\\nb\\x41\\101\\\\\\\"\")"), "(1:x7:a\nbAA\\\")");
    EXPECT_EQ(canonical("(x \"ab\\\ncd\")"), "(1:x4:abcd)") << "a continued line adds no byte";
    EXPECT_EQ(canonical("(x |YWJj| |YWI=| |YQ==| ||)"), "(1:x3:abc2:ab1:a0:)");
    EXPECT_EQ(canonical("(3:a()4:(( ))"), "(3:a()4:(( ))") << "canonical input passes through";
    EXPECT_EQ(canonical("(x 3#616263# 2\"hi\" 1|YQ==|)"), "(1:x3:abc2:hi1:a)");
    EXPECT_EQ(canonical("(x #0#)"), std::nullopt) << "odd hex";
    EXPECT_EQ(canonical("(x #zz#)"), std::nullopt);
    EXPECT_EQ(canonical("(x |Y|)"), std::nullopt);
    EXPECT_EQ(canonical("(x 4#616263#)"), std::nullopt) << "a length that does not match";
    EXPECT_EQ(canonical("(x 9:abc)"), std::nullopt) << "a verbatim atom past the end";
    EXPECT_EQ(canonical("(x [hint]y)"), std::nullopt) << "display hints";
    EXPECT_EQ(canonical("(x \"abc)"), std::nullopt);
    EXPECT_EQ(canonical("(x (y)"), std::nullopt) << "unterminated";
    EXPECT_EQ(canonical("x"), std::nullopt) << "not a list";
    EXPECT_EQ(canonical(std::string_view("(a\0b)", 5)), std::nullopt) << "NUL is no token character";
    std::size_t consumed = 0;
    ASSERT_TRUE(canonical_from_advanced("(a) rest", &consumed));
    EXPECT_EQ(consumed, 3u);
}

TEST(AdvancedSexp, DepthAndSizeAreBounded) {
    EXPECT_TRUE(canonical("((((a))))", SexpLimits{4, 64}));
    EXPECT_FALSE(canonical("(((((a)))))", SexpLimits{4, 64}));
    std::string deep(100000, '(');
    EXPECT_FALSE(canonical(deep + "a" + std::string(100000, ')')));
    std::string many = "(";
    for (int i = 0; i < 100; ++i) many += "a ";
    EXPECT_FALSE(canonical(many + ")", SexpLimits{8, 64}));
    EXPECT_TRUE(canonical(many + ")", SexpLimits{8, 128}));
}

TEST(PrivateKeyFile, ExtendedFormatWithContinuationLines) {
    auto key = read_unprotected_key(extended_ecc());
    ASSERT_TRUE(key);
    EXPECT_EQ(key->kind, sopskit::detail::gpg_agent::UnprotectedKey::Kind::Curve25519);
    EXPECT_EQ(from_hex(kD32), key->d.view());
    EXPECT_EQ(from_hex(kQ33), key->q.view());
    // Names are case-insensitive, comments and blank lines allowed, other attributes ignored.
    EXPECT_TRUE(read_unprotected_key("# comment\n\nToken: x y\nkey: (private-key (ecc (curve Curve25519)(q #40#)(d #01#)))\n"));
}

TEST(PrivateKeyFile, LegacyCanonicalFormat) {
    std::string d = from_hex(kD32);
    std::string legacy = "(11:private-key(3:ecc(5:curve10:Curve25519)(1:q33:" + from_hex(kQ33) + ")(1:d32:" + d + ")))";
    auto key = read_unprotected_key(legacy);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->d.view(), d);
}

TEST(PrivateKeyFile, KeysNotReadHere) {
    EXPECT_FALSE(read_unprotected_key(extended_ecc("protected-private-key")));
    EXPECT_FALSE(read_unprotected_key(extended_ecc("shadowed-private-key")));
    EXPECT_FALSE(read_unprotected_key(extended_ecc("private-key", "Ed25519")));
    EXPECT_FALSE(read_unprotected_key(extended_ecc("private-key", "NIST P-256")));
    EXPECT_FALSE(read_unprotected_key("Confirm: yes\n" + extended_ecc())) << "the agent would ask the user";
    EXPECT_FALSE(read_unprotected_key(extended_ecc() + "confirm: yes\n"));
    EXPECT_FALSE(read_unprotected_key(extended_ecc() + extended_ecc().substr(extended_ecc().find("Key:")))) << "two keys";
    EXPECT_FALSE(read_unprotected_key("  " + extended_ecc())) << "a continuation of nothing";
    EXPECT_FALSE(read_unprotected_key("Created: 1\n")) << "no key";
    EXPECT_FALSE(read_unprotected_key("Key: (private-key (rsa (n #01#)(e #03#)))\n")) << "RSA without its secret parts";
    std::string padded = extended_ecc() + "Note: " + std::string(sopskit::detail::gpg_agent::kMaxKeyFile, 'x') + "\n";
    EXPECT_TRUE(read_unprotected_key(padded.substr(0, sopskit::detail::gpg_agent::kMaxKeyFile))) << "at the cap";
    EXPECT_FALSE(read_unprotected_key(padded)) << "over the size cap";
    // Every prefix and every single-byte change: no crash, no read past the file.
    std::string file = extended_ecc();
    for (std::size_t n = 0; n < file.size(); ++n) {
        std::string cut = file.substr(0, n);
        auto key = read_unprotected_key(cut);
        if (n < file.find(" ))")) EXPECT_FALSE(key) << n;
        std::string garbled = file;
        garbled[n] = static_cast<char>(garbled[n] ^ 0x5A);
        (void)read_unprotected_key(garbled);
    }
}

namespace {

// Copies of the shared test home (keybox and key files, no agent ever started in them).
class PgpKeyFile : public sopskit::test::OpenpgpGpgHome {
protected:
    void SetUp() override {
        OpenpgpGpgHome::SetUp();
        if (IsSkipped()) return;
        dir_ = sopskit::test::make_temp_dir();
    }
    fs::path copy_home(const std::string& name) {
        fs::path h = dir_ / name;
        fs::create_directory(h);
        fs::permissions(h, fs::perms::owner_all, fs::perm_options::replace);
        fs::copy_file(*home_ / "pubring.kbx", h / "pubring.kbx");
        fs::copy(*home_ / "private-keys-v1.d", h / "private-keys-v1.d");
        return h;
    }
    static std::string keygrip(const fs::path& home, const std::string& fp) {
        auto r = run("GNUPGHOME='" + home.string() + "' gpg --with-colons --with-keygrip --list-keys " + fp +
                     " | awk -F: '/^fpr/ {f=$10} /^grp/ && f==\"" + fp + "\" {print $10; exit}'");
        return r.out.substr(0, r.out.find('\n'));
    }
    static fs::path key_file(const fs::path& home, const std::string& fp) { return home / "private-keys-v1.d" / (keygrip(home, fp) + ".key"); }
    static bool agent_socket_exists(const fs::path& home) {
        auto r = run("gpgconf --homedir '" + home.string() + "' --list-dirs agent-socket");
        return fs::exists(r.out.substr(0, r.out.find('\n')));
    }
    std::optional<std::string> decrypt(const fs::path& home, const std::string& message) {
        auto key = sopskit::detail::decrypt_data_key_with_agent(home.string(), message, 1024);
        if (!key) return std::nullopt;
        return std::string(key->view());
    }
    fs::path dir_;
};

// "(name #HEX#)" in an extended key file, as bytes.
std::string value_of(const std::string& file, const std::string& name) {
    std::size_t at = file.find("(" + name);
    while (at != std::string::npos && file[at + 1 + name.size()] != ' ' && file[at + 1 + name.size()] != '\n')
        at = file.find("(" + name, at + 1);
    if (at == std::string::npos) return {};
    std::size_t open = file.find('#', at), close = file.find('#', open + 1);
    std::string hex;
    for (char c : file.substr(open + 1, close - open - 1))
        if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
    return from_hex(hex);
}
std::string atom(const std::string& bytes) { return std::to_string(bytes.size()) + ":" + bytes; }

}  // namespace

// Messages gpg encrypted to the cv25519 and the RSA subkey: decrypted with no agent running in
// the home and without running anything (the library call has no gpg fallback: nullopt would
// mean "ask gpg").
TEST_F(PgpKeyFile, GpgMessagesDecryptWithNoAgent) {
    fs::path h = copy_home("plain");
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        std::string message = encrypt(*fp, "0123456789abcdef0123456789abcdef");
        ASSERT_FALSE(agent_socket_exists(h));
        EXPECT_EQ(decrypt(h, message), "0123456789abcdef0123456789abcdef");
        EXPECT_FALSE(agent_socket_exists(h)) << "no agent was started";
    }
}

// The older key file format, made here from the values of the one gpg wrote: read the same.
TEST_F(PgpKeyFile, LegacyKeyFilesDecrypt) {
    fs::path h = copy_home("legacy");
    std::string ecc = read_file(key_file(h, *cv25519_));
    write_file(key_file(h, *cv25519_), "(11:private-key(3:ecc(5:curve10:Curve25519)(5:flags9:djb-tweak)(1:q" + atom(value_of(ecc, "q")) +
                                           ")(1:d" + atom(value_of(ecc, "d")) + ")))");
    std::string rsa = read_file(key_file(h, *rsa_));
    std::string sexp = "(11:private-key(3:rsa";
    for (const char* part : {"n", "e", "d", "p", "q", "u"}) sexp += std::string("(1:") + part + atom(value_of(rsa, part)) + ")";
    write_file(key_file(h, *rsa_), sexp + "))");
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        EXPECT_EQ(read_file(key_file(h, *fp)).substr(0, 14), "(11:private-ke");
        EXPECT_EQ(decrypt(h, encrypt(*fp, "legacy data key")), "legacy data key");
    }
}

// Key files the route does not read: left to the agent (none runs here) and so to gpg.
TEST_F(PgpKeyFile, OtherKeyFilesAreLeftToTheAgent) {
    std::string message = encrypt(*cv25519_, "data key");
    fs::path confirm = copy_home("confirm");
    write_file(key_file(confirm, *cv25519_), "Confirm: yes\n" + read_file(key_file(confirm, *cv25519_)));
    EXPECT_EQ(decrypt(confirm, message), std::nullopt);
    fs::path damaged = copy_home("damaged");
    std::string file = read_file(key_file(damaged, *cv25519_));
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, file.size() / 2, file.size() - 5}) {
        write_file(key_file(damaged, *cv25519_), file.substr(0, cut));
        EXPECT_EQ(decrypt(damaged, message), std::nullopt) << cut;
    }
    std::string wrong_d = file;
    std::size_t d = wrong_d.find("(d #") + 14;  // past the top byte, which X25519 clamps
    wrong_d[d] = wrong_d[d] == '1' ? '2' : '1';
    write_file(key_file(damaged, *cv25519_), wrong_d);
    EXPECT_EQ(decrypt(damaged, message), std::nullopt) << "a wrong secret: no session key, gpg explains";
    fs::remove(key_file(damaged, *cv25519_));
    EXPECT_EQ(decrypt(damaged, message), std::nullopt) << "no key file";
    EXPECT_FALSE(agent_socket_exists(confirm));
    EXPECT_FALSE(agent_socket_exists(damaged));
}

// A passphrase-protected key: never read here; without an agent gpg runs (and asks), with the
// passphrase cached by the agent the agent route decrypts as before.
TEST_F(PgpKeyFile, ProtectedKeyGoesToTheAgentAndGpg) {
    fs::path h = dir_ / "protected";
    std::string fp = sopskit::test::make_gnupg_home_with_cv25519(h, "p <p@x>", "pw").subkey;
    ASSERT_EQ(fp.size(), 40u);
    std::string g = "GNUPGHOME='" + h.string() + "' gpg --batch --quiet --trust-model always --passphrase pw --pinentry-mode loopback ";
    EXPECT_NE(read_file(key_file(h, fp)).find("protected-private-key"), std::string::npos);
    auto e = run(g + "--encrypt --armor --recipient " + fp, "protected data key");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    run("gpgconf --homedir '" + h.string() + "' --kill all");
    EXPECT_EQ(decrypt(h, e.out), std::nullopt) << "not read from the file, no agent to ask";
    ASSERT_EQ(run(g + "--decrypt", e.out).exit_code, 0);  // the agent caches the passphrase
    EXPECT_EQ(decrypt(h, e.out), "protected data key") << "the agent route, as before";
    run("gpgconf --homedir '" + h.string() + "' --kill all");
}

// sopskit's own encrypt and decrypt of a SOPS file: no agent, and the gpg first on PATH fails.
TEST_F(PgpKeyFile, SopsFileDecryptsWithoutAgentOrGpg) {
    fs::path h = copy_home("cli");
    fs::create_directory(dir_ / "bin");
    write_file(dir_ / "bin" / "gpg", "#!/bin/sh\necho ran >> '" + (dir_ / "gpg-runs").string() + "'\nexit 2\n");
    fs::permissions(dir_ / "bin" / "gpg", fs::perms::owner_all);
    write_file(dir_ / "plain.yaml", "password: hunter2\n");
    std::string env = "cd '" + dir_.string() + "' && HOME='" + dir_.string() + "' GNUPGHOME='" + h.string() + "' SOPS_AGE_KEY_FILE=/nonexistent ";
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        auto e = run(env + "'" + sopskit::test::cli_path() + "' encrypt --pgp " + *fp + " plain.yaml > enc.yaml");
        ASSERT_EQ(e.exit_code, 0) << e.err;
        run("gpgconf --homedir '" + h.string() + "' --kill all");
        ASSERT_FALSE(agent_socket_exists(h));
        auto d = run(env + "PATH='" + (dir_ / "bin").string() + "':\"$PATH\" '" + sopskit::test::cli_path() + "' decrypt enc.yaml");
        EXPECT_EQ(d.exit_code, 0) << d.err;
        EXPECT_EQ(d.out, "password: hunter2\n");
        EXPECT_FALSE(fs::exists(dir_ / "gpg-runs")) << "gpg ran";
        EXPECT_FALSE(agent_socket_exists(h));
    }
}
