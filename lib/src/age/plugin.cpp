// The age plugin client: runs age-plugin-NAME from PATH with --age-plugin=recipient-v1 or
// identity-v1 and drives the protocol over one socket as its stdin and stdout (a socket, so a
// plugin that exits early makes our writes fail with EPIPE instead of killing us by SIGPIPE).
// sopskit has no terminal dialogue: a plugin that asks for a value or a confirmation is told
// "fail"; its messages go to stderr.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "age/plugin_internal.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keys.hpp"

extern char** environ;

namespace sopskit::age::detail {

namespace {

constexpr std::size_t kMaxPluginOutput = 1 << 20;           // per exchange; a file key is 16 bytes
constexpr std::chrono::seconds kDefaultTimeout{120};        // outside a key ring's unwrap budget

[[noreturn]] void plugin_error(const std::string& name, const std::string& what) {
    throw Error(ErrorCode::Generic, "age-plugin-" + name + ": " + what);
}

// Text a plugin sent, made safe for one line of an error message.
std::string printable(std::string_view text) { return escape_control_chars(text.substr(0, 300)); }

class PluginProcess {
public:
    PluginProcess(const std::string& name, const std::string& protocol) : name_(name) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) plugin_error(name, "socketpair failed");
        fd_ = sv[0];
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
        // As age: the plugin runs in the temporary folder, not wherever sopskit was started.
        std::error_code ec;
        std::string tmp = std::filesystem::temp_directory_path(ec).string();
        if (!ec) posix_spawn_file_actions_addchdir_np(&fa, tmp.c_str());
        std::string program = "age-plugin-" + name, arg = "--age-plugin=" + protocol;
        char* argv[] = {program.data(), arg.data(), nullptr};
        int rc = ::posix_spawnp(&pid_, program.c_str(), &fa, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(sv[1]);
        if (rc != 0) {
            ::close(fd_);
            if (rc == ENOENT) plugin_error(name, "plugin not found: no " + program + " in PATH (needed by the age plugin key for '" + name + "')");
            plugin_error(name, std::string("could not start the plugin: ") + std::strerror(rc));
        }
        auto deadline = unwrap_deadline();
        deadline_ = deadline ? *deadline : std::chrono::steady_clock::now() + kDefaultTimeout;
    }
    PluginProcess(const PluginProcess&) = delete;
    PluginProcess& operator=(const PluginProcess&) = delete;
    ~PluginProcess() {
        ::close(fd_);
        ::kill(pid_, SIGINT);  // as age: the conversation is over
        // A plugin that ignores the interrupt gets two seconds, then SIGKILL: never a hang.
        int status = 0;
        for (int i = 0; i < 200; ++i) {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_ || (r < 0 && errno != EINTR)) {
                wipe(buffer_);
                return;
            }
            ::usleep(10'000);
        }
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        wipe(buffer_);
    }

    void send(const Stanza& s) {
        std::string text = encode_stanza(s);
        std::size_t off = 0;
        while (off < text.size()) {
            ssize_t n = ::send(fd_, text.data() + off, text.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                wipe(text);
                plugin_error(name_, "the plugin stopped reading its input");
            }
            off += static_cast<std::size_t>(n);
        }
        wipe(text);
    }

    Stanza receive() {
        while (true) {
            std::size_t pos = consumed_;
            std::optional<Stanza> s;
            try {
                s = read_plugin_stanza(buffer_, pos);
            } catch (const Error& e) {
                plugin_error(name_, e.what());
            }
            if (s) {
                consumed_ = pos;
                return std::move(*s);
            }
            if (buffer_.size() > kMaxPluginOutput) plugin_error(name_, "the plugin sent too much data");
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
            if (left.count() <= 0) plugin_error(name_, "the plugin did not answer in time");
            pollfd p{fd_, POLLIN, 0};
            int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) continue;
            char chunk[4096];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) plugin_error(name_, "the plugin exited in the middle of the protocol");
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // A stanza neither state machine knows: answer the interactive ones as a UI that cannot
    // ask anything would, and everything else "unsupported", as the spec asks.
    void answer_other(const Stanza& s) {
        if (s.type == "msg") {
            std::fprintf(stderr, "age-plugin-%s: %s\n", name_.c_str(), printable(s.body).c_str());
            send({"ok", {}, {}});
        } else if (s.type == "request-secret" || s.type == "request-public" || s.type == "confirm") {
            send({"fail", {}, {}});
        } else {
            send({"unsupported", {}, {}});
        }
    }

