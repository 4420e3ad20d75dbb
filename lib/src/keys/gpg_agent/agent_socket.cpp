#include "keys/gpg_agent/agent_socket.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace sopskit::detail::gpg_agent {

namespace {

constexpr std::string_view kRedirectHead = "%Assuan%\nsocket=";

bool is_socket(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// At most kMaxRedirectFile bytes of a regular file; nullopt when it is not one.
std::optional<std::string> read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    std::optional<std::string> out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        std::string text(kMaxRedirectFile, '\0');
        std::size_t used = 0;
        while (used < text.size()) {
            ssize_t n = ::read(fd, text.data() + used, text.size() - used);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            used += static_cast<std::size_t>(n);
        }
        text.resize(used);
        out = std::move(text);
    }
    ::close(fd);
    return out;
}

}  // namespace

std::optional<std::string> parse_assuan_redirect(std::string_view file, const EnvLookup& getenv) {
    if (file.size() > kMaxRedirectFile || file.size() <= kRedirectHead.size() || file.back() != '\n' ||
        file.substr(0, kRedirectHead.size()) != kRedirectHead || file[kRedirectHead.size()] == '\n')
        return std::nullopt;
    std::string_view rest = file.substr(kRedirectHead.size());
    rest = rest.substr(0, rest.find('\n'));  // libassuan stops at the first newline
    std::string name;
    while (!rest.empty()) {
        if (rest.substr(0, 2) == "${") {
            std::size_t close = rest.find('}');
            if (close == std::string_view::npos) return std::nullopt;
            std::string var(rest.substr(2, close - 2));
            if (!var.empty())
                if (std::optional<std::string> value = getenv(var)) name += *value;
            rest.remove_prefix(close + 1);
        } else {
            name += rest.front();
            rest.remove_prefix(1);
        }
        if (name.size() > kMaxSocketPath) return std::nullopt;
    }
    if (name.empty()) return std::nullopt;
    return name;
}

std::optional<std::string> resolve_agent_socket(const std::string& path) {
    if (path.size() > kMaxSocketPath) return std::nullopt;
    if (is_socket(path)) return path;
    std::optional<std::string> file = read_small_file(path);
    if (!file) return std::nullopt;
    std::optional<std::string> target = parse_assuan_redirect(*file, [](const std::string& var) -> std::optional<std::string> {
        const char* v = std::getenv(var.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    });
    if (!target || !is_socket(*target)) return std::nullopt;
    return target;
}

}  // namespace sopskit::detail::gpg_agent
