// Where gpg-agent listens, found as GnuPG's own tools find it (gpgconf --list-dirs
// agent-socket): the home folder ($GNUPGHOME or ~/.gnupg, made absolute), then the user's
// runtime folder <base>/user/<uid>/gnupg when it exists with safe ownership and permissions,
// with a d.<hash> subfolder for a home other than ~/.gnupg; the home folder itself otherwise.
// Nothing is created: a folder the agent has not made means no agent, and gpg is run instead.
#pragma once
#include <string>
#include <vector>

namespace sopskit::detail::agent {

// GnuPG's home: `gnupghome` (trailing slashes dropped) or `home`/.gnupg, a leading ~ expanded
// with `home`, a relative name taken from `cwd`.
std::string gnupg_homedir(const std::string& gnupghome, const std::string& home, const std::string& cwd);

// The agent's socket for `homedir` (absolute), looking for the runtime folder under `bases`
// (GnuPG's: /run, /var/run) for user `uid`; `default_home` is ~/.gnupg made absolute.
std::string agent_socket_path(const std::string& homedir, const std::string& default_home, unsigned uid,
                              const std::vector<std::string>& bases = {"/run", "/var/run"});

// GnuPG's z-base-32 of `bytes` (the d.<hash> folder names).
std::string zbase32(const unsigned char* bytes, std::size_t size);

}  // namespace sopskit::detail::agent
