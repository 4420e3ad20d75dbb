// The MAC's running hash, shared by the tree walk (engine.cpp) and the YAML fast path.
#pragma once
#include <sodium/crypto_hash_sha256.h>
#include <sodium/crypto_hash_sha512.h>

#include <string>
#include <string_view>

#include "core/hex.hpp"

namespace sopskit::detail {

// SHA-512 over the values' bytes; with mac_only_encrypted it starts from SHA-256("sops").
// libsodium's hashes: an OpenSSL digest's first use builds every digest of its provider.
class MacHasher {
public:
    explicit MacHasher(bool mac_only_encrypted) {
        crypto_hash_sha512_init(&state_);
        if (mac_only_encrypted) {
            unsigned char seed[crypto_hash_sha256_BYTES];
            crypto_hash_sha256(seed, reinterpret_cast<const unsigned char*>("sops"), 4);
            add(std::string_view(reinterpret_cast<const char*>(seed), sizeof seed));
        }
    }
    void add(std::string_view bytes) {
        crypto_hash_sha512_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    }
    std::string hex() {
        unsigned char digest[crypto_hash_sha512_BYTES];
        crypto_hash_sha512_final(&state_, digest);
        return hex_encode(digest, sizeof digest, HexCase::Upper);
    }

private:
    crypto_hash_sha512_state state_;
};

}  // namespace sopskit::detail
