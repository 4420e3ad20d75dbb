#include "keyring_setup.hpp"

#include "sopskit/age_keys.hpp"

namespace sopskit::cli {

KeyRing make_user_keyring() {
    KeyRing ring;
    ring.add(make_age_key_source_from_environment());
    return ring;
}

}  // namespace sopskit::cli
