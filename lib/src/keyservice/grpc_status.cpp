#include "keyservice/grpc_status.hpp"

#include <array>

#include "sopskit/error.hpp"

namespace sopskit::keyservice_detail {

std::string grpc_code_name(int code) {
    static constexpr std::array<const char*, 17> names{
        "OK",       "Canceled",          "Unknown",            "InvalidArgument", "DeadlineExceeded", "NotFound",
        "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
        "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"};
    if (code >= 0 && code < static_cast<int>(names.size())) return names[static_cast<std::size_t>(code)];
    return "Code(" + std::to_string(code) + ")";
}

std::string rpc_error_text(int code, const std::string& message) {
    // The server's text is foreign: one line, bounded.
    return "rpc error: code = " + grpc_code_name(code) + " desc = " + escape_control_chars(message.substr(0, 500));
}

}  // namespace sopskit::keyservice_detail
