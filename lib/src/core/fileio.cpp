#include "sopskit/fileio.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>

#include "sopskit/error.hpp"

namespace sopskit {

namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::size_t max_input_size() {
    static const std::size_t limit = [] {
        const char* env = std::getenv("SOPSKIT_MAX_INPUT_SIZE");
        if (env && *env) {
            char* end = nullptr;
            unsigned long long v = std::strtoull(env, &end, 10);
            if (end && *end == '\0' && v > 0) return static_cast<std::size_t>(v);
        }
        return kDefaultMaxInputSize;
    }();
    return limit;
}

namespace {

[[noreturn]] void too_large() {
    throw Error(ErrorCode::CannotReadInput, "Error reading file: larger than the " + std::to_string(max_input_size() >> 20) +
                                                " MiB input limit (SOPSKIT_MAX_INPUT_SIZE raises it)");
}

}  // namespace

std::string read_input(const std::string& path) {
    if (path == "-" || path.empty()) {
        std::string data;
        char buf[1 << 16];
        while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
            data.append(buf, static_cast<std::size_t>(std::cin.gcount()));
            if (data.size() > max_input_size()) too_large();
        }
        return data;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCode::CannotReadInput, "Error reading file: " + errno_text());
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorCode::CannotReadInput, "Error reading file: is a directory");
    }
    if (st.st_size > 0 && static_cast<std::size_t>(st.st_size) > max_input_size()) {
        ::close(fd);
        too_large();
    }
    std::string data;
    if (st.st_size > 0) data.reserve(static_cast<std::size_t>(st.st_size));
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            ::close(fd);
            errno = saved;
            throw Error(ErrorCode::CannotReadInput, "Error reading file: " + errno_text());
        }
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > max_input_size()) {  // a growing file or a device: never read without bound
            ::close(fd);
            too_large();
        }
    }
    ::close(fd);
    return data;
}

}  // namespace sopskit
