// The key ring the CLI uses: every master key kind this build supports, with the user's
// identities from the environment (as sops finds them).
#pragma once
#include "sopskit/keys.hpp"

namespace sopskit::cli {

KeyRing make_user_keyring();

}  // namespace sopskit::cli
