// The key service module (sopskit-keyservice.so), opened on first use through the one module
// loader (core/lazy_module): runs without a remote key service never map gRPC or protobuf.
#include "keyservice/module_loader.hpp"

#include <string>

#include "core/lazy_module.hpp"
#include "sopskit/error.hpp"

namespace sopskit::keyservice_detail {

const keyservice_abi::Module& key_service_module() {
#ifndef SOPSKIT_WITH_KEYSERVICE
    throw Error(ErrorCode::Generic, "this build of sopskit has no key service support (SOPSKIT_WITH_KEYSERVICE=OFF)");
#else
    using Entry = const keyservice_abi::Module* (*)();
    // Never unloaded: gRPC keeps threads running until exit.
    static detail::LazyModule module(detail::module_candidates("sopskit-keyservice.so"),
                                     "a key service needs sopskit's gRPC module sopskit-keyservice.so");
    static Entry entry = nullptr;
    std::string why;
    if (!module.load([](detail::LazyModule::Binder& bind) { bind("sopskit_keyservice_module", entry); }, why))
        throw Error(ErrorCode::Generic, why);
    const keyservice_abi::Module* m = entry();
    if (!m || m->version != keyservice_abi::kVersion)
        throw Error(ErrorCode::Generic, "sopskit-keyservice.so is not this sopskit's key service module");
    return *m;
#endif
}

}  // namespace sopskit::keyservice_detail
