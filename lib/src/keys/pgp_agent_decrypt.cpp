#include "keys/pgp_agent_decrypt.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <memory>

#include "core/hex.hpp"
#include "keys/gpg_agent/agent_client.hpp"
#include "keys/gpg_agent/private_key_file.hpp"
#include "keys/gpg_agent/socket_dir.hpp"
#include "keys/openpgp/agent_ciphertext.hpp"
#include "keys/openpgp/keybox.hpp"
#include "keys/openpgp/keygrip.hpp"
#include "keys/openpgp/local_pkdecrypt.hpp"
#include "keys/openpgp/message.hpp"
#include "keys/openpgp/seipd.hpp"
#include "keys/openpgp/session_key.hpp"
#include "sopskit/error.hpp"

namespace sopskit::detail {

namespace {

constexpr std::size_t kMaxKeybox = 16 << 20;  // far beyond a personal keyring

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// A regular file's bytes, or nullopt when it is missing, unreadable or over `limit`.
std::optional<std::string> read_small_file(const std::string& path, std::size_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || static_cast<std::size_t>(st.st_size) > limit)
        return std::nullopt;
    std::string data(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < data.size()) {
        ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        got += static_cast<std::size_t>(n);
    }
    return data;
}

// Whether the home's gpg.conf or common.conf holds an option by which gpg would look for keys
// elsewhere or judge a message by other rules: then gpg decides, as sops lets it.
bool configuration_changes_decryption(const std::string& homedir) {
    static constexpr std::string_view kOptions[] = {"keyring", "primary-keyring", "no-default-keyring", "secret-keyring",
                                                    "use-keyboxd", "compliance", "gnupg", "openpgp", "rfc4880", "rfc4880bis",
                                                    "rfc2440", "pgp6", "pgp7", "pgp8", "ignore-mdc-error", "try-secret-key",
                                                    "try-all-secrets", "skip-hidden-recipients", "override-session-key"};
    for (const char* name : {"/gpg.conf", "/common.conf"}) {
        std::optional<std::string> text = read_small_file(homedir + name, 1 << 20);
        if (!text) {
            if (exists(homedir + name)) return true;  // unreadable or huge: gpg reads it its own way
            continue;
        }
        std::string_view rest = *text;
        while (!rest.empty()) {
            std::string_view line = rest.substr(0, rest.find('\n'));
            rest.remove_prefix(std::min(rest.size(), line.size() + 1));
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
            if (line.starts_with("--")) line.remove_prefix(2);
            std::string_view word = line.substr(0, line.find_first_of(" \t\r="));
            for (std::string_view option : kOptions)
                if (word == option) return true;
        }
    }
    return false;
}

// What the agent would answer PKDECRYPT, computed here when the home's key file for `grip_hex`
// holds an unprotected key of a kind done here (gpg_agent/private_key_file.hpp): no socket, no
// Assuan exchange, no agent reading and parsing the same file. nullopt: ask the agent.
std::optional<SecureBytes> answer_from_key_file(const std::string& homedir, const std::string& grip_hex, const openpgp::Pkesk& pkesk,
                                                const openpgp::PublicKey& key) {
    std::optional<std::string> file = read_small_file(homedir + "/private-keys-v1.d/" + grip_hex + ".key", gpg_agent::kMaxKeyFile);
    if (!file) return std::nullopt;
    WipeOnExit wiper{*file};  // the key's hex digits: gone however the reading ends
    std::optional<gpg_agent::UnprotectedKey> unprotected = gpg_agent::read_unprotected_key(*file);
    if (!unprotected) return std::nullopt;
    return openpgp::local_pkdecrypt(*unprotected, pkesk, key);
}

// The data key from PKDECRYPT's answer (the agent's or answer_from_key_file's); nullopt when it
// is empty or longer than `max_size`.
std::optional<SecureBytes> decrypt_with_answer(const openpgp::EncryptedMessage& m, const openpgp::Pkesk& pkesk,
                                               const openpgp::PublicKey& key, std::string_view value, bool padding_removed,
                                               std::size_t max_size) {
    openpgp::SessionKey session = pkesk.algorithm == openpgp::kEcdh ? openpgp::ecdh_session_key(pkesk, key, value)
                                                                    : openpgp::rsa_session_key(value, padding_removed);
    SecureBytes data_key = openpgp::decrypt_seipd(m.encrypted_data, session);
    if (data_key.empty() || data_key.size() > max_size) return std::nullopt;
    return data_key;
}

}  // namespace

std::optional<SecureBytes> decrypt_data_key_with_agent(const std::string& home, std::string_view message, std::size_t max_size) {
    if (const char* exec = std::getenv("SOPS_GPG_EXEC"); exec && *exec) return std::nullopt;  // the user's own gpg decides
    try {
        // GnuPG's home as gpg run with `home` (or without --homedir) takes it.
        std::optional<std::string> homedir = gpg_agent::gnupg_home_name(gpg_agent::socket_dir_inputs(home));
        if (!homedir) return std::nullopt;
        if (exists(*homedir + "/pubring.gpg")) return std::nullopt;  // a legacy keyring gpg may use instead
        if (configuration_changes_decryption(*homedir)) return std::nullopt;
        std::optional<std::string> keybox = read_small_file(*homedir + "/pubring.kbx", kMaxKeybox);
        if (!keybox) return std::nullopt;
        openpgp::EncryptedMessage m = openpgp::read_encrypted_message(message);
        std::unique_ptr<gpg_agent::AgentSession> agent;
        for (const openpgp::Pkesk& pkesk : m.recipients) {
            for (const openpgp::PublicKey& key : openpgp::keybox_keys_with_id(*keybox, pkesk.key_id)) {
                auto grip = openpgp::keygrip(key);
                std::string grip_hex = hex_encode(grip.data(), grip.size(), HexCase::Upper);
                if (std::optional<SecureBytes> local = answer_from_key_file(*homedir, grip_hex, pkesk, key))
                    return decrypt_with_answer(m, pkesk, key, local->view(), false, max_size);
                if (!agent) {
                    gpg_agent::NotAvailable why;
                    agent = gpg_agent::AgentSession::open(gpg_agent::AgentOptions{*homedir}, &why);
                    if (!agent) return std::nullopt;
                }
                // No KEYINFO first: the session's pinentry-mode cancel already turns a key that
                // needs a passphrase, a card's PIN or a confirmation into an error, and the
                // exchange costs one round trip less (a third of a millisecond).
                gpg_agent::PkDecryption answer = agent->pkdecrypt(grip_hex, openpgp::agent_ciphertext(pkesk));
                if (!answer.ok()) {
                    // A key the agent lacks: another recipient may do. Anything else: gpg's job.
                    if (answer.not_available->reason == gpg_agent::Unavailable::KeyMissing) continue;
                    return std::nullopt;
                }
                return decrypt_with_answer(m, pkesk, key, answer.value.view(), answer.padding == 0, max_size);
            }
        }
    } catch (const Error&) {  // Unsupported, malformed: gpg decides and explains
    }
    return std::nullopt;
}

}  // namespace sopskit::detail
