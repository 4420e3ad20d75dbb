// A Flux decryption Secret's cloud credentials reach the KMS sources (and nothing else does).
#include <nlohmann/json.hpp>

#include "kms_stub.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"

using namespace sopskit;
using nlohmann::json;

TEST(kmsFlux, VaultTokenFromDecryptionSecretOpensTheDataKey) {
    sopskit::test::StubServer server;
    std::vector<std::string> tokens;
    sopskit::test::serve_fake_vault_transit(server, "k", "tenant-token", [&](const std::string& sent) { tokens.push_back(sent); });
    server.start();

    kms::KmsSettings direct;
    direct.env = [](const std::string& n) -> std::optional<std::string> {
        if (n == "VAULT_TOKEN") return "tenant-token";
        return std::nullopt;
    };
    SecureBytes key = SecureBytes::random(32);
    StoredKey stored = kms::make_vault_transit_source(direct)->wrap(kms::vault_recipients(server.url() + "/v1/transit/keys/k")[0], key);
    Metadata md;
    md.key_groups.push_back({stored});

    auto keys = DecryptionKeys::from_entries({{"sops.vault-token", "tenant-token\n"}, {"sops.vault-allowlist", server.url()}},
                                             "ns/sops-keys");
    ASSERT_TRUE(keys->vault_token);
    kms::add_flux_kms_sources(*keys);
    EXPECT_TRUE(keys->ring.unwrap_data_key(md).equals(key));

    // Another tenant's Secret without a token cannot open it, whatever VAULT_TOKEN says.
    ::setenv("VAULT_TOKEN", "tenant-token", 1);
    auto other = DecryptionKeys::from_entries({{"age.agekey", "# nothing\n"}}, "ns2/keys");
    kms::add_flux_kms_sources(*other);
    std::size_t before = tokens.size();
    EXPECT_THROW(other->ring.unwrap_data_key(md), Error);
    EXPECT_EQ(tokens.size(), before);
    ::unsetenv("VAULT_TOKEN");
}
