#include "common/data_key.hpp"

#include "sopskit/secure.hpp"

namespace sopskit::kms {

UnwrapOutcome data_key_from_response(nlohmann::json& response, const char* field, Base64Decoder decode, const std::string& what) {
    if (!response.is_object() || !response.contains(field) || !response[field].is_string())
        return UnwrapOutcome::failed(what + ": the response has no " + field);
    std::string& encoded = response[field].get_ref<std::string&>();
    auto plain = decode(encoded);
    wipe(encoded);
    if (!plain) return UnwrapOutcome::failed(what + ": " + field + " is not base64");
    SecureBytes key = SecureBytes::from(*plain);
    wipe(*plain);
    return UnwrapOutcome::ok(std::move(key));
}

}  // namespace sopskit::kms
