#include "keys/openpgp/keybox.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/packets.hpp"

namespace sopskit::detail::openpgp {

namespace {

enum BlobType : unsigned char { kEmptyBlob = 0, kFirstBlob = 1, kOpenpgpBlob = 2, kX509Blob = 3 };
constexpr unsigned kEphemeral = 2;       // blob flags, bit 1
constexpr std::size_t kMinKeyInfo = 28;  // fingerprint (20), key ID offset (4), flags (2), RFU (2)

void need(std::string_view blob, std::size_t at, std::size_t size) {
    if (at > blob.size() || blob.size() - at < size) malformed("keybox blob shorter than its fields");
}

// A big-endian field of 1, 2 or 4 octets.
std::uint32_t be(std::string_view blob, std::size_t at, std::size_t size) {
    need(blob, at, size);
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < size; ++i) v = v << 8 | static_cast<unsigned char>(blob[at + i]);
    return v;
}

// The key packet (primary key or subkey) of `keyblock` whose fingerprint is `fingerprint`.
bool key_in_keyblock(std::string_view keyblock, std::string_view fingerprint, PublicKey& out) {
    PacketReader reader(keyblock);
    while (!reader.at_end()) {
        Packet p = reader.next();
        if (p.tag != 6 && p.tag != 14) continue;
        PublicKey key;
        try {
            key = read_public_key(p.body);
        } catch (const Error&) {
            continue;  // a v5 key, an algorithm sopskit does not read: not the one asked for
        }
        if (std::equal(key.fingerprint.begin(), key.fingerprint.end(), reinterpret_cast<const std::uint8_t*>(fingerprint.data()))) {
            out = std::move(key);
            return true;
        }
    }
    return false;
}

void search_blob(std::string_view blob, const std::array<std::uint8_t, 8>& key_id, std::vector<PublicKey>& found) {
    if (be(blob, 5, 1) != 1) return;  // a blob version this reader does not know
    if (be(blob, 6, 2) & kEphemeral) return;
    std::uint32_t keyblock_at = be(blob, 8, 4), keyblock_size = be(blob, 12, 4);
    if (keyblock_at > blob.size() || blob.size() - keyblock_at < keyblock_size) malformed("keybox blob's keyblock lies outside it");
    std::size_t keys = be(blob, 16, 2), info_size = be(blob, 18, 2);
    if (info_size < kMinKeyInfo) malformed("keybox blob with key information of " + std::to_string(info_size) + " bytes");
    for (std::size_t i = 0; i < keys; ++i) {
        std::size_t at = 20 + i * info_size;
        need(blob, at, info_size);
        std::string_view fingerprint = blob.substr(at, 20);
        if (std::memcmp(fingerprint.data() + 12, key_id.data(), 8) != 0) continue;
        PublicKey key;
        if (key_in_keyblock(blob.substr(keyblock_at, keyblock_size), fingerprint, key)) found.push_back(std::move(key));
    }
}

}  // namespace

std::vector<PublicKey> keybox_keys_with_id(std::string_view keybox, const std::array<std::uint8_t, 8>& key_id) {
    std::vector<PublicKey> found;
    while (!keybox.empty()) {
        std::uint32_t size = be(keybox, 0, 4);
        if (size < 5 || size > keybox.size()) malformed("keybox blob of " + std::to_string(size) + " bytes in a file of " + std::to_string(keybox.size()));
        std::string_view blob = keybox.substr(0, size);
        keybox.remove_prefix(size);
        if (static_cast<unsigned char>(blob[4]) == kOpenpgpBlob) search_blob(blob, key_id, found);
    }
    return found;
}

}  // namespace sopskit::detail::openpgp