    [[noreturn]] void fail_with(const Stanza& error_stanza) {
        send({"ok", {}, {}});
        plugin_error(name_, printable(error_stanza.body));
    }

private:
    std::string name_;
    int fd_ = -1;
    pid_t pid_ = -1;
    std::string buffer_;
    std::size_t consumed_ = 0;
    std::chrono::steady_clock::time_point deadline_;
};

// The index argument of recipient-stanza/file-key: one recipient or identity, so always 0.
void expect_index_zero(const std::string& name, const Stanza& s, std::size_t min_args, std::size_t max_args) {
    if (s.args.size() < min_args || s.args.size() > max_args) plugin_error(name, "malformed " + s.type + " stanza: unexpected argument count");
    int index = -1;
    auto [p, ec] = std::from_chars(s.args[0].data(), s.args[0].data() + s.args[0].size(), index);
    if (ec != std::errc() || p != s.args[0].data() + s.args[0].size()) plugin_error(name, "malformed " + s.type + " stanza: invalid index");
    if (index != 0) plugin_error(name, "malformed " + s.type + " stanza: unexpected index");
}

}  // namespace

std::vector<Stanza> plugin_wrap(const std::string& name, const std::string& recipient, const SecureBytes& file_key) {
    PluginProcess plugin(name, "recipient-v1");
    plugin.send({"add-recipient", {recipient}, {}});
    Stanza wrap{"wrap-file-key", {}, std::string(file_key.view())};
    plugin.send(wrap);
    wipe(wrap.body);
    plugin.send({"extension-labels", {}, {}});
    plugin.send({"done", {}, {}});
    std::vector<Stanza> out;
    bool labels_seen = false;
    while (true) {
        Stanza s = plugin.receive();
        if (s.type == "recipient-stanza") {
            expect_index_zero(name, s, 2, SIZE_MAX);
            out.push_back(Stanza{s.args[1], std::vector<std::string>(s.args.begin() + 2, s.args.end()), std::move(s.body)});
            plugin.send({"ok", {}, {}});
        } else if (s.type == "labels") {
            if (labels_seen) plugin_error(name, "repeated labels stanza");
            labels_seen = true;
            plugin.send({"ok", {}, {}});
        } else if (s.type == "error") {
            plugin.fail_with(s);
        } else if (s.type == "done") {
            break;
        } else {
            plugin.answer_other(s);
        }
    }
    if (out.empty()) plugin_error(name, "the plugin made no recipient stanza");
    return out;
}

std::optional<SecureBytes> plugin_unwrap(const std::string& name, const SecureBytes& identity, const std::vector<Stanza>& stanzas) {
    PluginProcess plugin(name, "identity-v1");
    Stanza add{"add-identity", {std::string(identity.view())}, {}};
    plugin.send(add);
    wipe(add.args[0]);
    for (const auto& rs : stanzas) {
        Stanza wrapped{"recipient-stanza", {"0", rs.type}, rs.body};
        wrapped.args.insert(wrapped.args.end(), rs.args.begin(), rs.args.end());
        plugin.send(wrapped);
    }
    plugin.send({"done", {}, {}});
    std::optional<SecureBytes> file_key;
    while (true) {
        Stanza s = plugin.receive();
        if (s.type == "file-key") {
            expect_index_zero(name, s, 1, 1);
            if (file_key) plugin_error(name, "received a second file-key stanza");
            if (s.body.size() != kFileKeySize) plugin_error(name, "the plugin returned a file key of the wrong size");
            file_key = SecureBytes::from(s.body);
            wipe(s.body);
            plugin.send({"ok", {}, {}});
        } else if (s.type == "error") {
            plugin.fail_with(s);
        } else if (s.type == "done") {
            break;
        } else {
            plugin.answer_other(s);
        }
    }
    return file_key;
}

}  // namespace sopskit::age::detail
