#include "keys/openpgp/ecdh_kdf.hpp"

#include <nettle/nettle-meta.h>
#include <nettle/sha2.h>

#include <cstring>
#include <string>

#include "keys/openpgp/aes.hpp"
#include "keys/openpgp/errors.hpp"

namespace sopskit::detail::openpgp {

namespace {

const nettle_hash* kdf_hash(std::uint8_t id) {
    switch (id) {
        case 8: return &nettle_sha256;
        case 9: return &nettle_sha384;
        case 10: return &nettle_sha512;
        default: unsupported("ECDH KDF hash " + std::to_string(id));
    }
}

}  // namespace

std::string_view shared_secret_x(std::string_view point) {
    if (point.size() % 2 == 0) {
        if (point.empty()) malformed("empty ECDH shared point");
        return point;  // X alone
    }
    auto prefix = static_cast<unsigned char>(point.front());
    std::string_view rest = point.substr(1);
    if (prefix == 0x40 || prefix == 0x41) return rest;
    if (prefix == 0x04 && !rest.empty()) return rest.substr(0, rest.size() / 2);
    malformed("ECDH shared point of unknown form");
}

SecureBytes ecdh_kek(std::string_view x, const PublicKey& recipient) {
    if (recipient.algorithm != kKeyEcdh) malformed("ECDH session key for a key that is not ECDH");
    const nettle_hash* hash = kdf_hash(recipient.kdf_hash);
    const nettle_cipher* cipher = aes_cipher(recipient.kdf_cipher);
    if (!cipher) unsupported("ECDH key wrap cipher " + std::to_string(recipient.kdf_cipher));
    if (recipient.curve_oid.empty() || recipient.curve_oid.size() > 0xFE) malformed("ECDH key without a curve OID");

    std::string params;
    params += static_cast<char>(recipient.curve_oid.size());
    params += recipient.curve_oid;
    params += static_cast<char>(kKeyEcdh);
    params += std::string{3, 1, static_cast<char>(recipient.kdf_hash), static_cast<char>(recipient.kdf_cipher)};
    params += "Anonymous Sender    ";
    params.append(reinterpret_cast<const char*>(recipient.fingerprint.data()), recipient.fingerprint.size());

    // Large enough for any nettle_hash context and digest (SHA-512 is the largest here).
    alignas(16) std::uint8_t ctx[sizeof(sha512_ctx)];
    SecureBytes digest(hash->digest_size);
    static const std::uint8_t kCounter[4] = {0, 0, 0, 1};
    hash->init(ctx);
    hash->update(ctx, sizeof kCounter, kCounter);
    hash->update(ctx, x.size(), reinterpret_cast<const std::uint8_t*>(x.data()));
    hash->update(ctx, params.size(), reinterpret_cast<const std::uint8_t*>(params.data()));
    hash->digest(ctx, digest.size(), digest.data());
    explicit_bzero(ctx, sizeof ctx);
    return SecureBytes(digest.data(), cipher->key_size);
}

}  // namespace sopskit::detail::openpgp
