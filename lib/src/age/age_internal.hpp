// Pieces of the age format shared by the files in this folder.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/age.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::age::detail {

constexpr std::size_t kFileKeySize = 16;

// HKDF-SHA-256 (RFC 5869), 32 bytes of output.
SecureBytes hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info);
std::string hmac_sha256(std::string_view key, std::string_view data);

// Unpadded standard base64, strict: canonical encodings only.
std::string b64_raw_encode(std::string_view bytes);
std::optional<std::string> b64_raw_decode(std::string_view text);

// Bech32 (BIP 173 without the length limit, as age uses it).
std::string bech32_encode(const std::string& hrp, std::string_view data);
// Returns {hrp, data}; nullopt on a bad checksum, mixed case or bad characters.
std::optional<std::pair<std::string, std::string>> bech32_decode(std::string_view text);

struct Stanza {
    std::string type;
    std::vector<std::string> args;
    std::string body;
};

struct Header {
    std::vector<Stanza> stanzas;
    std::string mac;          // 32 bytes
    std::size_t mac_input_end = 0;  // header bytes covered by the MAC: up to and including "---"
    std::size_t payload_start = 0;
};

// Parses the header at the start of `file`; throws Error ("header failure") when malformed.
Header parse_header(std::string_view file);
// One stanza as the header and the plugin protocol write it ("-> type args", body lines).
std::string encode_stanza(const Stanza& s);
// Serialises stanzas; returns the header text up to and including "---" (MAC input).
std::string header_without_mac(const std::vector<Stanza>& stanzas);

// Removes ASCII armor; throws Error ("armor failure") for anything the format forbids.
std::string dearmor(std::string_view text);
std::string armor(std::string_view binary);
bool looks_armored(std::string_view text);

// STREAM: payload after the 16-byte nonce. decrypt appends verified chunks to `out`.
std::string stream_encrypt(const SecureBytes& file_key, std::string_view plaintext);
void stream_decrypt(const SecureBytes& file_key, std::string_view payload, std::string& out);

// Recipient stanzas.
Stanza x25519_wrap(const SecureBytes& file_key, const std::string& recipient_bytes);
// nullopt: not this identity. Throws Error for a malformed stanza.
std::optional<SecureBytes> x25519_unwrap(const Stanza& s, const X25519Identity& id);
std::optional<SecureBytes> scrypt_unwrap(const Stanza& s, const SecureBytes& passphrase);

// SSH ("ssh-ed25519 ...", "ssh-rsa ...") and plugin (age1NAME1...) recipients, which live in
// their own files. wrap_other: nullopt when `recipient` is neither; throws Error when it is
// one but unusable.
bool is_other_recipient(std::string_view recipient);
std::optional<std::vector<Stanza>> wrap_other(const SecureBytes& file_key, std::string_view recipient);
// mlkem768x25519 (hybrid.cpp): the 1216-byte public key of an age1pq1 recipient, nullopt when
// the text is not one (or fails the ML-KEM modulus check).
std::optional<std::string> hybrid_recipient_bytes(std::string_view recipient);
Stanza hybrid_wrap(const SecureBytes& file_key, const std::string& public_key);
std::optional<SecureBytes> hybrid_unwrap(const Stanza& s, const HybridIdentity& id);

[[noreturn]] void header_failure(const std::string& what);

}  // namespace sopskit::age::detail
