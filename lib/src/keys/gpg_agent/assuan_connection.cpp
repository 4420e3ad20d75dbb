#include "keys/gpg_agent/assuan_connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "keys/gpg_agent/assuan_lines.hpp"

namespace sopskit::detail::gpg_agent {

namespace {

constexpr std::size_t kReadBuffer = 4096;  // several whole lines

int remaining_ms(Deadline deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return 0;
    return left > 60000 ? 60000 : static_cast<int>(left);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::size_t parse_size(std::string_view text) {
    std::size_t n = 0;
    if (text.empty() || text.size() > 9) return 0;
    for (char c : text) {
        if (c < '0' || c > '9') return 0;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

// Waits until `fd` is ready for `events` (or has an error the next call reports).
bool wait_ready(int fd, short events, Deadline deadline, std::string* problem) {
    for (;;) {
        int left = remaining_ms(deadline);
        if (left == 0) {
            *problem = "no answer before the deadline";
            return false;
        }
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *problem = errno_text("poll");
            return false;
        }
        if (n > 0) return true;
    }
}

}  // namespace

const StatusLine* AssuanReply::find_status(std::string_view keyword) const {
    for (auto it = status.rbegin(); it != status.rend(); ++it)
        if (it->keyword == keyword) return &*it;
    return nullptr;
}

AssuanConnection::AssuanConnection(int fd, Deadline deadline) : fd_(fd), deadline_(deadline), in_(kReadBuffer) {}

AssuanConnection::~AssuanConnection() {
    if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<AssuanConnection> AssuanConnection::connect(const std::string& path, Deadline deadline, std::string* why) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        *why = "the socket path does not fit a Unix socket address";
        return nullptr;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *why = errno_text("socket");
        return nullptr;
    }
    auto fail = [&](std::string text) {
        *why = std::move(text);
        ::close(fd);
        return nullptr;
    };
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        // A Unix socket connects at once or not at all (ECONNREFUSED: no agent; EAGAIN: its
        // backlog is full, a busy agent left to gpg); EINPROGRESS is waited for all the same.
        if (errno != EINPROGRESS) return fail(errno_text("connect"));
        std::string problem;
        if (!wait_ready(fd, POLLOUT, deadline, &problem)) return fail(problem);
        int error = 0;
        socklen_t len = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0)
            return fail(std::string("connect: ") + std::strerror(error ? error : errno));
    }
    // The agent holding our keys runs as us; a socket answered by anyone else is not it.
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || peer.uid != ::geteuid())
        return fail("the socket's peer is not a process of this user");
    return adopt(fd, deadline, why);
}

std::unique_ptr<AssuanConnection> AssuanConnection::adopt(int fd, Deadline deadline, std::string* why) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        *why = errno_text("fcntl");
        ::close(fd);
        return nullptr;
    }
    std::unique_ptr<AssuanConnection> conn(new AssuanConnection(fd, deadline));
    AssuanReply greeting;
    conn->read_reply({}, &greeting);
    if (!greeting.ok) {
        *why = greeting.broken ? "no greeting: " + greeting.problem : "the server refused the connection (ERR " + std::to_string(greeting.error) + ")";
        return nullptr;
    }
    return conn;
}

AssuanReply AssuanConnection::transact(std::string_view command, const std::vector<InquiryAnswer>& answers) {
    AssuanReply reply;
    if (broken_) {
        reply.broken = true;
        reply.problem = "the connection broke earlier";
        return reply;
    }
    if (command.empty() || command.size() > kAssuanLineMax || command.find_first_of("\r\n") != std::string_view::npos) {
        reply.broken = true;
        reply.problem = "a command that is no single Assuan line";
        return reply;
    }
    std::string line(command);
    line += '\n';
    if (!send_all(line, &reply.problem)) {
        broken_ = reply.broken = true;
        return reply;
    }
    read_reply(answers, &reply);
    return reply;
}

