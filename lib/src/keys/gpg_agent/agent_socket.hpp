// The agent's socket file, and the Assuan redirect file that may stand in its place (a
// regular file "%Assuan%\nsocket=PATH\n", written for instance where the home is on a file
// system without sockets).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::detail::gpg_agent {

// Longest socket path a sockaddr_un holds.
inline constexpr std::size_t kMaxSocketPath = 107;
// libassuan reads at most this much of a redirect file.
inline constexpr std::size_t kMaxRedirectFile = 511;

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The socket a redirect file names, ${VAR} replaced by the variable (nothing when unset), as
// libassuan reads it: exactly "%Assuan%\nsocket=" and a name up to the first newline, the file
// ending with a newline. nullopt when `file` is no redirect or the name is empty, unterminated
// ("${" without "}") or longer than a socket path.
std::optional<std::string> parse_assuan_redirect(std::string_view file, const EnvLookup& getenv);

// The socket to connect to for `path` in the agent's socket folder: `path` itself when it is
// a socket; the socket a redirect file there names (followed once: the target must be a
// socket); nullopt otherwise (nothing there, so no agent runs).
std::optional<std::string> resolve_agent_socket(const std::string& path);

}  // namespace sopskit::detail::gpg_agent
