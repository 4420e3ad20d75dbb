// A PGP data key decrypted with no gpg process (lib/src/keys/gpg_agent/, lib/src/keys/openpgp/):
// the message's PKESK, its key found in the home's pubring.kbx, the keygrip, one PKDECRYPT
// to the home's own gpg-agent over its socket, the session key, the data. And what must
// end in the gpg fallback instead: a passphrase the agent does not hold (no prompt), a key
// the agent lacks, no agent.
#include <filesystem>
#include <optional>

#include <unistd.h>

#include "core/hex.hpp"
#include "keys/gpg_agent/agent_client.hpp"
#include "keys/openpgp/agent_ciphertext.hpp"
#include "keys/openpgp/keybox.hpp"
#include "keys/openpgp/keygrip.hpp"
#include "openpgp_support.hpp"
#include "sopskit/error.hpp"

namespace agent = sopskit::detail::gpg_agent;
namespace pgp = sopskit::detail::openpgp;
namespace fs = std::filesystem;
using sopskit::Error;
using sopskit::SecureBytes;
using sopskit::test::read_file;
using sopskit::test::run;

namespace {

// The agent client's answer when it could not do the job.
struct Unavailable {
    agent::Unavailable reason;
};

std::string grip_of(const pgp::PublicKey& key) {
    auto grip = pgp::keygrip(key);
    return sopskit::detail::hex_encode(grip.data(), grip.size(), sopskit::detail::HexCase::Upper);
}

class GpgAgentPkdecrypt : public sopskit::test::OpenpgpGpgHome {
protected:
    // The home's agent, started, and its socket as sopskit finds it (gpgconf agrees).
    static std::string agent_socket(const fs::path& home) {
        run("gpgconf --homedir '" + home.string() + "' --launch gpg-agent");
        auto r = run("gpgconf --homedir '" + home.string() + "' --list-dirs agent-socket");
        std::optional<std::string> ours = agent::find_agent_socket(home.string());
        EXPECT_EQ(ours.value_or(""), r.out.substr(0, r.out.find('\n')));
        return ours.value_or("");
    }
    // The data key of `message`, decrypted as the PGP key source will: gpg only made the keys.
    static std::string decrypt_without_gpg(const fs::path& home, const std::string& message) {
        pgp::EncryptedMessage m = pgp::read_encrypted_message(message);
        const pgp::Pkesk& pkesk = m.recipients.at(0);
        std::vector<pgp::PublicKey> keys = pgp::keybox_keys_with_id(read_file(home / "pubring.kbx"), pkesk.key_id);
        if (keys.size() != 1) throw Error(sopskit::ErrorCode::Generic, "key not in the keybox");
        agent_socket(home);
        agent::PkDecryption d = agent::agent_pkdecrypt(agent::AgentOptions{home.string()}, grip_of(keys[0]), pgp::agent_ciphertext(pkesk));
        if (!d.ok()) throw Unavailable{d.not_available->reason};
        pgp::SessionKey key = pkesk.algorithm == pgp::kEcdh ? pgp::ecdh_session_key(pkesk, keys[0], d.value.view())
                                                            : pgp::rsa_session_key(d.value.view(), d.padding == 0);
        return std::string(pgp::decrypt_seipd(m.encrypted_data, key).view());
    }
};

}  // namespace

TEST_F(GpgAgentPkdecrypt, DecryptsDataKeysThroughTheAgent) {
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        for (int round = 0; round < 2; ++round) {
            std::string data_key(SecureBytes::random(32).view());
            EXPECT_EQ(decrypt_without_gpg(*home_, encrypt(*fp, data_key)), data_key);
        }
    }
}

// A protected key whose passphrase the agent has not cached: refused at once (the agent may
// not prompt), the caller's cue to run gpg.
TEST_F(GpgAgentPkdecrypt, ProtectedKeyIsRefusedWithoutAPrompt) {
    fs::path home = sopskit::test::make_temp_dir() / "locked";
    auto key = sopskit::test::make_gnupg_home_with_cv25519(home, "locked <l@x>", "pw", "s2k-count 65536\npinentry-program /nonexistent/pinentry\n");
    ASSERT_FALSE(key.subkey.empty());
    run("gpgconf --homedir '" + home.string() + "' --kill gpg-agent");  // forget the passphrase
    auto enc = run("GNUPGHOME='" + home.string() + "' gpg --batch --trust-model always --encrypt --recipient l@x", "k");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    try {
        decrypt_without_gpg(home, enc.out);
        ADD_FAILURE() << "decrypted without the passphrase";
    } catch (const Unavailable& e) {
        EXPECT_EQ(e.reason, agent::Unavailable::NeedsPrompt);
    }
    run("gpgconf --homedir '" + home.string() + "' --kill all");
}

TEST_F(GpgAgentPkdecrypt, UnknownKeyAndMissingAgent) {
    pgp::EncryptedMessage m = pgp::read_encrypted_message(encrypt(*cv25519_, "k"));
    agent_socket(*home_);
    agent::PkDecryption d = agent::agent_pkdecrypt(agent::AgentOptions{home_->string()}, std::string(40, '0'),
                                                   pgp::agent_ciphertext(m.recipients.at(0)));
    ASSERT_FALSE(d.ok()) << "the agent decrypted with a key it does not have";
    EXPECT_EQ(d.not_available->reason, agent::Unavailable::KeyMissing);
    fs::path none = sopskit::test::make_temp_dir() / "no-agent";
    fs::create_directory(none);
    d = agent::agent_pkdecrypt(agent::AgentOptions{none.string()}, std::string(40, '0'), pgp::agent_ciphertext(m.recipients.at(0)));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.not_available->reason, agent::Unavailable::NoAgent);
}
