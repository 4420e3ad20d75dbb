// Checks of Kubernetes service-account tokens handed to the emulated identity services.
#pragma once
#include <string>

namespace sopskit::kms_emulator {

struct Context;

struct WorkloadTokenCheck {
    bool ok = false;
    std::string issuer, subject;
    std::string why;  // when not ok: a short reason for the log and the error body
};

// Verifies `token` against the state's "oidc_issuers" and the expected audience.
WorkloadTokenCheck verify_workload_token(Context& ctx, const std::string& token, const std::string& audience);

}  // namespace sopskit::kms_emulator
