// z-base-32, the human-oriented base32 GnuPG uses to name the socket folder of a GnuPG home
// that is not the default one.
#pragma once
#include <string>
#include <string_view>

namespace sopskit::detail::gpg_agent {

// `bytes` as z-base-32: the bits most significant first, five to a letter, the last letter's
// missing bits zero (no padding characters).
std::string zbase32_encode(std::string_view bytes);

}  // namespace sopskit::detail::gpg_agent
