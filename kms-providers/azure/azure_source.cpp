// Placeholder until the Azure Key Vault source lands.
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
namespace sopskit::kms {
std::unique_ptr<KeySource> make_azure_kv_source(const KmsSettings&) { throw Error(ErrorCode::Generic, "Azure Key Vault not built"); }
}
