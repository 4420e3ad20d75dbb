#include "k8s/ssh_library.hpp"

#include <string>

#include "core/lazy_module.hpp"
#include "sopskit/error.hpp"

namespace sopskit::detail {

const SshLibrary& ssh() {
    static SshLibrary lib{};
    static LazyModule module({"libssh.so.4"}, "SSH keys need libssh (Debian: libssh-4)");
    std::string error;
    bool ok = module.load(
        [](LazyModule::Binder& bind) {
#define SOPSKIT_SSH_BIND(name) bind(#name, lib.name);
            SOPSKIT_SSH_FUNCTIONS(SOPSKIT_SSH_BIND)
#undef SOPSKIT_SSH_BIND
        },
        error);
    if (!ok) throw Error(ErrorCode::Generic, error);
    return lib;
}

}  // namespace sopskit::detail
