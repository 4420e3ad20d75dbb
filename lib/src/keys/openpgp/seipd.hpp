// Decryption of a SEIPD v1 packet (RFC 9580 section 5.13.1): AES in OpenPGP's CFB mode, the
// quick check of the prefix, the MDC (SHA-1) over everything, then the packets inside.
#pragma once
#include <string_view>

#include "keys/openpgp/session_key.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

// The literal data the SEIPD body (after its version octet) holds, decrypted with `key`.
// Throws Error when the key does not fit or the MDC does not match (one message for both),
// Unsupported for a cipher other than AES or packets other than compressed and literal data.
SecureBytes decrypt_seipd(std::string_view encrypted, const SessionKey& key);

}  // namespace sopskit::detail::openpgp
