// GnuPG's pubring.kbx as sopskit reads it to find a PKESK's key (lib/src/keys/openpgp/
// keybox.cpp), then the keygrip of what it finds. Input: the 8-octet key ID looked for, then
// the keybox. Refusing is fine (Error); a key found must have that key ID.
#include <algorithm>

#include "fuzz_support.hpp"
#include "keys/openpgp/keybox.hpp"
#include "keys/openpgp/keygrip.hpp"

using namespace sopskit;
namespace pgp = sopskit::detail::openpgp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 8) return 0;
    std::array<std::uint8_t, 8> key_id{};
    std::copy(data, data + 8, key_id.begin());
    std::string_view keybox = fuzz::text_of(data + 8, size - 8);
    fuzz::refusing_is_fine([&] {
        for (const pgp::PublicKey& key : pgp::keybox_keys_with_id(keybox, key_id)) {
            if (key.key_id() != key_id) __builtin_trap();
            fuzz::refusing_is_fine([&] { (void)pgp::keygrip(key); });
        }
    });
    return 0;
}
