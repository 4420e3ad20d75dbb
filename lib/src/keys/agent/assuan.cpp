#include "keys/agent/assuan.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstring>

namespace sopskit::detail::agent {

namespace {

constexpr std::size_t kMaxLine = 1000;        // Assuan's line limit, newline excluded
constexpr std::size_t kMaxAnswer = 64 << 10;  // a session key answer is a few hundred bytes

[[noreturn]] void broken(const std::string& what) { throw Error(ErrorCode::Generic, "gpg-agent: " + what); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Appends the unescaped payload of a D line to `out` at `used` (growing it as needed).
void append_unescaped(std::string_view payload, SecureBytes& out, std::size_t& used) {
    if (used + payload.size() > kMaxAnswer) broken("answer larger than " + std::to_string(kMaxAnswer) + " bytes");
    if (out.size() < used + payload.size()) {
        SecureBytes bigger(std::max(out.size() * 2, used + payload.size()));
        if (used) std::memcpy(bigger.data(), out.data(), used);
        out = std::move(bigger);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        char c = payload[i];
        if (c == '%') {
            if (i + 2 >= payload.size()) broken("bad escape in a data line");
            int hi = hex_value(payload[i + 1]), lo = hex_value(payload[i + 2]);
            if (hi < 0 || lo < 0) broken("bad escape in a data line");
            c = static_cast<char>(hi << 4 | lo);
            i += 2;
        }
        out.data()[used++] = static_cast<std::uint8_t>(c);
    }
}

}  // namespace

std::string data_lines(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out, line;
    for (unsigned char c : bytes) {
        if (line.size() + 3 > kMaxLine - 2) {
            out += "D " + line + "\n";
            line.clear();
        }
        if (c < 0x20 || c == '%' || c == 0x7F) {
            line += '%';
            line += kHex[c >> 4];
            line += kHex[c & 15];
        } else {
            line += static_cast<char>(c);
        }
    }
    if (!line.empty()) out += "D " + line + "\n";
    return out;
}

AssuanConnection::AssuanConnection(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Unavailable("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw Unavailable(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw Unavailable(path + ": " + std::strerror(err));
    }
    try {
        std::string_view greeting = read_line();
        if (!greeting.starts_with("OK")) throw Unavailable("no greeting on " + path);
    } catch (...) {
        ::close(fd_);
        fd_ = -1;
        throw;
    }
}

AssuanConnection::~AssuanConnection() {
    if (fd_ >= 0) ::close(fd_);
    wipe(buffer_);
}

void AssuanConnection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) broken(std::string("write: ") + std::strerror(errno));
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
}

std::string_view AssuanConnection::read_line() {
    for (;;) {
        std::size_t nl = buffer_.find('\n', consumed_);
        if (nl != std::string::npos) {
            std::string_view line(buffer_.data() + consumed_, nl - consumed_);
            consumed_ = nl + 1;
            if (line.size() > kMaxLine) broken("line longer than Assuan allows");
            return line;
        }
        if (buffer_.size() - consumed_ > kMaxLine) broken("line longer than Assuan allows");
        if (consumed_ > 0) {  // keep only the unread part (wiping what is dropped)
            std::size_t rest = buffer_.size() - consumed_;
            std::memmove(buffer_.data(), buffer_.data() + consumed_, rest);
            explicit_bzero(buffer_.data() + rest, buffer_.size() - rest);
            buffer_.resize(rest);
            consumed_ = 0;
        }
        char chunk[1024];
        ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) broken(got == 0 ? "connection closed" : std::string("read: ") + std::strerror(errno));
        if (buffer_.capacity() < buffer_.size() + static_cast<std::size_t>(got)) buffer_.reserve(2 * kMaxLine + sizeof chunk);
        buffer_.append(chunk, static_cast<std::size_t>(got));
        explicit_bzero(chunk, sizeof chunk);
    }
}

AssuanReply AssuanConnection::transact(std::string_view command, const Inquiry& inquiry) {
    if (command.find_first_of("\r\n") != std::string_view::npos || command.size() > kMaxLine) broken("bad command");
    send(std::string(command) + "\n");
    AssuanReply reply;
    std::size_t used = 0;
    std::size_t answered = 0;
    for (;;) {
        std::string_view line = read_line();
        answered += line.size() + 1;
        if (answered > 2 * kMaxAnswer) broken("answer too long");
        if (line == "OK" || line.starts_with("OK ")) break;
        if (line.starts_with("D ")) {
            append_unescaped(line.substr(2), reply.data, used);
        } else if (line.starts_with("S ")) {
            reply.status.append(line.substr(2));
            reply.status += '\n';
        } else if (line.starts_with("INQUIRE ")) {
            std::string keyword(line.substr(8, line.find(' ', 8) == std::string_view::npos ? std::string_view::npos : line.find(' ', 8) - 8));
            std::optional<std::string> answer = inquiry ? inquiry(keyword) : std::nullopt;
            send(answer ? data_lines(*answer) + "END\n" : std::string("CAN\n"));
        } else if (line.starts_with("ERR ")) {
            std::string_view rest = line.substr(4);
            unsigned number = 0;
            auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
            std::string text(end == rest.data() + rest.size() ? std::string_view() : std::string_view(end + 1, rest.data() + rest.size() - end - 1));
            throw AgentError(ec == std::errc() ? number : 0, escape_control_chars(text));
        } else if (!line.empty() && line.front() != '#') {
            broken("unexpected line from the agent");
        }
    }
    if (used < reply.data.size()) reply.data = SecureBytes(reply.data.data(), used);
    return reply;
}

}  // namespace sopskit::detail::agent
