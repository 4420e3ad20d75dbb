#include "keyring_setup.hpp"

#include "sopskit/age_keys.hpp"
#include "sopskit/pgp_keys.hpp"

namespace sopskit::cli {

KeyRing make_user_keyring() {
    KeyRing ring;
    ring.add(make_age_key_source_from_environment());
    ring.add(make_pgp_key_source());
    return ring;
}

}  // namespace sopskit::cli