void AssuanConnection::read_reply(const std::vector<InquiryAnswer>& answers, AssuanReply* reply) {
    std::size_t inquire_maxlen = 0;  // 0: the server stated none
    bool cancelled = false;
    for (std::size_t count = 0;; ++count) {
        std::string_view text;
        if (count >= kMaxAnswerLines) {
            reply->problem = "too many answer lines";
        } else if (read_line(&text, &reply->problem)) {
            std::optional<AnswerLine> line = parse_answer_line(text);
            if (!line) {
                reply->problem = "a malformed answer line";
            } else {
                switch (line->kind) {
                    case AnswerKind::Ok:
                        reply->ok = !cancelled;
                        if (cancelled) reply->problem = "an inquiry we could not answer";
                        return;
                    case AnswerKind::Err:
                        reply->error = line->error;
                        reply->problem = "ERR " + std::to_string(line->error);
                        return;
                    case AnswerKind::Comment:
                    case AnswerKind::End:
                        continue;
                    case AnswerKind::Data:
                        if (append_data(line->rest, reply)) continue;
                        break;
                    case AnswerKind::Status:
                        if (reply->status.size() >= kMaxStatusLines) {
                            reply->problem = "too many status lines";
                            break;
                        }
                        reply->status.push_back({std::string(line->keyword), std::string(line->rest)});
                        if (line->keyword == "INQUIRE_MAXLEN") inquire_maxlen = parse_size(line->rest);
                        continue;
                    case AnswerKind::Inquire: {
                        const InquiryAnswer* answer = nullptr;
                        for (const InquiryAnswer& a : answers)
                            if (a.keyword == line->keyword) answer = &a;
                        bool fits = answer && (inquire_maxlen == 0 || answer->data.size() <= inquire_maxlen);
                        bool sent = true;
                        if (fits) {
                            for (const std::string& d : data_lines(answer->data))
                                if (sent) sent = send_all(d, &reply->problem);
                            if (sent) sent = send_all("END\n", &reply->problem);
                        } else {
                            cancelled = true;
                            sent = send_all("CAN\n", &reply->problem);
                        }
                        if (sent) continue;
                        break;
                    }
                }
            }
        }
        // Anything that broke the loop: the connection is no longer in step with the server.
        broken_ = reply->broken = true;
        reply->ok = false;
        return;
    }
}

bool AssuanConnection::append_data(std::string_view encoded, AssuanReply* reply) {
    std::size_t capacity = reply->data.size();
    std::size_t needed = reply->data_size + encoded.size();  // decoding never grows
    if (needed > capacity && capacity < kMaxAnswerData) {
        std::size_t grown = capacity ? capacity : 128;
        while (grown < needed && grown < kMaxAnswerData) grown *= 2;
        if (grown > kMaxAnswerData) grown = kMaxAnswerData;
        SecureBytes bigger(grown);
        if (reply->data_size) std::memcpy(bigger.data(), reply->data.data(), reply->data_size);
        reply->data = std::move(bigger);  // the old buffer is zeroed as it goes
    }
    if (!percent_decode_into(encoded, reply->data.data(), reply->data.size(), &reply->data_size)) {
        reply->problem = "a data line that is malformed or over the size limit";
        return false;
    }
    return true;
}

bool AssuanConnection::read_line(std::string_view* line, std::string* problem) {
    for (;;) {
        auto* start = reinterpret_cast<const char*>(in_.data()) + begin_;
        if (const void* nl = std::memchr(start, '\n', end_ - begin_)) {
            std::size_t length = static_cast<const char*>(nl) - start;
            *line = std::string_view(start, length);
            begin_ += length + 1;
            return true;
        }
        if (end_ - begin_ >= kMaxAnswerLine) {
            *problem = "an answer line over the length limit";
            return false;
        }
        if (begin_ > 0) {  // keep the partial line at the front
            std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (!wait_for(POLLIN, problem)) return false;
        ssize_t n = ::recv(fd_, in_.data() + end_, in_.size() - end_, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) {
            *problem = errno_text("recv");
            return false;
        }
        if (n == 0) {
            *problem = "the server closed the connection";
            return false;
        }
        end_ += static_cast<std::size_t>(n);
    }
}

bool AssuanConnection::send_all(std::string_view bytes, std::string* problem) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (!wait_for(POLLOUT, problem)) return false;
            continue;
        }
        if (n < 0) {
            *problem = errno_text("send");
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool AssuanConnection::wait_for(short events, std::string* problem) { return wait_ready(fd_, events, deadline_, problem); }

}  // namespace sopskit::detail::gpg_agent
