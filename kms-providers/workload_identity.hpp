// Checks of text a workload identity takes from elsewhere (ServiceAccount annotations, a token's
// subject), exposed for tests and the fuzz target.
#pragma once
#include <string>
#include <string_view>

namespace sopskit::kms::workload {

// Flux's patterns for eks.amazonaws.com/role-arn, iam.gke.io/gcp-service-account and
// gcp.auth.fluxcd.io/workload-identity-provider, checked by hand.
bool valid_role_arn(std::string_view s);
bool valid_gcp_email(std::string_view s);
bool valid_workload_identity_provider(std::string_view s);
// <ns>_<name> of a Kubernetes token's sub claim system:serviceaccount:<ns>:<name>; throws
// std::runtime_error for anything else.
std::string vault_role_from_token(const std::string& jwt);

}  // namespace sopskit::kms::workload
