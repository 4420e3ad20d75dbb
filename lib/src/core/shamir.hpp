// Shamir secret sharing for key groups, share layout as in sops (y bytes, then x).
#pragma once
#include <vector>

#include "sopskit/secure.hpp"

namespace sopskit::detail {

std::vector<SecureBytes> shamir_split(const SecureBytes& secret, int parts, int threshold);
SecureBytes shamir_combine(const std::vector<SecureBytes>& shares);

}  // namespace sopskit::detail
