// The last step every provider's unwrap shares: take the data key out of the service's JSON
// answer, decode it, and leave no copy of it behind in the answer or in temporaries.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sopskit/keys.hpp"

namespace sopskit::kms {

using Base64Decoder = std::optional<std::string> (*)(std::string_view);

// `what` starts every failure reason ("failed to decrypt sops data key with ... KEY").
UnwrapOutcome data_key_from_response(nlohmann::json& response, const char* field, Base64Decoder decode, const std::string& what);

}  // namespace sopskit::kms
