// The AES variants OpenPGP numbers 7, 8 and 9, as Nettle's generic ciphers.
#pragma once
#include <nettle/aes.h>
#include <nettle/nettle-meta.h>

#include <cstdint>

namespace sopskit::detail::openpgp {

// Nettle's cipher for an OpenPGP symmetric algorithm ID; nullptr for anything but AES.
inline const nettle_cipher* aes_cipher(std::uint8_t algorithm) {
    switch (algorithm) {
        case 7: return &nettle_aes128;
        case 8: return &nettle_aes192;
        case 9: return &nettle_aes256;
        default: return nullptr;
    }
}

// Room for the key schedule of any of them.
union AesContext {
    aes128_ctx a128;
    aes192_ctx a192;
    aes256_ctx a256;
};

}  // namespace sopskit::detail::openpgp
