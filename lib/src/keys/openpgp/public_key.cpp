#include "keys/openpgp/public_key.hpp"

#include <nettle/sha1.h>

#include <algorithm>

#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/mpi.hpp"

namespace sopskit::detail::openpgp {

namespace {

std::string take_mpi(std::string_view& in, const char* what) {
    std::optional<std::string_view> value = read_mpi(in);
    if (!value) malformed(std::string("public key's ") + what + " runs past the packet");
    return std::string(*value);
}

// A length-prefixed field (the curve OID, the KDF parameters); 0 and 0xFF are reserved.
std::string_view take_field(std::string_view& in, const char* what) {
    if (in.empty()) malformed(std::string("public key ends before its ") + what);
    std::size_t size = static_cast<unsigned char>(in.front());
    if (size == 0 || size == 0xFF) unsupported(std::string("public key ") + what + " of reserved length " + std::to_string(size));
    if (in.size() - 1 < size) malformed(std::string("public key's ") + what + " runs past the packet");
    std::string_view value = in.substr(1, size);
    in.remove_prefix(1 + size);
    return value;
}

}  // namespace

std::array<std::uint8_t, 8> PublicKey::key_id() const {
    std::array<std::uint8_t, 8> id{};
    std::copy(fingerprint.end() - 8, fingerprint.end(), id.begin());
    return id;
}

PublicKey read_public_key(std::string_view body, std::size_t* consumed) {
    std::string_view in = body;
    if (in.empty()) malformed("empty public key packet");
    if (in.front() != 4) unsupported("key version " + std::to_string(static_cast<unsigned char>(in.front())));
    if (in.size() < 6) malformed("public key ends before its algorithm");
    PublicKey key;
    key.algorithm = static_cast<std::uint8_t>(in[5]);
    in.remove_prefix(6);  // version, creation time, algorithm
    switch (key.algorithm) {
        case kKeyRsa:
        case kKeyRsaEncryptOnly:
        case kKeyRsaSignOnly:
            key.rsa_n = take_mpi(in, "RSA modulus");
            key.rsa_e = take_mpi(in, "RSA exponent");
            break;
        case kKeyEcdh: {
            key.curve_oid = std::string(take_field(in, "curve OID"));
            key.ecc_point = take_mpi(in, "ECDH point");
            std::string_view kdf = take_field(in, "KDF parameters");
            if (kdf.size() != 3 || kdf[0] != 1) unsupported("ECDH KDF parameters other than version 1");
            key.kdf_hash = static_cast<std::uint8_t>(kdf[1]);
            key.kdf_cipher = static_cast<std::uint8_t>(kdf[2]);
            break;
        }
        case kKeyEcdsa:
        case kKeyEddsaLegacy:
            key.curve_oid = std::string(take_field(in, "curve OID"));
            key.ecc_point = take_mpi(in, "ECC point");
            break;
        default:
            unsupported("public-key algorithm " + std::to_string(key.algorithm));
    }
    std::size_t length = body.size() - in.size();
    if (consumed) *consumed = length;
    // v4 fingerprint: SHA-1 over 0x99, the two-octet length, then the public part.
    const std::uint8_t header[3] = {0x99, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
    if (length > 0xFFFF) malformed("public key longer than a v4 fingerprint can cover");
    sha1_ctx sha;
    sha1_init(&sha);
    sha1_update(&sha, sizeof header, header);
    sha1_update(&sha, length, reinterpret_cast<const std::uint8_t*>(body.data()));
    sha1_digest(&sha, key.fingerprint.size(), key.fingerprint.data());
    return key;
}

}  // namespace sopskit::detail::openpgp
