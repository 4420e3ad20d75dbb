#include "core/lazy_module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <utility>

#ifndef SOPSKIT_MODULE_DIR
#define SOPSKIT_MODULE_DIR "/usr/local/lib/sopskit"
#endif

namespace sopskit::detail {

LazyModule::LazyModule(std::vector<std::string> candidates, std::string purpose)
    : candidates_(std::move(candidates)), purpose_(std::move(purpose)) {}

void* LazyModule::Binder::find(const char* name) {
    void* fn = ::dlsym(handle_, name);
    if (!fn && missing_.empty()) missing_ = name;
    return fn;
}

void* LazyModule::open() {
    std::string why;
    for (const std::string& candidate : candidates_) {
        // RTLD_LOCAL: the module's symbols do not leak into later lookups of other modules.
        if (void* handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) {
            candidate_opened_ = candidate;
            return handle;
        }
        const char* text = ::dlerror();
        if (why.empty()) why = text ? text : candidate + " not found";
    }
    error_ = purpose_ + ": " + (why.empty() ? std::string("no module to load") : why);
    return nullptr;
}

std::vector<std::string> module_candidates(const std::string& file_name) {
    std::vector<std::string> out;
    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string path(exe, static_cast<std::size_t>(n));
        if (auto slash = path.rfind('/'); slash != std::string::npos) out.push_back(path.substr(0, slash + 1) + file_name);
    }
    out.push_back(std::string(SOPSKIT_MODULE_DIR) + "/" + file_name);
    return out;
}

}  // namespace sopskit::detail
