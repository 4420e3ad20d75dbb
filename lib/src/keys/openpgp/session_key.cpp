#include "keys/openpgp/session_key.hpp"

#include <nettle/nist-keywrap.h>

#include <cstring>
#include <string>

#include "keys/openpgp/aes.hpp"
#include "keys/openpgp/ecdh_kdf.hpp"
#include "keys/openpgp/errors.hpp"

namespace sopskit::detail::openpgp {

namespace {

// Every way the private key's result can be wrong gets this one answer.
[[noreturn]] void wrong_key() {
    throw Error(ErrorCode::Generic, "the PGP private key did not yield a session key (wrong key, or a damaged message)");
}

// algorithm || key || two-octet sum of the key's octets.
SessionKey decode_session_key(const std::uint8_t* block, std::size_t size) {
    if (size < 3) wrong_key();
    const nettle_cipher* cipher = aes_cipher(block[0]);
    if (!cipher) unsupported("session key algorithm " + std::to_string(block[0]));
    std::size_t key_size = size - 3;
    if (key_size != cipher->key_size) wrong_key();
    unsigned sum = 0;
    for (std::size_t i = 1; i <= key_size; ++i) sum += block[i];
    unsigned stored = static_cast<unsigned>(block[size - 2]) << 8 | block[size - 1];
    if ((sum & 0xFFFF) != stored) wrong_key();
    return {block[0], SecureBytes(block + 1, key_size)};
}

}  // namespace

SessionKey ecdh_session_key(const Pkesk& pkesk, const PublicKey& recipient, std::string_view shared_point) {
    if (pkesk.algorithm != kEcdh) malformed("ECDH session key from a PKESK that is not ECDH");
    SecureBytes kek = ecdh_kek(shared_secret_x(shared_point), recipient);
    const nettle_cipher* cipher = aes_cipher(recipient.kdf_cipher);  // checked by ecdh_kek
    const std::string& wrapped = pkesk.ecdh_wrapped;
    // AES key wrap: 64-bit blocks, at least two, plus the 64-bit integrity block.
    if (wrapped.size() % 8 != 0 || wrapped.size() < 24) wrong_key();
    AesContext ctx;
    cipher->set_decrypt_key(&ctx, kek.data());
    static const std::uint8_t kDefaultIv[8] = {0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6};
    SecureBytes block(wrapped.size() - 8);
    int unwrapped = nist_keyunwrap16(&ctx, cipher->decrypt, kDefaultIv, block.size(), block.data(),
                                     reinterpret_cast<const std::uint8_t*>(wrapped.data()));
    explicit_bzero(&ctx, sizeof ctx);
    if (!unwrapped) wrong_key();
    // PKCS#5 padding: n octets of value n.
    std::size_t pad = block.data()[block.size() - 1];
    if (pad == 0 || pad > block.size()) wrong_key();
    for (std::size_t i = block.size() - pad; i < block.size(); ++i)
        if (block.data()[i] != pad) wrong_key();
    return decode_session_key(block.data(), block.size() - pad);
}

SessionKey rsa_session_key(std::string_view value, bool padding_removed) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(value.data());
    std::size_t n = value.size();
    if (padding_removed) return decode_session_key(p, n);
    std::size_t at = 0;
    if (n > 0 && p[0] == 0) at = 1;  // the leading zero, when the agent kept it
    if (at >= n || p[at] != 2) wrong_key();
    std::size_t random_start = ++at;
    while (at < n && p[at] != 0) ++at;
    if (at >= n || at - random_start < 8) wrong_key();  // PKCS#1: at least 8 random octets
    ++at;
    return decode_session_key(p + at, n - at);
}

}  // namespace sopskit::detail::openpgp
