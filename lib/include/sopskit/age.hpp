// age (age-encryption.org/v1), implemented natively: X25519 and scrypt recipients, the
// STREAM payload and ASCII armor. sops stores each data key as an armored age file.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/age_hybrid.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::age {

// An X25519 identity (AGE-SECRET-KEY-1...).
struct X25519Identity {
    SecureBytes secret;      // 32-byte scalar
    std::string public_key;  // its 32-byte point, derived once: every unwrap needs it

    static X25519Identity generate();
    // Parses the Bech32 text; throws Error for anything that is not a valid identity.
    static X25519Identity parse(std::string_view text);
    static X25519Identity from_secret(SecureBytes secret);
    X25519Identity clone() const { return {secret.clone(), public_key}; }
    std::string encode() const;     // AGE-SECRET-KEY-1..., upper case
    std::string recipient() const;  // age1...
};

namespace detail {
struct Stanza;
}

// An identity age tries after its own X25519 and scrypt ones: SSH keys and plugins.
class StanzaIdentity {
public:
    virtual ~StanzaIdentity() = default;
    // The file key from one of the stanzas; nullopt when none is for this identity. Throws
    // Error when one is for it but cannot be opened, or when the identity cannot run (a
    // plugin missing from PATH, an SSH key behind a passphrase).
    virtual std::optional<SecureBytes> unwrap(const std::vector<detail::Stanza>& stanzas) const = 0;
};

// An SSH private key file (OpenSSH's own format, or RSA/Ed25519 in PKCS#1/PKCS#8 PEM) as an
// ssh-ed25519 or ssh-rsa identity. A passphrase-protected OpenSSH key loads, and fails only
// when a file is encrypted to it (sopskit cannot ask for the passphrase). Throws Error for a
// malformed key or an unsupported kind; messages never hold key bytes.
std::shared_ptr<const StanzaIdentity> parse_ssh_identity(std::string_view private_key_file);
// An AGE-PLUGIN-NAME-1... identity, run by age-plugin-NAME at unwrap. Throws Error when the
// text is not one.
std::shared_ptr<const StanzaIdentity> parse_plugin_identity(std::string_view text);

// The identities at hand for decryption.
class IdentitySet {
public:
    void add(X25519Identity id) { x25519_.push_back(std::move(id)); }
    void add(std::shared_ptr<const StanzaIdentity> id) { others_.push_back(std::move(id)); }
    // A key sopskit could not load, as "<where>: <why>" (never the key): decryption goes on
    // with the others, and these are reported when no identity opens a file.
    void add_problem(std::string problem) { problems_.push_back(std::move(problem)); }
    const std::vector<std::string>& problems() const { return problems_; }
    const std::vector<std::shared_ptr<const StanzaIdentity>>& others() const { return others_; }
    void add(HybridIdentity id) { hybrid_.push_back(std::move(id)); }
    void add_passphrase(std::string_view passphrase) { passphrases_.push_back(SecureBytes::from(passphrase)); }
    // A keys.txt-style text: one identity per line (AGE-SECRET-KEY-1..., AGE-SECRET-KEY-PQ-1..., AGE-PLUGIN-...);
    // blank and '#' lines skipped. A line that is not a usable identity is skipped and
    // recorded as a problem "<where>: line N: <why>" (never its contents).
    void add_from_text(std::string_view text, std::string_view where = "age identities");
    std::size_t size() const { return x25519_.size() + hybrid_.size() + passphrases_.size() + others_.size(); }
    const std::vector<X25519Identity>& x25519() const { return x25519_; }
    const std::vector<SecureBytes>& passphrases() const { return passphrases_; }
    const std::vector<HybridIdentity>& hybrid() const { return hybrid_; }
    IdentitySet clone() const;

private:
    std::vector<X25519Identity> x25519_;
    std::vector<SecureBytes> passphrases_;
    std::vector<HybridIdentity> hybrid_;
    std::vector<std::shared_ptr<const StanzaIdentity>> others_;
    std::vector<std::string> problems_;
};

bool is_valid_recipient(std::string_view recipient);

// Encrypts to recipients: X25519 (age1...), hybrid (age1pq1...), SSH ("ssh-ed25519 AAAA...",
// "ssh-rsa AAAA...") and plugin ones (age1NAME1..., through age-plugin-NAME). Hybrid recipients
// are not mixed with other kinds (as age refuses, so the post-quantum protection is not undone
// by a classic stanza). With `armor`, ASCII-armored.
std::string encrypt(std::string_view plaintext, const std::vector<std::string>& recipients, bool armor);

// Decrypts an age file, armored or binary. nullopt: no identity matched (a normal outcome);
// throws Error for a malformed, tampered or truncated file.
std::optional<SecureBytes> decrypt(std::string_view file, const IdentitySet& ids);

// Like decrypt, but appends each authenticated payload chunk to `released` as it is
// verified, so a caller sees exactly what was released before a payload failure.
// Returns false when no identity matched.
bool decrypt_streaming(std::string_view file, const IdentitySet& ids, std::string& released);

// Comma-separated recipients as sops parses --age / SOPS_AGE_RECIPIENTS (trimmed, empty dropped).
std::vector<std::string> recipients_from_string(std::string_view list);

// The identities sops would use: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD (run with
// SOPS_AGE_RECIPIENT=`recipient`), and $XDG_CONFIG_HOME/sops/age/keys.txt (or
// ~/.config/sops/age/keys.txt); all that exist are combined. SSH identities come first, as in
// sops: SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD, ~/.ssh/id_ed25519 and
// ~/.ssh/id_rsa. A source or line that cannot be used is recorded in problems() and skipped.
IdentitySet load_identities_from_environment(std::string_view recipient = {});

}  // namespace sopskit::age
