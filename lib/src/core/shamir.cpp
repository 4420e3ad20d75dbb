// Shamir secret sharing over GF(2^8) for multiple key groups (sops' shamir package layout).
#include <vector>

#include "sopskit/error.hpp"
#include "sopskit/secure.hpp"

namespace sopskit {

SecureBytes combine_shamir_shares(const std::vector<SecureBytes>& shares) {
    (void)shares;
    throw Error(ErrorCode::CouldNotRetrieveKey, "files with several key groups (Shamir) are not supported yet");
}

}  // namespace sopskit
