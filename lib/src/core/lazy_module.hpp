// A shared library opened the first time a command needs it, instead of at every start.
// Libraries linked into sopskit are all mapped and relocated before main, whatever the command
// does: GnuPG's three libraries and libssh with Kerberos cost an age-only decrypt a third of its
// time. Code behind such a dependency asks a LazyModule for its functions on first use.
//
// Two kinds of module:
//  - a system library, named by its soname ("libgpgme.so.11"): the dynamic loader finds it as
//    it would have at start-up; its C functions are resolved into a table of typed pointers;
//  - a module built with sopskit (a C++ part with heavy dependencies, such as gRPC), named by
//    its file name and found with module_candidates(): beside the running executable (the
//    build tree, or bin/ next to it), then sopskit's install directory <libdir>/sopskit. It
//    exports one extern "C" entry point returning its interface.
// Never from the current directory or a path the environment chooses (beyond the loader's
// own LD_LIBRARY_PATH for sonames).
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace sopskit::detail {

class LazyModule {
public:
    // `candidates` are tried in order: a name containing '/' is a path, any other a soname.
    // `purpose` starts the error when none opens: "PGP keys need GPGME (Debian: libgpgme11)".
    LazyModule(std::vector<std::string> candidates, std::string purpose);
    LazyModule(const LazyModule&) = delete;
    LazyModule& operator=(const LazyModule&) = delete;

    // Resolves one symbol into `slot`; used inside the `bind` callback of load().
    class Binder {
    public:
        template <typename F>
        void operator()(const char* name, F& slot) {
            slot = reinterpret_cast<F>(find(name));
        }
        // Every symbol asked for so far was found.
        bool complete() const { return missing_.empty(); }

    private:
        friend class LazyModule;
        explicit Binder(void* handle) : handle_(handle) {}
        void* find(const char* name);
        void* handle_;
        std::string missing_;
    };

    // Opens the module and calls `bind` once for the whole process (thread-safe); later calls
    // return the first outcome. False with `error` set when no candidate opens or a symbol is
    // missing. The module stays loaded until exit: libraries such as libcurl keep global state.
    template <typename Bind>
    bool load(Bind&& bind, std::string& error) {
        std::call_once(once_, [&] {
            void* handle = open();
            if (!handle) return;
            Binder binder(handle);
            bind(binder);
            if (!binder.missing_.empty()) error_ = candidate_opened_ + " lacks " + binder.missing_;
        });
        if (!error_.empty()) error = error_;
        return error_.empty();
    }

private:
    void* open();
    std::vector<std::string> candidates_;
    std::string purpose_;
    std::string candidate_opened_;
    std::string error_;
    std::once_flag once_;
};

// Where a module built with sopskit named `file_name` may be: the running executable's
// directory, then <install libdir>/sopskit.
std::vector<std::string> module_candidates(const std::string& file_name);

}  // namespace sopskit::detail
