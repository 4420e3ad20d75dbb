// A client of the Assuan protocol gpg-agent speaks on its socket: one command at a time, the
// server's status lines ("S ..."), data lines ("D ..."), inquiries and its final OK or ERR.
// Only what a PKDECRYPT needs; no libassuan (not loaded at start-up, as GPGME is not).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sopskit/error.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::detail::agent {

// The agent cannot be reached (no socket, nobody listening): the caller runs gpg instead.
class Unavailable : public Error {
public:
    explicit Unavailable(const std::string& what) : Error(ErrorCode::Generic, "gpg-agent unavailable: " + what) {}
};

// The agent answered ERR: its GnuPG error number (source and code) and its text.
class AgentError : public Error {
public:
    AgentError(unsigned number, const std::string& text)
        : Error(ErrorCode::Generic, "gpg-agent: " + text), number_(number) {}
    unsigned number() const noexcept { return number_; }
    unsigned code() const noexcept { return number_ & 0xFFFF; }

private:
    unsigned number_;
};

// What a command's answer carried besides its OK.
struct AssuanReply {
    SecureBytes data;         // the D lines, unescaped and joined (may be secret)
    std::string status;       // the S lines, without "S ", one per line
};

class AssuanConnection {
public:
    // Connects to the Unix socket at `path` and reads the server's greeting. Throws Unavailable.
    explicit AssuanConnection(const std::string& path);
    ~AssuanConnection();
    AssuanConnection(const AssuanConnection&) = delete;
    AssuanConnection& operator=(const AssuanConnection&) = delete;

    // Sends `command` (one line, no newline) and reads up to its OK. An INQUIRE is answered with
    // `inquiry(keyword)`'s bytes as D lines, or cancelled when it gives nullopt or there is none.
    // Throws AgentError for an ERR, Error for a broken or oversized answer.
    using Inquiry = std::function<std::optional<std::string>(std::string_view keyword)>;
    AssuanReply transact(std::string_view command, const Inquiry& inquiry = {});

private:
    // The next line from the server, without its newline; Error at the end of the stream.
    std::string_view read_line();
    void send(std::string_view bytes);

    int fd_ = -1;
    std::string buffer_;       // bytes read and not yet consumed (may hold secret D lines)
    std::size_t consumed_ = 0;
};

// `bytes` as the payload of D lines: '%', CR, LF and other control octets percent-escaped,
// cut so that no line is longer than Assuan allows.
std::string data_lines(std::string_view bytes);

}  // namespace sopskit::detail::agent
