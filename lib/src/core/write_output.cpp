// Writing results: to what the user named (write_output) or by replacing an entry sopskit
// manages itself (atomic_write). docs/security.md, "Crash safety", describes the guarantees.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace sopskit {

namespace {

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Closes the descriptor when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int close() {  // the result of close(2), for descriptors whose data matters
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

[[noreturn]] void write_failed(const std::string& path, const std::string& step, int err) {
    throw Error(ErrorCode::CannotWriteOutput, "Could not write output file " + path + ": " + step + ": " + std::strerror(err));
}

mode_t current_umask() {
    // /proc tells without changing it; umask(2) can only be read by setting it, which races
    // with other threads creating files, hence the lock for kernels without the field.
    if (FILE* f = std::fopen("/proc/self/status", "re")) {
        char line[256];
        unsigned mask = 0;
        bool found = false;
        while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "Umask: %o", &mask) == 1;
        std::fclose(f);
        if (found) return static_cast<mode_t>(mask & 0777);
    }
    static std::mutex lock;
    std::lock_guard<std::mutex> guard(lock);
    mode_t mask = ::umask(077);
    ::umask(mask);
    return mask;
}

// A folder opened for *at() calls, and a name in it.
struct Location {
    Fd dir;
    std::string name;
};

std::string parent_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool in_procfs(const std::string& folder) {
    struct statfs fs{};
    return ::statfs(folder.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

// Follows `path` through symlinks to the name of what it points at, the way open(2) would:
// a relative target is read from the link's folder. nullopt when it cannot be found by name:
// a link in /proc (/dev/stdout, /proc/self/fd/N) points at an open file, not at a path, and a
// chain that is too long or unreadable is left to open(2) to report.
std::optional<Location> resolve_name(const std::string& path) {
    std::string current = path;
    for (int hops = 0;; ++hops) {
        while (current.size() > 1 && current.back() == '/') current.pop_back();
        struct stat st{};
        if (::lstat(current.c_str(), &st) != 0) {
            if (errno != ENOENT) return std::nullopt;
            break;  // a name to create
        }
        if (!S_ISLNK(st.st_mode)) break;
        if (hops >= 40 || in_procfs(parent_of(current))) return std::nullopt;
        char buf[PATH_MAX];
        ssize_t n = ::readlink(current.c_str(), buf, sizeof buf);
        if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return std::nullopt;
        std::string target(buf, static_cast<std::size_t>(n));
        current = target[0] == '/' ? target : parent_of(current) + "/" + target;
    }
    std::string name = name_of(current);
    if (name.empty() || name == "." || name == "..") return std::nullopt;
    Fd dir(::open(parent_of(current).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return std::nullopt;
    return Location{std::move(dir), std::move(name)};
}

// A fresh 0600 file beside `name` in `dir`; its name goes to `temp_name`. -1 with errno set.
int create_temp_beside(int dir, const std::string& name, std::string& temp_name) {
    // Keep the name under NAME_MAX whatever the target's length.
    std::string stem = "." + name.substr(0, 200) + ".sopskit-";
    for (int attempt = 0; attempt < 100; ++attempt) {
        unsigned char random[6];
        if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) return -1;
        static const char hex[] = "0123456789abcdef";
        temp_name = stem;
        for (unsigned char b : random) temp_name += {hex[b >> 4], hex[b & 15]};
        int fd = ::openat(dir, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

struct Owner {
    uid_t uid;
    gid_t gid;
};

// What a replacement must look like: mode, and owner when one must be kept.
struct Replacement {
    mode_t mode;
    std::optional<Owner> owner;
    bool must_not_exist = false;  // a new file: do not replace one that appeared meanwhile
};

enum class Replaced { Done, OwnerNotKept, FolderNotWritable, AppearedMeanwhile };

// The atomic write: temp file (0600 while it fills), owner, final mode, fsync, rename, fsync
// of the folder. The original is untouched on every failure. Whether the owner can be kept
// and the folder written are told apart, for callers that can write in place instead.
Replaced replace_at(const std::string& path, const Location& at, std::string_view contents, const Replacement& r) {
    std::string temp_name;
    Fd fd(create_temp_beside(at.dir.get(), at.name, temp_name));
    if (!fd) {
        if (errno == EACCES || errno == EPERM || errno == EROFS) return Replaced::FolderNotWritable;
        write_failed(path, "create a temporary file", errno);
    }
    auto fail = [&](const char* step) {
        int err = errno;
        ::unlinkat(at.dir.get(), temp_name.c_str(), 0);
        write_failed(path, step, err);
    };
    if (!write_all(fd.get(), contents)) fail("write");
    if (r.owner) {
        struct stat st{};
        if (::fstat(fd.get(), &st) != 0) fail("stat");
        if ((st.st_uid != r.owner->uid || st.st_gid != r.owner->gid) && ::fchown(fd.get(), r.owner->uid, r.owner->gid) != 0) {
            ::unlinkat(at.dir.get(), temp_name.c_str(), 0);
            return Replaced::OwnerNotKept;
        }
    }
    // After fchown, which clears set-user-ID bits.
    if (::fchmod(fd.get(), r.mode) != 0) fail("chmod");
    if (::fsync(fd.get()) != 0) fail("fsync");
    if (fd.close() != 0) fail("close");
    int rc = r.must_not_exist ? ::renameat2(at.dir.get(), temp_name.c_str(), at.dir.get(), at.name.c_str(), RENAME_NOREPLACE)
                              : ::renameat(at.dir.get(), temp_name.c_str(), at.dir.get(), at.name.c_str());
    if (rc != 0 && r.must_not_exist && (errno == EINVAL || errno == ENOSYS))  // a file system without the flag
        rc = ::renameat(at.dir.get(), temp_name.c_str(), at.dir.get(), at.name.c_str());
    if (rc != 0 && r.must_not_exist && errno == EEXIST) {
        ::unlinkat(at.dir.get(), temp_name.c_str(), 0);
        return Replaced::AppearedMeanwhile;
    }
    if (rc != 0) fail("rename");
    ::fsync(at.dir.get());
    return Replaced::Done;
}

// Writes into an open file: a hard-linked or someone else's regular file (truncated first),
// or a device, FIFO or terminal (written as a stream, never replaced).
void write_into(const std::string& path, const Fd& fd, const struct stat& st, std::string_view contents, Privacy privacy) {
    if (S_ISREG(st.st_mode)) {
        if (privacy == Privacy::PrivateKey && (st.st_mode & 07777) != 0600 && ::fchmod(fd.get(), 0600) != 0)
            write_failed(path, "make it private (0600) before writing a key into it", errno);
        if (::ftruncate(fd.get(), 0) != 0) write_failed(path, "truncate", errno);
    }
    if (!write_all(fd.get(), contents)) write_failed(path, "write", errno);
    if (S_ISREG(st.st_mode) && ::fsync(fd.get()) != 0) write_failed(path, "fsync", errno);
}

mode_t new_file_mode(Privacy privacy) {
    return privacy == Privacy::Shared ? (0666 & ~current_umask()) : 0600;
}

}  // namespace

void write_output(const std::string& path, std::string_view contents, Privacy privacy) {
    for (int attempt = 0;; ++attempt) {
        // Opening (without truncating) finds what the user named, whatever it is, as os.Create
        // would: through symlinks, including /proc's; a FIFO's open waits for a reader.
        Fd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
        if (!fd && errno == ENOENT) {
            std::optional<Location> at = resolve_name(path);
            if (!at) write_failed(path, "open", ENOENT);
            Replaced done = replace_at(path, *at, contents, {new_file_mode(privacy), std::nullopt, true});
            if (done == Replaced::FolderNotWritable) write_failed(path, "create", errno);
            if (done == Replaced::AppearedMeanwhile && attempt == 0) continue;  // write to what appeared instead
            if (done != Replaced::Done) write_failed(path, "create", EEXIST);
            return;
        }
        if (!fd) write_failed(path, "open", errno);
        struct stat st{};
        if (::fstat(fd.get(), &st) != 0) write_failed(path, "stat", errno);
        if (S_ISDIR(st.st_mode)) write_failed(path, "open", EISDIR);
        if (S_ISREG(st.st_mode) && st.st_nlink == 1) {
            // The name that holds this very inode, found without following a link at the end.
            std::optional<Location> at = resolve_name(path);
            struct stat named{};
            if (at && ::fstatat(at->dir.get(), at->name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(named.st_mode) && named.st_dev == st.st_dev && named.st_ino == st.st_ino) {
                mode_t mode = privacy == Privacy::PrivateKey ? 0600 : (st.st_mode & 07777);
                if (replace_at(path, *at, contents, {mode, Owner{st.st_uid, st.st_gid}}) == Replaced::Done) return;
            }
        }
        write_into(path, fd, st, contents, privacy);
        if (fd.close() != 0 && S_ISREG(st.st_mode)) write_failed(path, "close", errno);
        return;
    }
}

void atomic_write(const std::string& path, std::string_view contents, std::optional<mode_t> mode) {
    std::string name = name_of(path);
    Fd dir(::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) write_failed(path, "open its folder", errno);
    if (!mode) {
        struct stat st{};
        mode = ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? (st.st_mode & 07777) : 0600;
    }
    Location at{std::move(dir), name};
    if (replace_at(path, at, contents, {*mode, std::nullopt}) != Replaced::Done) write_failed(path, "create a temporary file", EACCES);
}

}  // namespace sopskit
