// The spec's failure categories, carried in the message prefix of sopskit::Error.
#include "age/age_internal.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

void header_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age header failure: " + what); }
void armor_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age armor failure: " + what); }
void payload_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age payload failure: " + what); }
void hmac_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age HMAC failure: " + what); }

}  // namespace sopskit::age::detail
