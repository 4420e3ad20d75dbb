// Private temporary folders that are wiped on every way out: destructor, fatal signal, or a
// guardian process when we die otherwise. The cleanup code runs in signal handlers and in a
// forked child of a possibly multithreaded process, so it uses only async-signal-safe system
// calls: no allocation, no stdio, no locks.
#include "sopskit/private_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "sopskit/error.hpp"

extern char** environ;

namespace sopskit {

namespace {

constexpr const char* kLockName = ".sopskit-lock";
constexpr std::size_t kPathMax = 4096;

// --- async-signal-safe cleanup -----------------------------------------------------------------

std::size_t cstr_len(const char* s) {
    std::size_t n = 0;
    while (s[n]) ++n;
    return n;
}

// Overwrites a regular file of ours with zeros. Files with other names elsewhere (hard links)
// or of another owner are only unlinked: their other copies are not ours to destroy.
void overwrite_file_at(int dir_fd, const char* name) {
    int fd = ::openat(dir_fd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return;
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == ::geteuid()) {
        static const char zeros[4096] = {};
        for (off_t done = 0; done < st.st_size;) {
            off_t left = st.st_size - done;
            ssize_t n = ::pwrite(fd, zeros, left < static_cast<off_t>(sizeof zeros) ? static_cast<std::size_t>(left) : sizeof zeros, done);
            if (n <= 0) break;
            done += n;
        }
        ::fdatasync(fd);
    }
    ::close(fd);
}

struct LinuxDirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

// Removes `root` and everything below it, overwriting regular files first. Iterative (one
// path buffer, no recursion, no allocation): descends into the first subfolder it meets and
// rescans the parent once that subfolder is gone. Bounded, so a folder it cannot empty ends it.
void wipe_tree(const char* root) {
    char path[kPathMax];
    const std::size_t root_len = cstr_len(root);
    if (root_len == 0 || root_len >= sizeof path) return;
    std::memcpy(path, root, root_len + 1);
    std::size_t len = root_len;
    for (int visits = 0; visits < 200000; ++visits) {
        int dir_fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        bool descended = false;
        if (dir_fd >= 0) {
            alignas(8) char buf[8192];
            for (long n; !descended && (n = ::syscall(SYS_getdents64, dir_fd, buf, sizeof buf)) > 0;) {
                for (long off = 0; off < n && !descended;) {
                    auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
                    off += d->d_reclen;
                    const char* name = d->d_name;
                    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
                    unsigned char type = d->d_type;
                    if (type == DT_UNKNOWN) {
                        struct stat st{};
                        if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
                        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
                    }
                    if (type == DT_DIR) {
                        if (::unlinkat(dir_fd, name, AT_REMOVEDIR) == 0) continue;  // was empty
                        std::size_t name_len = cstr_len(name);
                        if (len + 1 + name_len >= sizeof path) continue;  // too deep to name: left
                        ::fchmodat(dir_fd, name, 0700, 0);  // an editor may have made it read-only
                        path[len] = '/';
                        std::memcpy(path + len + 1, name, name_len + 1);
                        len += 1 + name_len;
                        descended = true;
                        continue;
                    }
                    if (type == DT_REG) overwrite_file_at(dir_fd, name);
                    ::unlinkat(dir_fd, name, 0);  // symlinks, sockets, FIFOs: only unlinked
                }
            }
            ::close(dir_fd);
        }
        if (descended) continue;
        ::rmdir(path);
        if (len == root_len) return;
        while (len > root_len && path[len] != '/') --len;
        path[len] = '\0';
    }
}

// `gpgconf --homedir HOME --kill all`, its output to /dev/null.
void stop_gpg_agents(const char* gpgconf, const char* home) {
    if (!gpgconf[0]) return;
    pid_t pid = ::fork();
    if (pid == 0) {
        int null_fd = ::open("/dev/null", O_RDWR);
        if (null_fd >= 0)
            for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
        char arg1[] = "--homedir", arg3[] = "--kill", arg4[] = "all";
        char* argv[] = {const_cast<char*>(gpgconf), arg1, const_cast<char*>(home), arg3, arg4, nullptr};
        ::execve(gpgconf, argv, environ);
        ::_exit(127);
    }
    if (pid < 0) return;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

void clean_folder(const char* path, const char* gpgconf) {
    stop_gpg_agents(gpgconf, path);  // first: a live agent could recreate its sockets
    wipe_tree(path);
}

// --- live folders, for the signal handler ------------------------------------------------------

struct Slot {
    std::atomic<bool> taken{false};
    std::atomic<bool> live{false};
    pid_t owner = 0;  // a forked child (before exec) must not clean its parent's folders
    char path[kPathMax] = {};
    char gpgconf[kPathMax] = {};
};
Slot g_slots[16];

void clean_live_folders() {
    pid_t self = ::getpid();
    for (Slot& s : g_slots)
        if (s.live.load() && s.owner == self) clean_folder(s.path, s.gpgconf);
}

extern "C" void on_fatal_signal(int sig) {
    int saved = errno;
    clean_live_folders();
    errno = saved;
    ::signal(sig, SIG_DFL);
    ::raise(sig);  // delivered when the handler returns: the process dies of the signal as before
}

// Only where the action is the default: the process would have died without cleaning up.
void install_signal_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
            struct sigaction old{};
            if (::sigaction(sig, nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
            struct sigaction act{};
            act.sa_handler = on_fatal_signal;
            sigfillset(&act.sa_mask);  // no second signal in the middle of a cleanup
            ::sigaction(sig, &act, nullptr);
        }
    });
}

int take_slot(const std::string& path, const std::string& gpgconf) {
    for (int i = 0; i < static_cast<int>(std::size(g_slots)); ++i) {
        bool expected = false;
        if (!g_slots[i].taken.compare_exchange_strong(expected, true)) continue;
        Slot& s = g_slots[i];
        s.owner = ::getpid();
        std::snprintf(s.path, sizeof s.path, "%s", path.c_str());
        std::snprintf(s.gpgconf, sizeof s.gpgconf, "%s", gpgconf.c_str());
        s.live.store(true);
        return i;
    }
    return -1;  // more than 16 at once: the destructor and the guardian still clean this one
}

// --- the guardian ------------------------------------------------------------------------------

constexpr char kAlreadyClean = 'c';

// Forks a child that waits for `read_fd` to close. A byte first means the parent cleaned up
// itself; end of file without one means the parent died: the child cleans. It keeps only the
// pipe and stderr (see the header), and ignores the terminal's signals so a Ctrl-C or a
// `kill` of the process group cannot take it out before its parent.
pid_t start_guardian(int read_fd, const char* path, const char* gpgconf) {
    pid_t pid = ::fork();
    if (pid != 0) return pid;
    struct sigaction ignore{};
    ignore.sa_handler = SIG_IGN;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::sigaction(sig, &ignore, nullptr);
    int keep = read_fd < 3 ? ::fcntl(read_fd, F_DUPFD, 3) : read_fd;
    ::close(0);
    ::close(1);
    if (keep > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
    ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
    char byte = 0;
    ssize_t n;
    while ((n = ::read(keep, &byte, 1)) < 0 && errno == EINTR) {
    }
    if (!(n == 1 && byte == kAlreadyClean)) clean_folder(path, gpgconf);
    ::_exit(0);
}

// --- stale folders -------------------------------------------------------------------------------

bool pid_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// `<prefix>-<pid>-XXXXXX`: the pid, or -1 for any other name.
long pid_in_name(std::string_view name, std::string_view prefix) {
    if (name.size() <= prefix.size() + 1 || name.substr(0, prefix.size()) != prefix || name[prefix.size()] != '-') return -1;
    name.remove_prefix(prefix.size() + 1);
    long pid = 0;
    std::size_t i = 0;
    for (; i < name.size() && i < 10 && name[i] >= '0' && name[i] <= '9'; ++i) pid = pid * 10 + (name[i] - '0');
    if (i == 0 || i >= name.size() || name[i] != '-' || name.size() - i - 1 != 6) return -1;
    return pid;
}

void remove_stale_folders(const std::string& tmp, std::string_view prefix, const std::string& gpgconf) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        long pid = pid_in_name(name, prefix);
        if (pid < 0 || pid == ::getpid() || pid_alive(pid)) continue;
        std::string folder = it->path().string();
        struct stat st{};
        if (::lstat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
        // The lock: released by the kernel when its holder died, in whatever pid namespace.
        int lock = ::open((folder + "/" + kLockName).c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (lock < 0) continue;
        if (::flock(lock, LOCK_EX | LOCK_NB) == 0) clean_folder(folder.c_str(), gpgconf.c_str());
        ::close(lock);
    }
}

std::string temp_root() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

}  // namespace

std::unique_ptr<PrivateDir> PrivateDir::create(std::string_view prefix, const std::string& gpgconf, const std::string& base) {
    const std::string tmp = base.empty() ? temp_root() : base;
    remove_stale_folders(tmp, prefix, gpgconf);
    std::string pattern = tmp + "/" + std::string(prefix) + "-" + std::to_string(::getpid()) + "-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        throw Error(ErrorCode::CannotWriteOutput, "cannot create a private temporary folder in " + tmp + ": " + std::strerror(errno));
    ::chmod(pattern.c_str(), 0700);
    std::unique_ptr<PrivateDir> dir(new PrivateDir());
    dir->path_ = pattern;
    dir->gpgconf_ = gpgconf;
    dir->lock_fd_ = ::open((pattern + "/" + kLockName).c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (dir->lock_fd_ >= 0) ::flock(dir->lock_fd_, LOCK_EX);
    install_signal_handlers();
    dir->slot_ = take_slot(pattern, gpgconf);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(ErrorCode::CannotWriteOutput, "cannot start the guardian of a private folder");
    pid_t pid = start_guardian(fds[0], dir->path_.c_str(), gpgconf.c_str());
    ::close(fds[0]);
    if (pid < 0) {
        ::close(fds[1]);
        throw Error(ErrorCode::CannotWriteOutput, "cannot start the guardian of a private folder");
    }
    dir->guardian_pid_ = pid;
    dir->guardian_fd_ = fds[1];
    return dir;
}

PrivateDir::~PrivateDir() {
    clean_folder(path_.c_str(), gpgconf_.c_str());
    if (slot_ >= 0) {
        g_slots[slot_].live.store(false);
        g_slots[slot_].taken.store(false);
    }
    if (guardian_fd_ >= 0) {
        (void)!::write(guardian_fd_, &kAlreadyClean, 1);
        ::close(guardian_fd_);
        int status = 0;
        while (::waitpid(guardian_pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace sopskit
