// A small gpg-agent client for the one private-key step of a PGP decrypt: PKDECRYPT of the
// session key's ciphertext, and KEYINFO to ask whether a key is there and usable without a
// prompt. The PGP key source (keys/pgp_agent_decrypt.cpp) sends PKDECRYPT alone: the
// session's pinentry-mode cancel already refuses what would prompt; check_key and
// agent_pkdecrypt (KEYINFO first) serve callers that want the answer before asking.
// Conservative by design: whatever is not clearly fine (no agent, a missing, protected,
// smartcard or confirm-on-use key, an error, a slow or confused agent) is "not available",
// and the caller runs gpg instead. It never starts an agent, and the agent is told never to
// open a pinentry (pinentry-mode cancel), so nothing can prompt or hang.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::detail::gpg_agent {

class AssuanConnection;

// Why the agent cannot do the job.
enum class Unavailable {
    NoAgent,      // no socket, nothing listening, not ours, or no greeting
    KeyMissing,   // the agent has no such private key
    NeedsPrompt,  // the key needs a passphrase, a smartcard or a confirmation
    Refused,      // the agent answered an error (a bad ciphertext, a cancelled prompt, ...)
    Broken,       // malformed, oversized or late answers, or a bad request from the caller
};

struct NotAvailable {
    Unavailable reason = Unavailable::NoAgent;
    std::string detail;  // one line for diagnostics; never any key material
};

struct AgentOptions {
    std::string homedir;  // the GnuPG home (gpg --homedir); empty: $GNUPGHOME, else ~/.gnupg
    std::chrono::milliseconds timeout{2000};  // the whole exchange, connect included
};

struct PkDecryption {
    std::optional<NotAvailable> not_available;  // set: no value, run gpg
    SecureBytes value;  // the bytes of the agent's (5:value...) atom: for ECDH the shared point
                        // (0x40 and x), for RSA the decrypted integer, padding still in it
    int padding = -1;   // the agent's "S PADDING n", -1 when it sent none (software keys)

    bool ok() const { return !not_available; }
};

// One connection to the agent. Not thread-safe; use one per thread.
class AgentSession {
public:
    // Finds the agent's socket for the home and connects. nullptr with *why set when there is
    // no agent to ask.
    static std::unique_ptr<AgentSession> open(const AgentOptions& options, NotAvailable* why);
    // Over a socket already found (tests).
    static std::unique_ptr<AgentSession> open_socket(const std::string& socket, std::chrono::milliseconds timeout, NotAvailable* why);
    ~AgentSession();

    // nullopt when the key (40 hex digits) is on disk and usable without any prompt.
    std::optional<NotAvailable> check_key(std::string_view keygrip);

    // PKDECRYPT with the key: `ciphertext` is the canonical S-expression
    // (7:enc-val(4:ecdh(1:s<n>:..)(1:e<n>:..))) or (7:enc-val(3:rsa(1:a<n>:..))). Does not
    // check the key first: call check_key, or use agent_pkdecrypt.
    PkDecryption pkdecrypt(std::string_view keygrip, std::string_view ciphertext);

private:
    explicit AgentSession(std::unique_ptr<AssuanConnection> conn);
    std::unique_ptr<AssuanConnection> conn_;
};

// The whole exchange on one connection: open, check_key, pkdecrypt.
PkDecryption agent_pkdecrypt(const AgentOptions& options, std::string_view keygrip, std::string_view ciphertext);

// The socket gpg-agent listens on for the home (empty: $GNUPGHOME, else ~/.gnupg), as gpgconf
// finds it, a redirect file followed; nullopt when no agent can be listening there.
std::optional<std::string> find_agent_socket(const std::string& homedir);

}  // namespace sopskit::detail::gpg_agent
