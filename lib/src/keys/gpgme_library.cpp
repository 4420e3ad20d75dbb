#include "keys/gpgme_library.hpp"

#include <string>

#include "core/lazy_module.hpp"
#include "sopskit/error.hpp"

namespace sopskit::detail {

const GpgmeLibrary& gpgme() {
    static GpgmeLibrary lib{};
    static LazyModule module({"libgpgme.so.11"}, "PGP keys need GPGME (Debian: libgpgme11)");
    std::string error;
    bool ok = module.load(
        [](LazyModule::Binder& bind) {
#define SOPSKIT_GPGME_BIND(name) bind(#name, lib.name);
            SOPSKIT_GPGME_FUNCTIONS(SOPSKIT_GPGME_BIND)
#undef SOPSKIT_GPGME_BIND
        },
        error);
    if (!ok) throw Error(ErrorCode::Generic, error);
    return lib;
}

}  // namespace sopskit::detail
