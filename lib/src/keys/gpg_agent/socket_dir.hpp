// Where gpg-agent listens for a GnuPG home, found by GnuPG's own rule (what `gpgconf
// --list-dirs agent-socket` prints) without running gpgconf, and without creating anything.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sopskit::detail::gpg_agent {

// What the rule reads from the process; tests replace the parts they need.
struct SocketDirInputs {
    std::string homedir;     // the home named by the caller (gpg --homedir); empty: none
    std::string gnupghome;   // $GNUPGHOME; empty: unset
    std::string home;        // $HOME
    std::string cwd;         // the working folder (relative homes are taken from it)
    uid_t uid = 0;
    // "<root>/user/<uid>" is the per-user runtime folder; GnuPG looks in /run, then /var/run.
    std::vector<std::string> run_roots = {"/run", "/var/run"};
};

// The inputs of this process for a caller's home (empty: GnuPG's default).
SocketDirInputs socket_dir_inputs(const std::string& homedir);

// GnuPG's name for the home: the caller's home, else $GNUPGHOME, else ~/.gnupg; trailing
// slashes removed, a leading "~" or "~/" replaced by $HOME, a relative name put under the
// working folder (no other normalisation: GnuPG hashes this very text). nullopt when it cannot
// be known as gpg would ("~user", no $HOME, no working folder).
std::optional<std::string> gnupg_home_name(const SocketDirInputs& in);

// The folder name GnuPG gives a non-default home below the runtime folder: "d." and the
// z-base-32 of the first 15 bytes of SHA-1 of the home's name.
std::string hashed_home_folder(std::string_view home_name);

// The folder holding the agent's sockets: <run>/user/<uid>/gnupg (or its d.<hash> below, for
// a non-default home) when the runtime folder is there, owned by the user and private; else
// the home itself. nullopt when no agent can be listening: the folder GnuPG would use does not
// exist yet (an agent would have made it), or the home's name is unknown.
std::optional<std::string> agent_socket_dir(const SocketDirInputs& in);

}  // namespace sopskit::detail::gpg_agent
