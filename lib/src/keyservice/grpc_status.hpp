// gRPC status codes as sops (Go) prints them.
#pragma once
#include <string>

namespace sopskit::keyservice_detail {

// grpc-go's codes.Code.String(): "PermissionDenied", "Unavailable", ...
std::string grpc_code_name(int code);
// Go's status error text: "rpc error: code = Unavailable desc = ..."
std::string rpc_error_text(int code, const std::string& message);

}  // namespace sopskit::keyservice_detail
