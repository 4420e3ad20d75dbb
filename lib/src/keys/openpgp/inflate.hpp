// The compressed data packet's decompression (RFC 9580 section 5.6): raw deflate (ZIP) and
// zlib, into a secure buffer, capped against zip bombs.
#pragma once
#include <cstddef>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

enum class Deflate { Raw, Zlib };

// Throws Error when the stream is corrupt, incomplete, followed by other bytes, or inflates to
// more than `limit` bytes.
SecureBytes inflate(std::string_view compressed, Deflate format, std::size_t limit);

}  // namespace sopskit::detail::openpgp
