// A repository root that phase 1 reads and writes only through folder descriptors.
//
// Paths are resolved one component at a time from a descriptor of the root, never by
// re-resolving a path text: a component is opened relative to the folder before it without
// following it (openat2 RESOLVE_NO_SYMLINKS, or O_NOFOLLOW where openat2 is missing), a
// symlink is read from its own descriptor and its target resolved inside the root as if the
// root were "/" (Flux's securejoin), and `..` never climbs above the root. Files are then read,
// replaced (renameat in the held folder) and chmodded (fchmod) through those descriptors, so a
// folder swapped for a symlink while the walk runs cannot send a write out of the root.
#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sopskit::phase1 {

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

// Where a resolution stands: a folder under the root, its resolved path and the symlinks
// followed to reach it (securejoin's budget is per path).
struct Cursor {
    std::vector<std::string> parts;
    std::size_t length = 0;  // of the parts joined with '/'
    int links = 0;
    Fd folder;
};

// What a path under the root names, symlinks resolved inside the root.
struct Found {
    std::string rel;           // the resolved path under the root ("" for the root), for messages and dedup
    int error = 0;             // 0 when it exists; else ENOENT, ENOTDIR or ENAMETOOLONG
    Fd folder;                 // the folder holding it (when it exists and is not a folder itself)
    std::string name;          // its name in `folder`
    struct stat st {};         // its lstat (never a symlink)
    Cursor here;               // when it is a folder: where a longer path goes on from
    bool exists() const { return error == 0; }
    std::string shown() const { return rel.empty() ? "." : rel; }  // as Flux prints it
};

class RootFolder {
public:
    // `root` is an absolute path without symlinks (the caller's canonical root).
    explicit RootFolder(const std::string& root);

    // Flux's securejoin of `rel` (a cleaned relative path; `..` at the root stays at the root).
    // Throws Error for a symlink chain over 255 links, a path the OS refuses to look up
    // (other than missing or too long), or a folder that changed under the walk.
    Found resolve(std::string_view rel) const;
    // The same for `from`'s path followed by `rest` (cleaned, no leading `..`), without walking
    // `from`'s path again: what resolve(from's path + "/" + rest) gives.
    Found resolve_from(const Cursor& from, std::string_view rest) const;

    // The contents of an existing file found by resolve(), opened in its folder without
    // following links and checked to be the very file resolve() saw. Throws past `limit`.
    std::string read_file(const Found& f, std::size_t limit) const;

    // Replaces that file: a new 0600 file in the same folder, fsync'ed, renamed over it.
    void replace_file(const Found& f, std::string_view contents) const;

private:
    Found walk(Cursor at, std::string_view rel) const;
    Fd reopen_folder(const std::vector<std::string>& parts) const;
    Fd root_;
};

// Go's filepath.Clean: lexical `..` and `.`, one slash; "." for an empty result.
std::string clean_path(std::string_view p);
// Flux's stripRoot: an absolute path with the root's prefix removed, relative and clean.
std::string strip_root(const std::string& root, std::string_view path);

// Tests only: pretend the kernel has no openat2 (the O_NOFOLLOW step-by-step fallback).
void disable_openat2_for_testing(bool disabled);

}  // namespace sopskit::phase1
