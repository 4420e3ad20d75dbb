#include "common/curl_library.hpp"

#include <openssl/conf.h>

#include <string>

#include "core/lazy_module.hpp"

namespace sopskit::kms {

const CurlLibrary* curl_library(std::string& error) {
    static CurlLibrary lib{};
    static detail::LazyModule module({"libcurl.so.4"}, "cloud KMS keys need libcurl (Debian: libcurl4)");
    bool ok = module.load(
        [](detail::LazyModule::Binder& bind) {
            bind("curl_global_init", lib.global_init);
            bind("curl_easy_init", lib.easy_init);
            bind("curl_easy_setopt", lib.easy_setopt);
            bind("curl_easy_perform", lib.easy_perform);
            bind("curl_easy_getinfo", lib.easy_getinfo);
            bind("curl_easy_cleanup", lib.easy_cleanup);
            bind("curl_easy_strerror", lib.easy_strerror);
            bind("curl_slist_append", lib.slist_append);
            bind("curl_slist_free_all", lib.slist_free_all);
            if (!bind.complete()) return;
            // sopskit's main starts OpenSSL without openssl.cnf (no local crypto depends on it);
            // TLS does: the system's minimum protocol and security level live there.
            OPENSSL_load_builtin_modules();
            CONF_modules_load_file(nullptr, nullptr, CONF_MFLAGS_DEFAULT_SECTION | CONF_MFLAGS_IGNORE_MISSING_FILE);
            // curl keeps global state for the life of the process; the module is never closed.
            lib.global_init(CURL_GLOBAL_DEFAULT);
        },
        error);
    return ok ? &lib : nullptr;
}

}  // namespace sopskit::kms
