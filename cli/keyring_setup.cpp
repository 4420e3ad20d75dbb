#include "keyring_setup.hpp"

#include "sopskit/age_keys.hpp"
#include "sopskit/pgp_keys.hpp"
#ifdef SOPSKIT_WITH_KMS
#include "sopskit/kms.hpp"
#endif

namespace sopskit::cli {

KeyRing make_user_keyring() {
    KeyRing ring;
    ring.add(make_age_key_source_from_environment());
    ring.add(make_pgp_key_source());
#ifdef SOPSKIT_WITH_KMS
    kms::add_kms_sources(ring);  // kms, gcp_kms, azure_kv, hc_vault, hckms from the environment
#endif
    return ring;
}

}  // namespace sopskit::cli
