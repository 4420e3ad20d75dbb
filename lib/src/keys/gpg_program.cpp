// gpg as a child process: input over a socket (a gpg that exits early makes our writes fail
// with EPIPE instead of killing us by SIGPIPE), output, status lines (fd 3) and stderr over
// pipes, all polled together so no stream fills up while another is being waited on.
#include "keys/gpg_program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/subprocess.hpp"
#include "sopskit/error.hpp"

extern char** environ;

namespace sopskit::detail {

namespace {

constexpr std::size_t kMaxStatus = 256 << 10;  // a decrypt or encrypt reports a few hundred bytes
constexpr std::size_t kMaxErrors = 16 << 10;

struct Fd {
    int fd = -1;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

void open_pipe(Fd& read_end, Fd& write_end) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw Error(ErrorCode::Generic, std::string("cannot run gpg: pipe: ") + std::strerror(errno));
    read_end.fd = p[0];
    write_end.fd = p[1];
}

// The terminal a pinentry should use when gpg cannot see one itself (its standard streams are
// ours, not the terminal): GPG_TTY wins, as in gpg; else the first terminal among our streams.
std::string terminal_name() {
    if (const char* tty = std::getenv("GPG_TTY"); tty && *tty) return {};
    for (int fd : {0, 2, 1}) {
        char name[256];
        if (::isatty(fd) && ::ttyname_r(fd, name, sizeof name) == 0) return name;
    }
    return {};
}

// The absolute entries of PATH: an empty or relative one (".") would run a gpg from the
// working directory, often the repository being decrypted.
std::string absolute_path_entries() {
    const char* path = std::getenv("PATH");
    std::string_view all = path ? path : "/usr/bin:/bin";
    std::string out;
    while (!all.empty()) {
        std::size_t colon = all.find(':');
        std::string_view dir = all.substr(0, colon);
        all.remove_prefix(colon == std::string_view::npos ? all.size() : colon + 1);
        if (dir.empty() || dir.front() != '/') continue;
        if (!out.empty()) out += ':';
        out += dir;
    }
    return out;
}

}  // namespace

std::string gpg_program() {
    std::string dirs = absolute_path_entries();
    if (const char* exec = std::getenv("SOPS_GPG_EXEC"); exec && *exec) {
        std::string file = find_program(exec, dirs);
        if (file.empty()) throw Error(ErrorCode::Generic, std::string("SOPS_GPG_EXEC: cannot find program '") + exec + "'");
        return file;
    }
    std::string file = find_program("gpg", dirs);
    if (file.empty()) throw Error(ErrorCode::Generic, "GnuPG (gpg) is not installed: no gpg on PATH");
    return file;
}

GpgRun run_gpg(const std::string& home, const std::vector<std::string>& args, std::string_view input, const GpgOutput& output) {
    // --quiet: without it gpg looks up and prints the recipient's user ID ("encrypted with ...
    // key"), about 1 ms of a 10 ms run; errors are still printed.
    std::vector<std::string> argv = {gpg_program(), "--batch", "--quiet", "--status-fd", "3", "--exit-on-status-write-error"};
    if (!home.empty()) {
        argv.insert(argv.end(), {"--homedir", home, "--pinentry-mode", "cancel", "--no-tty"});
    } else if (std::string tty = terminal_name(); !tty.empty()) {
        argv.insert(argv.end(), {"--ttyname", tty});
    } else if (!std::getenv("GPG_TTY")) {
        argv.push_back("--no-tty");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw Error(ErrorCode::Generic, std::string("cannot run gpg: socketpair: ") + std::strerror(errno));
    Fd in, in_child, out, out_child, status, status_child, err, err_child;
    in.fd = sv[0];
    in_child.fd = sv[1];
    open_pipe(out, out_child);
    open_pipe(status, status_child);
    open_pipe(err, err_child);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_child.fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_child.fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_child.fd, 2);
    posix_spawn_file_actions_adddup2(&actions, status_child.fd, 3);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error(ErrorCode::Generic, "cannot run " + argv[0] + ": " + std::strerror(rc));
    in_child.reset();
    out_child.reset();
    status_child.reset();
    err_child.reset();
    if (input.empty()) in.reset();

    GpgRun run;
    std::string status_text;
    bool stopped = false;
    // 0: input, 1: output, 2: status, 3: stderr
    pollfd fds[4] = {{in.fd, POLLOUT, 0}, {out.fd, POLLIN, 0}, {status.fd, POLLIN, 0}, {err.fd, POLLIN, 0}};
    char buf[4096];  // may hold a decrypted data key: wiped below
    while (fds[1].fd >= 0 || fds[2].fd >= 0 || fds[3].fd >= 0) {
        int n = ::poll(fds, 4, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (fds[0].fd >= 0 && fds[0].revents) {
            ssize_t sent = ::send(in.fd, input.data(), input.size(), MSG_NOSIGNAL);
            if (sent > 0) input.remove_prefix(static_cast<std::size_t>(sent));
            if ((sent < 0 && errno != EINTR && errno != EAGAIN) || input.empty()) {
                in.reset();  // end of input (or gpg stopped reading: its status says why)
                fds[0].fd = -1;
            }
        }
        for (int i = 1; i < 4; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                fds[i].fd = -1;
                continue;
            }
            std::size_t size = static_cast<std::size_t>(got);
            if (i == 1 && !stopped && !output(buf, size)) {
                stopped = true;
                ::kill(pid, SIGKILL);
            } else if (i == 2 && status_text.size() + size <= kMaxStatus) {
                status_text.append(buf, size);
            } else if (i == 3 && run.errors.size() + size <= kMaxErrors) {
                run.errors.append(buf, size);
            }
        }
    }
    ::explicit_bzero(buf, sizeof buf);
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    run.exit_code = !stopped && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    run.status = parse_gpg_status(status_text);
    return run;
}

}  // namespace sopskit::detail
