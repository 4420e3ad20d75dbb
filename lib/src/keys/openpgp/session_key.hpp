// The session key a PKESK carries: the symmetric algorithm and its key.
#pragma once
#include <cstdint>

#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

enum SymmetricAlgorithm : std::uint8_t {
    kAes128 = 7,
    kAes192 = 8,
    kAes256 = 9,
};

struct SessionKey {
    std::uint8_t algorithm = 0;
    SecureBytes key;
};

}  // namespace sopskit::detail::openpgp
