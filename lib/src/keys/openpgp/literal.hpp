// The packets inside decrypted data, as gpg writes a data key: a literal data packet,
// possibly inside one compressed data packet (none, ZIP or ZLIB).
#pragma once
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

// The literal data's contents. Throws Error when malformed, Unsupported for anything else
// (signatures, several literal packets, nested compression, BZip2).
SecureBytes read_literal_data(std::string_view packets);

}  // namespace sopskit::detail::openpgp
