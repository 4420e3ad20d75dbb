// kustomize-controller's TestDecryptor_ImportKeys, its cloud credential cases: a decryption
// Secret's sops.aws-kms, sops.gcp-kms and sops.azure-kv entries are taken, and a malformed
// Azure one is refused when the key set is built (flux_decryptor_cases_test.cpp has the rest).
#include <gtest/gtest.h>

#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"

using namespace sopskit;

namespace {

// from_entries and the KMS sources, as the CLI builds a key set from a Secret.
std::string import_error(const std::map<std::string, std::string>& entries) {
    try {
        auto keys = DecryptionKeys::from_entries(entries, "sops/creds");
        kms::add_flux_kms_sources(*keys);
    } catch (const Error& e) {
        return e.what();
    }
    return "(none)";
}

}  // namespace

TEST(FluxDecryptorCases, ImportKeysCloudCredentials) {
    // "AWS KMS credentials".
    const std::string aws = "aws_access_key_id: test-id\naws_secret_access_key: test-secret\naws_session_token: test-token";
    auto keys = DecryptionKeys::from_entries({{"sops.aws-kms", aws}}, "sops/awskms-secret");
    ASSERT_TRUE(keys->aws_kms);
    EXPECT_EQ(import_error({{"sops.aws-kms", aws}}), "(none)");
    // "GCP Service Account key" (an authorized_user document).
    const std::string gcp =
        "{ \"client_id\": \"<client-id>.apps.googleusercontent.com\",\n\t\t\t\t\t\"client_secret\": \"<secret>\",\n\t\t\t\t   \"type\": "
        "\"authorized_user\"}";
    EXPECT_TRUE(DecryptionKeys::from_entries({{"sops.gcp-kms", gcp}}, "sops/gcpkms-secret")->gcp_kms);
    EXPECT_EQ(import_error({{"sops.gcp-kms", gcp}}), "(none)");
    // "Azure Key Vault token".
    const std::string azure = "tenantId: some-tenant-id\nclientId: some-client-id\nclientSecret: some-client-secret";
    EXPECT_TRUE(DecryptionKeys::from_entries({{"sops.azure-kv", azure}}, "sops/azkv-secret")->azure_kv);
    EXPECT_EQ(import_error({{"sops.azure-kv", azure}}), "(none)");
    // "Azure Key Vault token load config error", "Azure Key Vault unsupported config".
    EXPECT_NE(import_error({{"sops.azure-kv", "{\"malformed\\: JSON\"}"}}), "(none)");
    EXPECT_NE(import_error({{"sops.azure-kv", "tenantId: incomplete"}}), "(none)");
}
