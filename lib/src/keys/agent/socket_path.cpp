#include "keys/agent/socket_path.hpp"

#include <nettle/sha1.h>
#include <sys/stat.h>

namespace sopskit::detail::agent {

namespace {

std::string absolute(std::string dir, const std::string& home, const std::string& cwd) {
    if (dir == "~" || dir.starts_with("~/")) dir = home + dir.substr(1);
    if (dir.empty() || dir.front() != '/') dir = cwd + (cwd.ends_with("/") ? "" : "/") + dir;
    return dir;
}

// A folder owned by `uid`; `private_only`: with no access for group or others.
bool safe_folder(const std::string& path, unsigned uid, bool private_only) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid) return false;
    return !private_only || (st.st_mode & (S_IRWXG | S_IRWXO)) == 0;
}

}  // namespace

std::string zbase32(const unsigned char* bytes, std::size_t size) {
    static constexpr char kAlphabet[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < size; ++i) {
        buffer = (buffer << 8) | bytes[i];
        bits += 8;
        while (bits >= 5) {
            out += kAlphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
    return out;
}

std::string gnupg_homedir(const std::string& gnupghome, const std::string& home, const std::string& cwd) {
    std::string dir = gnupghome.empty() ? "~/.gnupg" : gnupghome;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return absolute(dir, home, cwd);
}

std::string agent_socket_path(const std::string& homedir, const std::string& default_home, unsigned uid,
                              const std::vector<std::string>& bases) {
    const std::string fallback = homedir + "/S.gpg-agent";
    for (const std::string& base : bases) {
        std::string user = base + "/user/" + std::to_string(uid);
        struct stat st {};
        if (::stat(user.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (st.st_uid != uid) return fallback;
        std::string dir = user + "/gnupg";
        if (::stat(dir.c_str(), &st) == 0 && !safe_folder(dir, uid, true)) return fallback;
        if (homedir != default_home) {
            std::uint8_t digest[SHA1_DIGEST_SIZE];
            sha1_ctx sha;
            sha1_init(&sha);
            sha1_update(&sha, homedir.size(), reinterpret_cast<const std::uint8_t*>(homedir.data()));
            sha1_digest(&sha, sizeof digest, digest);
            dir += "/d." + zbase32(digest, 15);
        }
        return dir + "/S.gpg-agent";
    }
    return fallback;
}

}  // namespace sopskit::detail::agent
