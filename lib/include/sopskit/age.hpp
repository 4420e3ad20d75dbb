// age (age-encryption.org/v1), implemented natively: X25519, scrypt and SSH (ssh-ed25519,
// ssh-rsa) recipients, the STREAM payload and ASCII armor. sops stores each data key as an
// armored age file.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/secure.hpp"

namespace sopskit::age {

// An X25519 identity (AGE-SECRET-KEY-1...).
struct X25519Identity {
    SecureBytes secret;  // 32-byte scalar

    static X25519Identity generate();
    // Parses the Bech32 text (surrounding whitespace ignored); throws Error otherwise.
    static X25519Identity parse(std::string_view text);
    X25519Identity clone() const { return {secret.clone()}; }
    std::string encode() const;     // AGE-SECRET-KEY-1..., upper case
    std::string recipient() const;  // age1...
};

// An SSH identity from an unencrypted private key (OpenSSH format, or PEM PKCS#1/PKCS#8 for
// RSA and PKCS#8 for Ed25519), as sops reads SOPS_AGE_SSH_PRIVATE_KEY_FILE and ~/.ssh/id_*.
struct SshIdentity {
    std::string key_type;     // "ssh-ed25519" or "ssh-rsa"
    std::string public_blob;  // SSH wire-format public key
    SecureBytes secret;       // ssh-ed25519: the X25519 scalar; ssh-rsa: the key as PKCS#8 DER

    // Throws Error for an unsupported, malformed or passphrase-protected key.
    static SshIdentity parse(std::string_view private_key);
    SshIdentity clone() const { return {key_type, public_blob, secret.clone()}; }
    std::string recipient() const;  // "ssh-ed25519 AAAA..." (authorized_keys form, no comment)
};

// The identities at hand for decryption.
class IdentitySet {
public:
    void add(X25519Identity id) { x25519_.push_back(std::move(id)); }
    void add(SshIdentity id) { ssh_.push_back(std::move(id)); }
    void add_passphrase(std::string_view passphrase) { passphrases_.push_back(SecureBytes::from(passphrase)); }
    // A keys.txt-style text: one AGE-SECRET-KEY-1 per line; blank and '#' lines skipped.
    // Throws Error naming the line number (never its contents) on a bad line.
    void add_from_text(std::string_view text);
    // Moves every identity of `other` into this set.
    void merge(IdentitySet&& other);
    std::size_t size() const { return x25519_.size() + ssh_.size() + passphrases_.size(); }
    const std::vector<X25519Identity>& x25519() const { return x25519_; }
    const std::vector<SshIdentity>& ssh() const { return ssh_; }
    const std::vector<SecureBytes>& passphrases() const { return passphrases_; }
    IdentitySet clone() const;

private:
    std::vector<X25519Identity> x25519_;
    std::vector<SshIdentity> ssh_;
    std::vector<SecureBytes> passphrases_;
};

// Recipients we can encrypt to: age1... (X25519) and "ssh-ed25519 ..." / "ssh-rsa ..." lines.
bool is_valid_recipient(std::string_view recipient);

// Encrypts to the recipients (see is_valid_recipient; throws Error for any other). With
// `armor`, the result is ASCII-armored.
std::string encrypt(std::string_view plaintext, const std::vector<std::string>& recipients, bool armor);
// Encrypts to a passphrase (a lone scrypt stanza, 2^work_factor iterations).
std::string encrypt_with_passphrase(std::string_view plaintext, std::string_view passphrase, bool armor,
                                    int work_factor = 18);

// How decrypt reads its input: Detect treats text opening with the armor's BEGIN line
// (after whitespace) as armored and anything else as binary.
enum class Encoding { Detect, Binary, Armored };

// Decrypts an age file. nullopt: no identity matched (a normal outcome); throws Error for a
// malformed, tampered or truncated file. The message starts with "age <kind> failure:", kind
// being one of the spec's: header, HMAC, payload, armor.
std::optional<SecureBytes> decrypt(std::string_view file, const IdentitySet& ids, Encoding enc = Encoding::Detect);

// Like decrypt, but appends each authenticated payload chunk to `released` as it is
// verified, so a caller sees exactly what was released before a payload failure.
// Returns false when no identity matched.
bool decrypt_streaming(std::string_view file, const IdentitySet& ids, std::string& released,
                       Encoding enc = Encoding::Detect);

// Comma-separated recipients as sops parses --age / SOPS_AGE_RECIPIENTS (trimmed, empty dropped).
std::vector<std::string> recipients_from_string(std::string_view list);

// What sops' age key discovery found, where it looked, and what went wrong.
struct IdentityDiscovery {
    IdentitySet identities;
    std::vector<std::string> errors;            // sources that were set but could not be used
    std::vector<std::string> unused_locations;  // sources not set, absent, or without keys
    // sops' wording: "<what>[: <cause>][. Errors while loading age identities: ...]
    // [. Did not find keys in location(s) ...]".
    std::string describe(std::string_view what, std::string_view cause = {}) const;
};

// The identities sops would use, all combined: SOPS_AGE_SSH_PRIVATE_KEY_FILE,
// SOPS_AGE_SSH_PRIVATE_KEY_CMD, ~/.ssh/id_ed25519, ~/.ssh/id_rsa, SOPS_AGE_KEY (several keys
// per line allowed), SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, and $XDG_CONFIG_HOME/sops/age/keys.txt
// (or ~/.config/sops/age/keys.txt). Commands are split like a shell line (no shell runs) and
// get SOPS_AGE_RECIPIENT=`recipient` in their environment. A source that fails is recorded
// in `errors` and the others are still used, as sops does.
IdentityDiscovery discover_identities(std::string_view recipient = {});

// discover_identities' identities; throws Error (CouldNotRetrieveKey, with sops' message)
// when none was found.
IdentitySet load_identities_from_environment(std::string_view recipient = {});

}  // namespace sopskit::age
