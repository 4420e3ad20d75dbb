// Finds and loads the gRPC key service module once per process.
#pragma once
#include "keyservice/module_abi.hpp"

namespace sopskit::keyservice_detail {

// The module's entry points; throws Error naming what is missing when it cannot be loaded.
const keyservice_abi::Module& key_service_module();

}  // namespace sopskit::keyservice_detail
