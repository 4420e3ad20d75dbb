// RS256 JSON Web Tokens (Google service accounts, Azure client certificates).
#pragma once
#include <string>

namespace sopskit::kms {

// base64url(header).base64url(claims).base64url(RS256 signature) with a PEM private key
// (PKCS#8 or PKCS#1, optionally encrypted with `password`). Throws std::runtime_error.
std::string sign_jwt_rs256(const std::string& header_json, const std::string& claims_json,
                           const std::string& private_key_pem, const std::string& password = "");

}  // namespace sopskit::kms
