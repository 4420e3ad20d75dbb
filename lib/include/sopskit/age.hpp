// age (age-encryption.org/v1), implemented natively: X25519 and scrypt recipients, the
// STREAM payload and ASCII armor. sops stores each data key as an armored age file.
#pragma once
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

// The identities at hand for decryption.
class IdentitySet {
public:
    void add(X25519Identity id) { x25519_.push_back(std::move(id)); }
    void add(HybridIdentity id) { hybrid_.push_back(std::move(id)); }
    void add_passphrase(std::string_view passphrase) { passphrases_.push_back(SecureBytes::from(passphrase)); }
    // A keys.txt-style text: one AGE-SECRET-KEY-1 or AGE-SECRET-KEY-PQ-1 per line; blank and '#' lines skipped.
    // Throws Error naming the line number (never its contents) on a bad line.
    void add_from_text(std::string_view text);
    std::size_t size() const { return x25519_.size() + hybrid_.size() + passphrases_.size(); }
    const std::vector<X25519Identity>& x25519() const { return x25519_; }
    const std::vector<SecureBytes>& passphrases() const { return passphrases_; }
    const std::vector<HybridIdentity>& hybrid() const { return hybrid_; }
    IdentitySet clone() const;

private:
    std::vector<X25519Identity> x25519_;
    std::vector<SecureBytes> passphrases_;
    std::vector<HybridIdentity> hybrid_;
};

bool is_valid_recipient(std::string_view recipient);

// Encrypts to X25519 (age1...) or hybrid (age1pq1...) recipients, not both kinds at once (as
// age refuses, so the post-quantum protection is not undone by a classic stanza). With `armor`, the result is ASCII-armored.
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
// ~/.config/sops/age/keys.txt); all that exist are combined. SSH identities are not supported yet.
IdentitySet load_identities_from_environment(std::string_view recipient = {});

}  // namespace sopskit::age
