#include "keys/openpgp/seipd.hpp"

#include <nettle/cfb.h>
#include <nettle/sha1.h>

#include <cstring>
#include <string>

#include "keys/openpgp/aes.hpp"
#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/literal.hpp"

namespace sopskit::detail::openpgp {

namespace {

constexpr std::size_t kBlock = 16;        // AES
constexpr std::size_t kPrefix = kBlock + 2;  // a random block, then its last two octets again
constexpr std::size_t kMdcPacket = 22;    // 0xD3 0x14, then the SHA-1 digest

// A wrong key and a modified message get the same answer, so neither check is an oracle.
[[noreturn]] void integrity_failure() {
    throw Error(ErrorCode::Generic, "OpenPGP decryption failed: wrong session key, or the message was modified (MDC mismatch)");
}

}  // namespace

SecureBytes decrypt_seipd(std::string_view encrypted, const SessionKey& key) {
    const nettle_cipher* cipher = aes_cipher(key.algorithm);
    if (!cipher) unsupported("symmetric algorithm " + std::to_string(key.algorithm));
    if (key.key.size() != cipher->key_size) malformed("session key of " + std::to_string(key.key.size()) + " bytes for " + cipher->name);
    if (encrypted.size() < kPrefix + kMdcPacket) malformed("encrypted data too short for its prefix and MDC");

    // SEIPD's CFB starts from a zero IV and never resynchronises.
    AesContext ctx;
    cipher->set_encrypt_key(&ctx, key.key.data());
    std::uint8_t iv[kBlock] = {};
    SecureBytes plain(encrypted.size());
    cfb_decrypt(&ctx, cipher->encrypt, kBlock, iv, encrypted.size(), plain.data(), reinterpret_cast<const std::uint8_t*>(encrypted.data()));
    explicit_bzero(&ctx, sizeof ctx);
    explicit_bzero(iv, sizeof iv);

    const std::uint8_t* p = plain.data();
    std::size_t n = plain.size();
    bool prefix_ok = p[kBlock - 2] == p[kBlock] && p[kBlock - 1] == p[kBlock + 1];
    bool mdc_header_ok = p[n - kMdcPacket] == 0xD3 && p[n - kMdcPacket + 1] == 0x14;
    sha1_ctx sha;
    sha1_init(&sha);
    sha1_update(&sha, n - SHA1_DIGEST_SIZE, p);
    std::uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_digest(&sha, sizeof digest, digest);
    explicit_bzero(&sha, sizeof sha);
    bool mdc_ok = constant_time_equal({reinterpret_cast<const char*>(digest), sizeof digest},
                                      {reinterpret_cast<const char*>(p + n - SHA1_DIGEST_SIZE), SHA1_DIGEST_SIZE});
    if (!(prefix_ok & mdc_header_ok & mdc_ok)) integrity_failure();
    return read_literal_data({reinterpret_cast<const char*>(p + kPrefix), n - kPrefix - kMdcPacket});
}

}  // namespace sopskit::detail::openpgp
