// ASCII armor of an OpenPGP message (RFC 9580 section 6.2): the base64 body between the
// BEGIN and END PGP MESSAGE lines, its optional CRC-24 checked when present.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sopskit::detail::openpgp {

// Whether `text` starts (after blank lines) like an armored message rather than packets.
bool is_armored(std::string_view text);

// The binary message inside the armor; throws Error (naming the line) when malformed.
std::string dearmor_message(std::string_view text);

// OpenPGP's CRC-24 of `bytes`.
std::uint32_t crc24(std::string_view bytes);

}  // namespace sopskit::detail::openpgp
