// A client connection to an Assuan server (gpg-agent) over a Unix socket: commands out,
// answers in, inquiries answered, every wait bounded by one deadline and every answer by
// size. Data lines, which may carry a decrypted key, are decoded straight into a secure
// buffer; the raw bytes read pass through one too.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sopskit/secure.hpp"

namespace sopskit::detail::gpg_agent {

using Deadline = std::chrono::steady_clock::time_point;

// Bounds on what one command's answer may hold.
inline constexpr std::size_t kMaxAnswerLine = 1024;        // 1000 + line ending + a margin
inline constexpr std::size_t kMaxAnswerData = 64 << 10;    // decoded D bytes
inline constexpr std::size_t kMaxStatusLines = 64;         // kept; more are a protocol error
inline constexpr std::size_t kMaxAnswerLines = 4096;       // of every kind

struct StatusLine {
    std::string keyword;
    std::string args;  // as sent (percent escapes left in)
};

struct AssuanReply {
    bool ok = false;          // the server answered OK
    bool broken = false;      // no usable answer: I/O error, deadline, malformed or oversized lines
    std::uint32_t error = 0;  // the ERR code when the server answered ERR
    std::string problem;      // what went wrong, for diagnostics (no data bytes in it)
    std::vector<StatusLine> status;
    SecureBytes data;         // the decoded D lines: data.view().substr(0, data_size)
    std::size_t data_size = 0;

    std::string_view data_view() const { return data.view().substr(0, data_size); }
    // The arguments of the last status line with that keyword; nullptr when none.
    const StatusLine* find_status(std::string_view keyword) const;
};

// The answer to an INQUIRE: the keyword it answers and the bytes to send.
struct InquiryAnswer {
    std::string_view keyword;
    std::string_view data;
};

class AssuanConnection {
public:
    // Connects to the socket at `path`, checks that the peer runs as this user and reads the
    // server's greeting. nullptr, with *why set, when any of it fails or the deadline passes.
    static std::unique_ptr<AssuanConnection> connect(const std::string& path, Deadline deadline, std::string* why);
    // The same over a connected stream socket `fd`, which it now owns (tests and fuzzing;
    // no peer check).
    static std::unique_ptr<AssuanConnection> adopt(int fd, Deadline deadline, std::string* why);
    ~AssuanConnection();
    AssuanConnection(const AssuanConnection&) = delete;
    AssuanConnection& operator=(const AssuanConnection&) = delete;

    // Sends one command line (no line ending; no CR or LF in it) and reads its answer up to
    // OK or ERR. An INQUIRE whose keyword is in `answers` gets that data as D lines and END
    // (CAN when it is over the server's INQUIRE_MAXLEN); any other INQUIRE gets CAN, and the
    // reply is then not ok. After a broken reply the connection is unusable.
    AssuanReply transact(std::string_view command, const std::vector<InquiryAnswer>& answers = {});

private:
    AssuanConnection(int fd, Deadline deadline);
    void read_reply(const std::vector<InquiryAnswer>& answers, AssuanReply* reply);
    bool read_line(std::string_view* line, std::string* problem);
    bool send_all(std::string_view bytes, std::string* problem);
    bool wait_for(short events, std::string* problem);
    bool append_data(std::string_view encoded, AssuanReply* reply);

    int fd_ = -1;
    Deadline deadline_;
    bool broken_ = false;
    SecureBytes in_;           // bytes read, not yet consumed
    std::size_t begin_ = 0, end_ = 0;
};

}  // namespace sopskit::detail::gpg_agent
