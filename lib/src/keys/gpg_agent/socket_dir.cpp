#include "keys/gpg_agent/socket_dir.hpp"

#include <nettle/sha1.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "keys/gpg_agent/zbase32.hpp"

namespace sopskit::detail::gpg_agent {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// GnuPG's absolute form of a home's name (see gnupg_home_name).
std::optional<std::string> absolute_name(std::string name, const SocketDirInputs& in) {
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    if (!name.empty() && name.front() == '~') {
        if (name.size() > 1 && name[1] != '/') return std::nullopt;  // ~user: a passwd look-up
        if (in.home.empty()) return std::nullopt;
        name = in.home + name.substr(1);
    }
    if (name.empty() || name.front() != '/') {
        if (in.cwd.empty() || in.cwd.front() != '/') return std::nullopt;
        name = (in.cwd == "/" ? std::string("/") : in.cwd + "/") + name;
    }
    return name;
}

enum class Folder { Missing, Private, NotPrivate, Unreadable };

// A folder GnuPG accepts for sockets: a directory of the user, closed to group and others.
Folder examine(const std::string& path, uid_t uid) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? Folder::Missing : Folder::Unreadable;
    if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & (S_IRWXG | S_IRWXO))) return Folder::NotPrivate;
    return Folder::Private;
}

}  // namespace

SocketDirInputs socket_dir_inputs(const std::string& homedir) {
    SocketDirInputs in;
    in.homedir = homedir;
    in.gnupghome = env("GNUPGHOME");
    in.home = env("HOME");
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) in.cwd = cwd;
    in.uid = ::getuid();
    return in;
}

std::optional<std::string> gnupg_home_name(const SocketDirInputs& in) {
    const std::string& chosen = !in.homedir.empty() ? in.homedir : !in.gnupghome.empty() ? in.gnupghome : "~/.gnupg";
    return absolute_name(chosen, in);
}

std::string hashed_home_folder(std::string_view home_name) {
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, home_name.size(), reinterpret_cast<const std::uint8_t*>(home_name.data()));
    std::uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_digest(&ctx, sizeof digest, digest);
    return "d." + zbase32_encode(std::string_view(reinterpret_cast<const char*>(digest), 15));
}

std::optional<std::string> agent_socket_dir(const SocketDirInputs& in) {
    std::optional<std::string> home = gnupg_home_name(in);
    std::optional<std::string> default_home = absolute_name("~/.gnupg", in);
    if (!home) return std::nullopt;
    // The runtime folder: the first <root>/user/<uid> that is a directory.
    std::string runtime;
    struct stat st {};
    for (const std::string& root : in.run_roots) {
        std::string candidate = root + "/user/" + std::to_string(in.uid);
        if (::stat(candidate.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            runtime = candidate;
            break;
        }
    }
    if (runtime.empty() || st.st_uid != in.uid) return home;
    std::string gnupg = runtime + "/gnupg";
    switch (examine(gnupg, in.uid)) {
        case Folder::Missing:  // gpg would make it; no agent has run yet
        case Folder::Unreadable:
            return std::nullopt;
        case Folder::NotPrivate:
            return home;
        case Folder::Private:
            break;
    }
    // GnuPG compares names, not files: a home reached another way counts as non-default.
    if (default_home && *home == *default_home) return gnupg;
    std::string hashed = gnupg + "/" + hashed_home_folder(*home);
    switch (examine(hashed, in.uid)) {
        case Folder::Missing:
        case Folder::Unreadable:
            return std::nullopt;
        case Folder::NotPrivate:
            return home;
        case Folder::Private:
            break;
    }
    return hashed;
}

}  // namespace sopskit::detail::gpg_agent
