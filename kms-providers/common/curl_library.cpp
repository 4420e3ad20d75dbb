#include "common/curl_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace sopskit::kms {

namespace {

template <typename F>
void resolve(void* handle, const char* name, F& fn, std::string& missing) {
    fn = reinterpret_cast<F>(::dlsym(handle, name));
    if (!fn) missing = name;
}

}  // namespace

const CurlLibrary* curl_library(std::string& error_out) {
    static CurlLibrary lib{};
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* why = ::dlerror();
            error = std::string("cloud KMS keys need libcurl (Debian: libcurl4): ") + (why ? why : "libcurl.so.4 not found");
            return;
        }
        std::string missing;
        resolve(handle, "curl_global_init", lib.global_init, missing);
        resolve(handle, "curl_easy_init", lib.easy_init, missing);
        resolve(handle, "curl_easy_setopt", lib.easy_setopt, missing);
        resolve(handle, "curl_easy_perform", lib.easy_perform, missing);
        resolve(handle, "curl_easy_getinfo", lib.easy_getinfo, missing);
        resolve(handle, "curl_easy_cleanup", lib.easy_cleanup, missing);
        resolve(handle, "curl_easy_strerror", lib.easy_strerror, missing);
        resolve(handle, "curl_slist_append", lib.slist_append, missing);
        resolve(handle, "curl_slist_free_all", lib.slist_free_all, missing);
        if (!missing.empty()) {
            error = "libcurl.so.4 lacks " + missing;
            return;
        }
        // The handle stays open for the life of the process: curl keeps global state.
        lib.global_init(CURL_GLOBAL_DEFAULT);
    });
    if (!error.empty()) {
        error_out = error;
        return nullptr;
    }
    return &lib;
}

}  // namespace sopskit::kms
