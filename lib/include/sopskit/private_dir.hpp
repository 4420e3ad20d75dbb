// A private temporary folder for plaintext and keys that must not outlive the process.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace sopskit {

// A 0700 folder under $TMPDIR (or /tmp) named `<prefix>-<pid>-XXXXXX`. When it goes away,
// every regular file in it is overwritten with zeros before the tree is removed, and, when
// `gpgconf` was given, `gpgconf --homedir DIR --kill all` stops its GnuPG agents first. That
// happens on every way out:
//  - the destructor;
//  - SIGTERM, SIGINT, SIGHUP and SIGQUIT, when their action was the default (the process
//    then dies of the signal as before; a host program's own handlers are left alone);
//  - any other death, SIGKILL and crashes included: a guardian process (a child that ignores
//    the terminal's signals) waits on a pipe whose only writer is this process and cleans up
//    when it closes. The guardian keeps this process's stderr open until it is done, so a
//    caller that reads stderr to its end knows the cleanup has finished.
// Creating one first removes stale folders of the same prefix: owned by this user, made by a
// process that is gone (its pid in the name is not alive and it no longer holds the lock on
// the folder's `.sopskit-lock`, which also covers a pid from another pid namespace).
class PrivateDir {
public:
    // `prefix` is a short name such as "sopskit-gpg" (GnuPG socket paths must stay short).
    // `gpgconf`: the absolute path of gpgconf when the folder is a GnuPG home, else empty.
    // `base`: the folder to make it in (empty: $TMPDIR, else /tmp).
    // Throws Error when the folder or its guardian cannot be made.
    static std::unique_ptr<PrivateDir> create(std::string_view prefix, const std::string& gpgconf = "", const std::string& base = "");
    ~PrivateDir();
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;

    const std::string& path() const { return path_; }

private:
    PrivateDir() = default;
    std::string path_;
    std::string gpgconf_;
    int slot_ = -1;        // index in the signal handler's table
    int lock_fd_ = -1;     // holds the lock that marks the folder as in use
    int guardian_fd_ = -1; // write end of the guardian's pipe
    int guardian_pid_ = -1;
};

}  // namespace sopskit
