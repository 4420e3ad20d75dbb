// sopskit's OpenPGP reader (lib/src/keys/openpgp/): the armor, the packet framing and the
// PKESKs of a whole message; SEIPD decryption and ECDH unwrapping with fixed keys; the packets
// inside decrypted data (compressed, literal) read directly, since a fuzzed SEIPD seldom passes
// its MDC; key packets (as gpg --export writes them); the RSA block and the shared point as
// gpg-agent would return them, and each PKESK as the agent's ciphertext. Refusing is fine (Error, of which Unsupported is one); nothing
// else may escape.
#include "fuzz_support.hpp"
#include "keys/openpgp/agent_ciphertext.hpp"
#include "keys/openpgp/ecdh_kdf.hpp"
#include "keys/openpgp/literal.hpp"
#include "keys/openpgp/message.hpp"
#include "keys/openpgp/packets.hpp"
#include "keys/openpgp/public_key.hpp"
#include "keys/openpgp/seipd.hpp"
#include "keys/openpgp/session_key.hpp"

using namespace sopskit;
namespace pgp = sopskit::detail::openpgp;

namespace {

// A Curve25519 ECDH key as gpg makes one (SHA-256, AES-128); its point and fingerprint are
// arbitrary: the unwrap fails, but only after the KDF and the key unwrap have run.
pgp::PublicKey fixed_ecdh_key() {
    pgp::PublicKey key;
    key.algorithm = pgp::kKeyEcdh;
    key.curve_oid = std::string("\x2B\x06\x01\x04\x01\x97\x55\x01\x05\x01", 10);
    key.ecc_point = "\x40" + std::string(32, '\x09');
    key.kdf_hash = 8;
    key.kdf_cipher = 7;
    return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    fuzz::refusing_is_fine([&] {
        pgp::EncryptedMessage m = pgp::read_encrypted_message(text);
        if (m.recipients.empty()) __builtin_trap();
        for (const pgp::Pkesk& p : m.recipients) {
            fuzz::refusing_is_fine([&] { (void)pgp::agent_ciphertext(p); });
            if (p.algorithm == pgp::kEcdh)
                fuzz::refusing_is_fine([&] { (void)pgp::ecdh_session_key(p, fixed_ecdh_key(), "\x40" + std::string(32, '\x07')); });
        }
        pgp::SessionKey key{pgp::kAes128, SecureBytes(16)};
        (void)pgp::decrypt_seipd(m.encrypted_data, key);
    });
    fuzz::refusing_is_fine([&] { (void)pgp::read_literal_data(text); });
    fuzz::refusing_is_fine([&] {
        pgp::PacketReader reader(text);
        while (!reader.at_end()) {
            pgp::Packet p = reader.next();
            if (p.tag == 5 || p.tag == 6 || p.tag == 7 || p.tag == 14)
                fuzz::refusing_is_fine([&] { (void)pgp::read_public_key(p.body); });
        }
    });
    fuzz::refusing_is_fine([&] { (void)pgp::rsa_session_key(text, false); });
    fuzz::refusing_is_fine([&] { (void)pgp::rsa_session_key(text, true); });
    fuzz::refusing_is_fine([&] { (void)pgp::shared_secret_x(text); });
    return 0;
}
