// Where `sopskit audit` gets its files: git's tracked files, git's index (what a commit would
// hold, for the pre-commit hook), or a plain folder walk. git runs without a shell.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <memory>

#include "core/subprocess.hpp"
#include "sopskit/audit.hpp"
#include "sopskit/error.hpp"
#include "sopskit/private_dir.hpp"

namespace sopskit {

std::vector<std::string> parse_git_ls_files_z(std::string_view output) {
    std::vector<std::string> names;
    std::size_t pos = 0;
    while (pos < output.size()) {
        std::size_t end = output.find('\0', pos);
        if (end == std::string_view::npos) end = output.size();
        if (end > pos) names.emplace_back(output.substr(pos, end - pos));
        pos = end + 1;
    }
    return names;
}

namespace {

constexpr long kGitTimeoutMs = 300'000;
constexpr std::size_t kGitMaxOutput = std::size_t(256) << 20;

detail::ProgramResult git(std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    detail::ProgramResult r;
    try {
        r = detail::run_program(args, {}, kGitTimeoutMs, kGitMaxOutput);
    } catch (const std::exception& e) {
        throw Error(ErrorCode::CannotReadInput, std::string("cannot run git: ") + e.what());
    }
    return r;
}

std::string first_line(std::string s) {
    if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
    return s;
}

std::string git_or_throw(std::vector<std::string> args) {
    std::string what = args.empty() ? "git" : "git " + args.front();
    auto r = git(std::move(args));
    if (r.exit_code != 0)
        throw Error(ErrorCode::CannotReadInput, what + " failed: " + (r.timed_out ? std::string("timed out") : first_line(r.err)));
    return std::move(r.out);
}

std::optional<std::string> git_top_level() {
    detail::ProgramResult r;
    try {
        r = detail::run_program({"git", "rev-parse", "--show-toplevel"}, {}, 30'000);
    } catch (const std::exception&) {
        return std::nullopt;  // no git at all: not a git work tree as far as Auto is concerned
    }
    if (r.exit_code != 0) return std::nullopt;
    std::string top = first_line(r.out);
    if (top.empty()) return std::nullopt;
    return top;
}

// Reads a regular file (not through a symlink), up to `max` bytes. nullopt + reason otherwise.
// Directories (submodules) and symlinks are not files to audit: *skip is set instead.
std::optional<std::string> read_regular(const std::string& path, std::size_t max, std::string& reason, bool& skip) {
    skip = false;
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOENT) {  // a symlink, or deleted from the work tree
            skip = true;
            return std::nullopt;
        }
        reason = std::strerror(errno);
        return std::nullopt;
    }
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > max) {
        ::close(fd);
        skip = true;
        return std::nullopt;
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    bytes.resize(got);
    return bytes;
}

void read_all(AuditCollection& c, const std::vector<std::string>& names, const AuditCollectOptions& o) {
    c.files.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (o.progress && (i % 1000 == 0 || i + 1 == names.size())) o.progress(i + 1, names.size());
        std::string reason;
        bool skip = false;
        auto bytes = read_regular(c.root + "/" + names[i], o.max_file_size, reason, skip);
        if (bytes) c.files.push_back({names[i], std::move(*bytes)});
        else if (!skip) c.unreadable.push_back(names[i] + ": " + reason);
    }
}

std::vector<std::string> ls_files(const std::string& top, bool cached_only, const std::vector<std::string>& paths) {
    std::vector<std::string> args = {"ls-files", "-z", "--full-name"};
    if (cached_only) args.push_back("--cached");
    args.push_back("--");
    // Paths are given relative to the current folder; --full-name answers relative to `top`.
    for (const auto& p : paths) args.push_back(p);
    (void)top;
    return parse_git_ls_files_z(git_or_throw(std::move(args)));
}

void collect_folder(AuditCollection& c, const AuditCollectOptions& o) {
    namespace fs = std::filesystem;
    c.root = fs::current_path().string();
    std::vector<std::string> names;
    std::vector<std::string> starts = o.paths.empty() ? std::vector<std::string>{"."} : o.paths;
    for (const auto& start : starts) {
        std::error_code ec;
        fs::file_status st = fs::symlink_status(start, ec);
        if (ec || !fs::exists(st)) {
            c.unreadable.push_back(start + ": no such file or folder");
            continue;
        }
        if (fs::is_regular_file(st)) {
            names.push_back(fs::path(start).lexically_normal().string());
            continue;
        }
        fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            const auto& entry = *it;
            std::string name = entry.path().filename().string();
            if (entry.is_directory(ec) && !entry.is_symlink(ec) && (name == ".git" || name == "node_modules")) {
                it.disable_recursion_pending();
                continue;
            }
            if (entry.is_regular_file(ec) && !entry.is_symlink(ec))
                names.push_back(entry.path().lexically_normal().string());
        }
        if (ec) c.unreadable.push_back(start + ": " + ec.message());
    }
    for (auto& n : names)
        if (n.rfind("./", 0) == 0) n.erase(0, 2);
    read_all(c, names, o);
}

}  // namespace

AuditCollection collect_audit_files(const AuditCollectOptions& o) {
    AuditCollection c;
    std::optional<std::string> top;
    if (o.source != AuditSource::Folder) top = git_top_level();
    if (!top) {
        if (o.source == AuditSource::Staged || o.source == AuditSource::WorkTree)
            throw Error(ErrorCode::CannotReadInput, "not inside a git work tree (git rev-parse --show-toplevel failed)");
        collect_folder(c, o);
        return c;
    }
    if (o.source != AuditSource::Staged) {
        c.root = *top;
        read_all(c, ls_files(*top, false, o.paths), o);
        return c;
    }
    // The index, not the work tree: what `git commit` is about to record. checkout-index
    // writes the staged blobs into a private folder (honouring GIT_INDEX_FILE, which git sets
    // for hooks); the folder is removed when the collection goes.
    std::vector<std::string> names = ls_files(*top, true, o.paths);
    // In memory (tmpfs) when the system has one: a whole index written to a disk-backed /tmp
    // cost 25 s for 10,000 files here (0.6 s on tmpfs), and the staged Secrets stay off disk.
    // TMPDIR, when set, is the user's choice and wins.
    const char* tmpdir = std::getenv("TMPDIR");
    std::error_code ec;
    std::string base = (!tmpdir || !*tmpdir) && std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                           ? "/dev/shm" : "";
    auto dir = std::shared_ptr<PrivateDir>(PrivateDir::create("sopskit-audit", "", base));
    c.root = dir->path() + "/index";
    c.keep_alive = dir;
    constexpr std::size_t kBatch = 512;  // names per command line, well under ARG_MAX
    for (std::size_t i = 0; i < names.size(); i += kBatch) {
        std::vector<std::string> args = {"-C", *top, "checkout-index", "--prefix=" + c.root + "/", "--"};
        for (std::size_t j = i; j < std::min(names.size(), i + kBatch); ++j) args.push_back(names[j]);
        git_or_throw(std::move(args));
    }
    read_all(c, names, o);
    return c;
}

}  // namespace sopskit
