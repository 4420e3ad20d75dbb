// Workload identity: the text it takes from elsewhere — a ServiceAccount manifest and Flux's
// Vault ConfigMap (the operator's or a tenant's YAML), the annotations' patterns, a service
// account token's subject. Refusing (sopskit::Error, std::runtime_error) is fine; nothing else
// may escape.
//
// Input: byte 0 picks the case (modulo 4: 0 ServiceAccount manifest, 1 Vault login config,
// 2 the three annotation checks, 3 the Vault role from a token); the rest is the text.
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "workload_identity.hpp"

using namespace sopskit;
namespace kms = sopskit::kms;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] % 4) {
            case 0: {
                kms::ServiceAccount sa = kms::service_account_from_manifest(text);
                if (sa.name.empty() || sa.namespace_name.empty()) __builtin_trap();
                break;
            }
            case 1: kms::vault_login_paths_from(text); break;
            case 2: {
                bool arn = kms::workload::valid_role_arn(text);
                if (arn && text.rfind("arn:aws", 0) != 0) __builtin_trap();
                kms::workload::valid_gcp_email(text);
                kms::workload::valid_workload_identity_provider(text);
                break;
            }
            default: {
                std::string role = kms::workload::vault_role_from_token(text);
                if (role.find(':') != std::string::npos) __builtin_trap();
            }
        }
    } catch (const Error&) {
    } catch (const std::runtime_error&) {
    }
    return 0;
}
