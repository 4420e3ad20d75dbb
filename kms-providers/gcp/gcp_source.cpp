// Placeholder until the GCP Cloud KMS source lands.
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
namespace sopskit::kms {
std::unique_ptr<KeySource> make_gcp_kms_source(const KmsSettings&) { throw Error(ErrorCode::Generic, "GCP KMS not built"); }
}
