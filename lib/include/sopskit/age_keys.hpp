// age as a master key kind: wraps the data key as an armored age file to X25519 (or SSH)
// recipients, unwraps it with the identities at hand.
#pragma once
#include <memory>

#include "sopskit/keys.hpp"

namespace sopskit {

namespace age {
class IdentitySet;
}

// A key source that wraps for any recipient and unwraps with `identities`.
std::unique_ptr<KeySource> make_age_key_source(age::IdentitySet identities);

// The same with the identities sops would find: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
// SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE and the default keys.txt.
std::unique_ptr<KeySource> make_age_key_source_from_environment();

}  // namespace sopskit
