// A private GNUPGHOME for the OpenPGP reader's tests, made once per test process: an unprotected
// Curve25519 and an unprotected RSA encryption subkey, gpg to encrypt to them and to report
// the session key it finds.
#pragma once
#include <filesystem>
#include <string>

#include "keys/openpgp/message.hpp"
#include "keys/openpgp/seipd.hpp"
#include "keys/openpgp/session_key.hpp"
#include "sopskit/secure.hpp"
#include "test_support.hpp"

namespace sopskit::test {

// A private GNUPGHOME with two encryption subkeys: cv25519 and rsa2048.
class OpenpgpGpgHome : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (home_ || !sopskit::test::have_program("gpg")) return;  // one home for every suite
        home_ = new std::filesystem::path(sopskit::test::make_temp_dir() / "gnupg");
        std::filesystem::create_directory(*home_);
        std::filesystem::permissions(*home_, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
        cv25519_ = new std::string(make_key("ecdh", "cv25519"));
        rsa_ = new std::string(make_key("rsa", "rsa2048"));
    }
    static void TearDownTestSuite() {
        if (home_) run("gpgconf --homedir '" + home_->string() + "' --kill all");  // restarted on use
    }
    void SetUp() override {
        if (!home_) GTEST_SKIP() << "gpg not installed";
        ASSERT_FALSE(cv25519_->empty());
        ASSERT_FALSE(rsa_->empty());
    }

    static std::string gpg() { return "GNUPGHOME='" + home_->string() + "' gpg --batch --quiet --trust-model always "; }
    // A signing primary key with an unprotected encryption subkey of `algo`; its fingerprint.
    static std::string make_key(const std::string& name, const std::string& algo) {
        std::string g = gpg() + "--passphrase '' --pinentry-mode loopback ";
        if (run(g + "--quick-gen-key '" + name + " <" + name + "@x>' ed25519 cert,sign never").exit_code != 0) return {};
        auto primary = run(gpg() + "--with-colons --list-keys '" + name + "@x' | awk -F: '/^fpr/ {print $10; exit}'");
        std::string fp = primary.out.substr(0, primary.out.find('\n'));
        if (run(g + "--quick-add-key " + fp + " " + algo + " encr never").exit_code != 0) return {};
        auto sub = run(gpg() + "--with-colons --list-keys '" + name + "@x' | awk -F: '/^sub/ {s=1} /^fpr/ && s {print $10; exit}'");
        return sub.out.substr(0, sub.out.find('\n'));
    }
    static std::string encrypt(const std::string& fp, const std::string& plaintext, const std::string& options = "--armor") {
        auto r = run(gpg() + "--encrypt --recipient " + fp + " " + options, plaintext);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    // The session key gpg finds in `message`, from --show-session-key ("9:HEX...").
    static detail::openpgp::SessionKey session_key_of(const std::string& message) {
        auto r = run(gpg() + "--show-session-key --decrypt", message);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::size_t at = r.err.find("session key: '");
        if (at == std::string::npos) return {};
        std::string text = r.err.substr(at + 14, r.err.find('\'', at + 14) - at - 14);
        detail::openpgp::SessionKey key;
        key.algorithm = static_cast<std::uint8_t>(std::stoi(text.substr(0, text.find(':'))));
        std::string bytes = from_hex(text.substr(text.find(':') + 1));
        key.key = SecureBytes::from(bytes);
        return key;
    }
    static std::string decrypt_with_gpgs_session_key(const std::string& message) {
        detail::openpgp::EncryptedMessage m = detail::openpgp::read_encrypted_message(message);
        return std::string(detail::openpgp::decrypt_seipd(m.encrypted_data, session_key_of(message)).view());
    }
    static std::string from_hex(const std::string& hex) {
        std::string bytes;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        return bytes;
    }
    static std::string key_id(const std::string& fp) { return from_hex(fp.substr(fp.size() - 16)); }

    static inline std::filesystem::path* home_ = nullptr;
    static inline std::string* cv25519_ = nullptr;
    static inline std::string* rsa_ = nullptr;
};

}  // namespace sopskit::test
