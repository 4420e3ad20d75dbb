// Opens libcrypto on the first call of any OpenSSL function (the stubs in lazy_libcrypto.S),
// and starts OpenSSL as main used to at every start: without openssl.cnf and without its
// clean-up at exit. Built when SOPSKIT_LAZY_LIBCRYPTO is on (cli/CMakeLists.txt).
#ifdef SOPSKIT_LAZY_LIBCRYPTO

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/lazy_module.hpp"

// One slot per stub, read by the stubs without a lock: each is written once, atomically.
extern "C" {
#define SOPSKIT_LIBCRYPTO_FUNCTION(name) __attribute__((visibility("hidden"))) void* sopskit_libcrypto_slot_##name = nullptr;
#include "lazy_libcrypto_functions.def"
#undef SOPSKIT_LIBCRYPTO_FUNCTION
}

namespace {

#define SOPSKIT_STRINGIFY_VALUE(x) #x
#define SOPSKIT_STRINGIFY(x) SOPSKIT_STRINGIFY_VALUE(x)

struct Slot {
    const char* name;
    void** slot;
};
const Slot kSlots[] = {
#define SOPSKIT_LIBCRYPTO_FUNCTION(name) {#name, &sopskit_libcrypto_slot_##name},
#include "lazy_libcrypto_functions.def"
#undef SOPSKIT_LIBCRYPTO_FUNCTION
};

void open_libcrypto() {
    static sopskit::detail::LazyModule module({"libcrypto.so." SOPSKIT_STRINGIFY(OPENSSL_SHLIB_VERSION)},
                                              "sopskit needs OpenSSL's libcrypto (Debian: libssl3)");
    void* found[sizeof kSlots / sizeof kSlots[0]] = {};
    std::string error;
    bool ok = module.load(
        [&](sopskit::detail::LazyModule::Binder& bind) {
            for (size_t i = 0; i < sizeof kSlots / sizeof kSlots[0]; ++i) bind(kSlots[i].name, found[i]);
        },
        error);
    if (!ok) {
        // No caller can be told: the stub stands for a function that cannot fail this way.
        std::fprintf(stderr, "sopskit: %s\n", error.c_str());
        std::_Exit(1);
    }
    // Before any slot is visible, so no OpenSSL call precedes this one.
    using Init = int (*)(uint64_t, const OPENSSL_INIT_SETTINGS*);
    for (size_t i = 0; i < sizeof kSlots / sizeof kSlots[0]; ++i)
        if (kSlots[i].slot == &sopskit_libcrypto_slot_OPENSSL_init_crypto)
            reinterpret_cast<Init>(found[i])(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr);
    for (size_t i = 0; i < sizeof kSlots / sizeof kSlots[0]; ++i) __atomic_store_n(kSlots[i].slot, found[i], __ATOMIC_RELEASE);
}

}  // namespace

// Called by a stub whose slot was empty: the address to jump to.
extern "C" __attribute__((visibility("hidden"))) void* sopskit_libcrypto_resolve(void** slot) {
    static const bool opened = (open_libcrypto(), true);  // once, thread-safe
    (void)opened;
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

#endif  // SOPSKIT_LAZY_LIBCRYPTO
