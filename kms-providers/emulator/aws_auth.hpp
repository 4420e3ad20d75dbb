// Authentication of AWS requests as the real services do it: find the secret for the access key
// (configured, or temporary from our STS), check the SigV4 signature, scope and clock skew.
#pragma once
#include <string>
#include <string_view>

#include "context.hpp"

namespace sopskit::kms_emulator {

enum class AwsAuthFailure {
    None,
    MissingAuthentication,  // no Authorization header
    IncompleteSignature,    // malformed Authorization header
    UnknownAccessKey,       // access key id (or session token) not recognised
    ExpiredToken,           // temporary credentials past their expiry
    BadSignature,           // signature, date scope or service scope wrong
    SignatureExpired,       // X-Amz-Date more than 5 minutes away from now
};

struct AwsAuth {
    AwsAuthFailure failure = AwsAuthFailure::None;
    std::string message;
    std::string access_key_id;
    std::string region;     // from the credential scope
    std::string account;    // the caller's account
    std::string principal;  // user or assumed-role ARN, for AccessDenied messages
};

// `service` is the signing name the scope must carry ("kms", "sts", "s3"). S3 signs the path
// as sent (decoded once, never normalized) and the x-amz-content-sha256 it must carry.
AwsAuth authenticate_aws(Context& ctx, const httplib::Request& req, std::string_view service);

// The account configured for the emulated AWS (aws.account, default 111122223333).
std::string aws_account(Context& ctx);

}  // namespace sopskit::kms_emulator
