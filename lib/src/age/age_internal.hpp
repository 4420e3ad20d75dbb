// Pieces of the age format (age-encryption.org/v1) shared by the files in this folder.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sopskit/age.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::age::detail {

constexpr std::size_t kFileKeySize = 16;

// Every failure is one of the spec's categories; the message starts with "age <category>:"
// so callers (and the CCTV tests) can tell them apart without extra exception types.
[[noreturn]] void header_failure(const std::string& what);
[[noreturn]] void armor_failure(const std::string& what);
[[noreturn]] void payload_failure(const std::string& what);
[[noreturn]] void hmac_failure(const std::string& what);

// --- kdf.cpp ---
// HKDF-SHA-256 (RFC 5869) with 32 bytes of output; an empty salt means 32 zero bytes.
SecureBytes hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info);
std::string hmac_sha256(std::string_view key, std::string_view data);
// ChaCha20-Poly1305 with an all-zero nonce, as every age stanza body uses (each key is fresh).
std::string seal_file_key(const SecureBytes& key, const SecureBytes& file_key);
// nullopt when the tag does not verify; a header failure when the body is not 16 + 16 bytes.
std::optional<SecureBytes> open_file_key(const SecureBytes& key, std::string_view body);

// --- encoding.cpp ---
// Unpadded standard base64 (stanza arguments and bodies, the MAC): canonical encodings only.
std::string b64_raw_encode(std::string_view bytes);
std::optional<std::string> b64_raw_decode(std::string_view text);
// Padded standard base64 (armor, SSH keys): canonical encodings only.
std::string b64_std_encode(std::string_view bytes);
std::optional<std::string> b64_std_decode(std::string_view text);

// --- bech32.cpp ---
// Bech32 (BIP 173 without the 90-character limit, as age uses it). Encodes lower case.
std::string bech32_encode(std::string_view hrp, std::string_view data);
// {hrp as written, data}; nullopt on a bad checksum, mixed case, bad characters or padding.
std::optional<std::pair<std::string, std::string>> bech32_decode(std::string_view text);

// --- header.cpp ---
struct Stanza {
    std::string type;
    std::vector<std::string> args;
    std::string body;
};

struct Header {
    std::vector<Stanza> stanzas;
    std::string mac;                // 32 bytes
    std::size_t mac_input_end = 0;  // the MAC covers the header up to and including "---"
    std::size_t payload_start = 0;
};

// Parses the header at the start of `file`; header failure when malformed.
Header parse_header(std::string_view file);
// The header text up to and including "---" (the MAC input).
std::string serialize_header(const std::vector<Stanza>& stanzas);

// --- armor.cpp ---
std::string dearmor(std::string_view text);
std::string armor(std::string_view binary);
// Whether the text (after leading whitespace) opens with the armor's BEGIN line.
bool looks_armored(std::string_view text);

// --- stream.cpp ---
// STREAM: the 16-byte nonce and the chunks. decrypt appends each verified chunk to `out`.
std::string stream_encrypt(const SecureBytes& file_key, std::string_view plaintext);
void stream_decrypt(const SecureBytes& file_key, std::string_view payload, std::string& out);

// --- x25519.cpp ---
std::string x25519_recipient_bytes(std::string_view recipient);  // throws Error when invalid
Stanza x25519_wrap(const SecureBytes& file_key, std::string_view recipient_bytes);
// nullopt: not this identity. Header failure for a malformed stanza.
std::optional<SecureBytes> x25519_unwrap(const Stanza& s, const SecureBytes& secret);

// --- scrypt.cpp ---
Stanza scrypt_wrap(const SecureBytes& file_key, const SecureBytes& passphrase, int work_factor);
std::optional<SecureBytes> scrypt_unwrap(const Stanza& s, const SecureBytes& passphrase);

// --- ssh_keys.cpp ---
// A parsed SSH public key: its type, its wire-format blob and the pieces age needs.
struct SshPublicKey {
    std::string type;  // "ssh-ed25519" or "ssh-rsa"
    std::string blob;  // SSH wire format (what authorized_keys base64-encodes)
    std::string ed25519;       // 32-byte Ed25519 point (ssh-ed25519)
    std::string rsa_e, rsa_n;  // big-endian magnitudes (ssh-rsa)
};
// An authorized_keys-style line: "type base64 [comment]". Throws Error when not supported.
SshPublicKey parse_ssh_public_key(std::string_view line);
// First 4 bytes of SHA-256 of the wire blob, unpadded base64: the stanza's key tag.
std::string ssh_key_tag(std::string_view blob);
// Reads an unencrypted private key (OpenSSH format, or PEM PKCS#1/PKCS#8); throws Error.
SshIdentity parse_ssh_private_key(std::string_view text);

// --- ssh_stanzas.cpp ---
Stanza ssh_wrap(const SecureBytes& file_key, const SshPublicKey& key);
std::optional<SecureBytes> ssh_unwrap(const Stanza& s, const SshIdentity& id);

}  // namespace sopskit::age::detail
