// GnuPG's public keyring, pubring.kbx (the keybox format of GnuPG's kbx/keybox-blob.c): a
// sequence of blobs, each OpenPGP blob holding the fingerprints of its keys and the keyblock
// they come from. Finds the (sub)key a PKESK names by its key ID.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "keys/openpgp/public_key.hpp"

namespace sopskit::detail::openpgp {

// The v4 public keys and subkeys in `keybox` whose key ID is `key_id` (more than one only when
// key IDs collide), read from their keyblock and checked against the fingerprint the blob
// lists. Ephemeral blobs, X.509 blobs and keys sopskit cannot read are passed over. Throws
// Error when the blobs themselves are malformed.
std::vector<PublicKey> keybox_keys_with_id(std::string_view keybox, const std::array<std::uint8_t, 8>& key_id);

}  // namespace sopskit::detail::openpgp
