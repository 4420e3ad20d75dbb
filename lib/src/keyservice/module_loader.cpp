// The one dlopen of the key service module (sopskit-keyservice.so), done on first use so that
// runs without a remote key service never map gRPC or protobuf.
#include "keyservice/module_loader.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "sopskit/error.hpp"

namespace sopskit::keyservice_detail {

namespace {

[[maybe_unused]] constexpr const char* kModuleName = "sopskit-keyservice.so";

// Where the module may be: $SOPSKIT_KEYSERVICE_MODULE (tests, relocated installs), beside the
// running program (the build tree), then the installed library folder.
[[maybe_unused]] std::vector<std::string> candidates() {
    std::vector<std::string> out;
    if (const char* env = std::getenv("SOPSKIT_KEYSERVICE_MODULE"); env && *env == '/') out.emplace_back(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string dir(exe, static_cast<std::size_t>(n));
        dir.erase(dir.rfind('/') + 1);
        out.push_back(dir + kModuleName);
    }
#ifdef SOPSKIT_KEYSERVICE_MODULE_DIR
    out.push_back(std::string(SOPSKIT_KEYSERVICE_MODULE_DIR) + "/" + kModuleName);
#endif
    return out;
}

const keyservice_abi::Module* load(std::string& why) {
#ifndef SOPSKIT_WITH_KEYSERVICE
    why = "this build of sopskit has no key service support (SOPSKIT_WITH_KEYSERVICE=OFF)";
    return nullptr;
#else
    for (const std::string& path : candidates()) {
        if (access(path.c_str(), F_OK) != 0) continue;
        // Never unloaded: gRPC keeps threads running until exit.
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* e = dlerror();
            why = "cannot load " + path + ": " + (e ? e : "unknown error");
            return nullptr;
        }
        auto entry = reinterpret_cast<const keyservice_abi::Module* (*)()>(dlsym(handle, "sopskit_keyservice_module"));
        const keyservice_abi::Module* m = entry ? entry() : nullptr;
        if (!m || m->version != keyservice_abi::kVersion) {
            why = path + " is not this sopskit's key service module";
            return nullptr;
        }
        return m;
    }
    why = std::string("the key service module ") + kModuleName + " is not installed beside sopskit";
    return nullptr;
#endif
}

}  // namespace

const keyservice_abi::Module& key_service_module() {
    static std::once_flag once;
    static const keyservice_abi::Module* module = nullptr;
    static std::string why;
    std::call_once(once, [] { module = load(why); });
    if (!module) throw Error(ErrorCode::Generic, why);
    return *module;
}

}  // namespace sopskit::keyservice_detail
