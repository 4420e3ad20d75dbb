// SSH keys for age's ssh-ed25519 and ssh-rsa stanzas: the SSH wire encoding, public keys as
// authorized_keys lines, and OpenSSH private key files.
#pragma once
#include <string>
#include <string_view>

#include "age/age_internal.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::age::detail {

// An SSH public key. `blob` is its canonical wire encoding (what age fingerprints and tweaks).
struct SshPublicKey {
    std::string type;     // "ssh-ed25519" or "ssh-rsa"
    std::string blob;
    std::string ed25519;  // 32-byte point
    std::string rsa_e, rsa_n;  // big-endian magnitudes, no leading zero
};

// Parses a wire-encoded public key of a kind age supports; throws Error otherwise.
SshPublicKey parse_ssh_public_blob(std::string_view blob);
// Parses "ssh-ed25519 AAAA... [comment]" (an authorized_keys line without options).
SshPublicKey parse_ssh_authorized_key(std::string_view line);

// A private key read from a file. Encrypted keys carry only their public half.
struct SshPrivateKey {
    SshPublicKey pub;
    bool encrypted = false;
    SecureBytes ed25519_seed;                    // 32 bytes
    SecureBytes rsa_d, rsa_p, rsa_q, rsa_iqmp;  // big-endian magnitudes
};

// Parses an "OPENSSH PRIVATE KEY" PEM block (openssh-key-v1), or an RSA key in PKCS#1 or
// PKCS#8 PEM. Throws Error without any key bytes in the message.
SshPrivateKey parse_ssh_private_key(std::string_view pem);

// age's SSH key tag: the first 4 bytes of SHA-256 of the wire blob, unpadded base64.
std::string ssh_fingerprint(std::string_view blob);

// The stanzas. unwrap: nullopt when the stanza is not for this key; throws Error when it is
// but cannot be opened.
Stanza ssh_ed25519_wrap(const SecureBytes& file_key, const SshPublicKey& pub);
Stanza ssh_rsa_wrap(const SecureBytes& file_key, const SshPublicKey& pub);
std::optional<SecureBytes> ssh_ed25519_unwrap(const Stanza& s, const SshPrivateKey& key);
std::optional<SecureBytes> ssh_rsa_unwrap(const Stanza& s, const SshPrivateKey& key);

}  // namespace sopskit::age::detail
