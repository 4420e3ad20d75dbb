// Phase 1's folder-descriptor file access: see root_folder.hpp for the guarantees.
#include "decryptor/root_folder.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>

#include "core/hex.hpp"
#include "sopskit/error.hpp"

namespace sopskit::phase1 {

namespace {

constexpr int kMaxLinks = 255;  // securejoin's bound on symlinks followed in one path

std::atomic<bool> openat2_missing{false};

// openat2(2) through syscall(): glibc 2.36 has no wrapper. -1 with errno ENOSYS when the kernel
// (or a seccomp filter: EPERM) refuses it; the caller then takes the O_NOFOLLOW steps.
int openat2_call(int dirfd, const char* path, int flags, std::uint64_t resolve) {
    if (openat2_missing.load(std::memory_order_relaxed)) {
        errno = ENOSYS;
        return -1;
    }
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = resolve;
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == EINTR || (errno == EAGAIN && attempt < 16)) continue;  // EAGAIN: a rename raced the lookup
        if (errno == ENOSYS || errno == EPERM || errno == E2BIG) {
            openat2_missing.store(true, std::memory_order_relaxed);
            errno = ENOSYS;
        }
        return -1;
    }
}

// One component (no '/', not "." or "..") of the folder `dirfd`, the component itself when it
// is a symlink. O_PATH: nothing is read, a FIFO is not opened.
int open_step(int dirfd, const std::string& name) {
    int fd = openat2_call(dirfd, name.c_str(), O_PATH | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0 || errno != ENOSYS) return fd;
    do fd = ::openat(dirfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

std::deque<std::string> components_of(std::string_view path) {
    std::deque<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t slash = path.find('/', start);
        std::string_view c = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (!c.empty() && c != ".") out.emplace_back(c);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

[[noreturn]] void changed(const std::string& rel) {
    throw Error(ErrorCode::Generic, "'" + (rel.empty() ? std::string(".") : rel) + "' changed while the repository was walked");
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

Fd::~Fd() {
    if (fd_ >= 0) ::close(fd_);
}

void disable_openat2_for_testing(bool disabled) { openat2_missing.store(disabled); }

std::string clean_path(std::string_view p) {
    bool rooted = !p.empty() && p.front() == '/';
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start <= p.size()) {
        std::size_t slash = p.find('/', start);
        std::string_view c = p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (c == "..") {
            if (!out.empty() && out.back() != "..") out.pop_back();
            else if (!rooted) out.push_back(c);
        } else if (!c.empty() && c != ".") {
            out.push_back(c);
        }
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    std::string s = rooted ? "/" : "";
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i) s += '/';
        s += out[i];
    }
    return s.empty() ? "." : s;
}

std::string strip_root(const std::string& root, std::string_view path) {
    std::string r = clean_path("/" + root), p = clean_path("/" + std::string(path));
    if (p == r) p = "/";
    else if (r != "/" && p.compare(0, r.size() + 1, r + "/") == 0) p = p.substr(r.size() + 1);
    return clean_path("./" + p);
}

RootFolder::RootFolder(const std::string& root) {
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCode::CannotReadInput, "cannot open '" + root + "': " + std::strerror(errno));
    root_ = Fd(fd);
}

// A folder already resolved to `parts` (no symlinks), opened again from the root: in one
// openat2 confined to the root and refusing any symlink, or step by step with O_NOFOLLOW.
Fd RootFolder::reopen_folder(const std::vector<std::string>& parts) const {
    std::string rel = parts.empty() ? "." : join(parts);
    int fd = openat2_call(root_.get(), rel.c_str(), O_PATH | O_DIRECTORY,
                          RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) return Fd(fd);
    if (errno != ENOSYS) changed(rel);
    Fd cur(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    for (const auto& p : parts) {
        Fd next(open_step(cur.get(), p));
        struct stat st {};
        if (!next.valid() || ::fstat(next.get(), &st) != 0 || !S_ISDIR(st.st_mode)) changed(rel);
        cur = std::move(next);
    }
    return cur;
}

Found RootFolder::resolve(std::string_view rel) const {
    Cursor at;
    at.folder = Fd(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!at.folder.valid()) throw Error(ErrorCode::Generic, std::string("cannot open the root: ") + std::strerror(errno));
    return walk(std::move(at), rel);
}

Found RootFolder::resolve_from(const Cursor& from, std::string_view rest) const {
    Cursor at;
    at.parts = from.parts;
    at.length = from.length;
    at.links = from.links;
    at.folder = Fd(::fcntl(from.folder.get(), F_DUPFD_CLOEXEC, 0));
    if (!at.folder.valid()) throw Error(ErrorCode::Generic, std::string("cannot open a folder: ") + std::strerror(errno));
    return walk(std::move(at), rest);
}

Found RootFolder::walk(Cursor at, std::string_view rel) const {
    std::deque<std::string> todo = components_of(rel);
    std::vector<std::string>& parts = at.parts;  // the resolved path so far
    std::size_t held = parts.size();             // parts[0, held) are folders and at.folder is the last of them
    Fd file;             // parts.back() when it exists and is not a folder (then parts.size() == held + 1)
    struct stat file_st {};
    int missing = 0;     // why parts[held...] do not exist
    auto push = [&](std::string c) {
        at.length += (parts.empty() ? 0 : 1) + c.size();
        parts.push_back(std::move(c));
    };
    auto pop = [&] {
        at.length -= parts.back().size() + (parts.size() > 1 ? 1 : 0);
        parts.pop_back();
    };
    while (!todo.empty()) {
        std::string c = std::move(todo.front());
        todo.pop_front();
        if (c == "..") {
            if (parts.empty()) continue;  // clamped at the root
            if (parts.size() > held) {
                pop();
                if (parts.size() == held) file = Fd();
                if (parts.size() == held || (parts.size() == held + 1 && file.valid())) missing = 0;
            } else {
                pop();
                --held;
                at.folder = reopen_folder(parts);
            }
            continue;
        }
        if (parts.size() > held) {  // below something missing or a file: nothing to look up
            if (parts.size() == held + 1 && file.valid()) missing = ENOTDIR;
            push(std::move(c));
            continue;
        }
        if (at.length + 1 + c.size() >= PATH_MAX || c.size() > NAME_MAX) {  // what lstat of the joined path would say
            missing = ENAMETOOLONG;
            push(std::move(c));
            continue;
        }
        Fd next(open_step(at.folder.get(), c));
        if (!next.valid()) {
            int e = errno;
            push(std::move(c));
            if (e != ENOENT && e != ENOTDIR && e != ENAMETOOLONG)
                throw Error(ErrorCode::CannotReadInput, "lstat " + join(parts) + ": " + std::strerror(e));
            missing = e;
            continue;
        }
        struct stat st {};
        if (::fstat(next.get(), &st) != 0) changed(join(parts));
        if (S_ISLNK(st.st_mode)) {
            if (++at.links > kMaxLinks) throw Error(ErrorCode::Generic, "too many symlinks in '" + std::string(rel) + "'");
            char buf[PATH_MAX];
            ssize_t n = ::readlinkat(next.get(), "", buf, sizeof buf);
            if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) changed(join(parts) + "/" + c);
            std::string_view target(buf, static_cast<std::size_t>(n));
            if (!target.empty() && target.front() == '/') {  // absolute: from the root
                parts.clear();
                at.length = 0;
                held = 0;
                at.folder = reopen_folder(parts);
            }
            auto spliced = components_of(target);
            todo.insert(todo.begin(), spliced.begin(), spliced.end());
            continue;
        }
        push(std::move(c));
        if (S_ISDIR(st.st_mode)) {
            at.folder = std::move(next);
            ++held;
        } else {
            file = std::move(next);
            file_st = st;
        }
    }
    Found out;
    out.rel = join(parts);
    if (parts.size() == held) {
        if (::fstat(at.folder.get(), &out.st) != 0) changed(out.rel);
        out.here = std::move(at);
    } else if (parts.size() == held + 1 && file.valid() && missing == 0) {
        out.st = file_st;
        out.name = parts.back();
        out.folder = std::move(at.folder);
    } else {
        out.error = missing ? missing : ENOENT;
    }
    return out;
}

std::string RootFolder::read_file(const Found& f, std::size_t limit) const {
    int raw;
    do raw = ::openat(f.folder.get(), f.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    while (raw < 0 && errno == EINTR);
    Fd fd(raw);
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !same_file(st, f.st)) changed(f.rel);
    std::string data;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(ErrorCode::CannotReadInput, "read " + f.shown() + ": " + std::strerror(errno));
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > limit) throw Error(ErrorCode::CannotReadInput, f.shown() + " grew past " + std::to_string(limit) + " bytes while it was read");
    }
    return data;
}

void RootFolder::replace_file(const Found& f, std::string_view contents) const {
    int dir = f.folder.get();
    unsigned char rnd[8];
    if (::getrandom(rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd)) throw Error(ErrorCode::CannotWriteOutput, "getrandom failed");
    std::string tmp = ".sopskit-" + detail::hex_encode(rnd, sizeof rnd);
    Fd fd(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) throw Error(ErrorCode::CannotWriteOutput, std::string("create: ") + std::strerror(errno));
    auto fail = [&](const char* what) {
        std::string msg = std::string(what) + ": " + std::strerror(errno);
        ::unlinkat(dir, tmp.c_str(), 0);
        throw Error(ErrorCode::CannotWriteOutput, msg);
    };
    if (::fchmod(fd.get(), 0600) != 0) fail("chmod");  // whatever the umask
    for (std::string_view rest = contents; !rest.empty();) {
        ssize_t n = ::write(fd.get(), rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write");
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd.get()) != 0) fail("fsync");
    if (::close(fd.release()) != 0) fail("close");
    if (::renameat(dir, tmp.c_str(), dir, f.name.c_str()) != 0) fail("rename");
    Fd sync(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (sync.valid()) ::fsync(sync.get());
}

}  // namespace sopskit::phase1
