// kustomize-controller's error texts for what sopskit's decryptor refuses: the encrypted-data
// load error with Flux's format names, the MAC check (without the MACs), and a decryption
// Secret's cloud credentials that cannot be imported.
#include <functional>
#include <regex>

#include "core/base64.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::string secret_with(const std::string& key, const std::string& payload) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gen\n  namespace: apps\ndata:\n  " + key + ": " +
           detail::base64_encode(payload) + "\n";
}

}  // namespace

TEST(FluxDecryptorMessages, LoadErrorNamesTheFormatAsFluxDoes) {
    auto id = age::X25519Identity::generate();
    auto keys = DecryptionKeys::from_entries({{"k.agekey", id.encode() + "\n"}}, "apps/sops-age");
    Decryptor d(keys);
    // Flux's "invalid JSON data" case: the marker is there, the JSON is not.
    std::string msg = error_of([&] { d.decrypt_manifests(secret_with("app.json", "{\"sops\": {\"mac\": \"ENC[x")); });
    EXPECT_NE(msg.find("failed to load encrypted JSON data"), std::string::npos) << msg;
    msg = error_of([&] { d.decrypt_manifests(secret_with("app.yaml", "sops:\n    mac: ENC[x\n  - ][")); });
    EXPECT_NE(msg.find("failed to load encrypted YAML data"), std::string::npos) << msg;
}

TEST(FluxDecryptorMessages, MacCheckInFluxsWordsWithoutTheMacs) {
    auto id = age::X25519Identity::generate();
    EncryptRequest req;
    req.input_format = req.output_format = Format::Yaml;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"age", id.recipient(), {}}}};
    KeyRing writer;
    age::IdentitySet ids;
    ids.add(id.clone());
    writer.add(make_age_key_source(std::move(ids)));
    std::string secret = encrypt_document(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\nstringData:\n  password: hunter2\n", req, writer);
    auto keys = DecryptionKeys::from_entries({{"k.agekey", id.encode() + "\n"}}, "apps/sops-age");
    Decryptor strict(keys, DecryptorOptions{true, nullptr, 0});
    EXPECT_NE(strict.decrypt_manifests(secret).find("password: hunter2"), std::string::npos);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(secret, m, std::regex("\n    mac: (ENC\\[[^\n]*)")));
    const std::string stored_mac = m[1].str();

    // Flux's "with mac check" case: the MAC emptied. (A resource without a MAC is not a SOPS
    // resource for Flux; a payload is decrypted when its marker shows, here from a comment.)
    std::string no_mac = std::regex_replace(secret, std::regex("\n    mac: [^\n]*"), "\n    mac: \"\"") + "# mac: ENC[]\n";
    std::string msg = error_of([&] { strict.decrypt_manifests(secret_with("app.yaml", no_mac)); });
    EXPECT_NE(msg.find("failed to verify sops data integrity: expected mac 'no MAC'"), std::string::npos) << msg;
    // An unencrypted value changed: the MAC no longer matches, and neither MAC is printed.
    std::string renamed = secret;
    renamed.replace(renamed.find("name: db"), 8, "name: dc");
    msg = error_of([&] { strict.decrypt_manifests(renamed); });
    EXPECT_NE(msg.find("failed to verify sops data integrity: expected mac"), std::string::npos) << msg;
    EXPECT_EQ(msg.find_first_of("0123456789ABCDEF", msg.find("expected mac")), std::string::npos) << "no MAC hex in: " << msg;
    // lastmodified changed: the MAC cannot be decrypted, in sops' cipher words.
    std::string touched = std::regex_replace(secret, std::regex("\n    lastmodified: [^\n]*"), "\n    lastmodified: \"2020-01-01T00:00:00Z\"");
    msg = error_of([&] { strict.decrypt_manifests(touched); });
    EXPECT_NE(msg.find("failed to verify sops data integrity: Could not decrypt with AES_GCM"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(stored_mac), std::string::npos);
}

TEST(FluxDecryptorMessages, CloudCredentialImportErrorsNameTheEntryAndTheSecret) {
    auto aws = DecryptionKeys::from_entries({{"sops.aws-kms", "aws_access_key_id: AKID\n"}}, "apps/sops-keys");
    EXPECT_EQ(error_of([&] { kms::add_flux_kms_sources(*aws); }).rfind(
                  "failed to import 'sops.aws-kms' data from sops decryption Secret 'apps/sops-keys': ", 0),
              0u)
        << error_of([&] { kms::add_flux_kms_sources(*aws); });
    auto azure = DecryptionKeys::from_entries({{"sops.azure-kv", "{\"tenantId\": \"t\"}"}}, "apps/sops-keys");
    EXPECT_EQ(error_of([&] { kms::add_flux_kms_sources(*azure); }),
              "failed to import 'sops.azure-kv' data from sops decryption Secret 'apps/sops-keys': invalid data: requires a 'clientId' "
              "field, a combination of 'tenantId', 'clientId' and 'clientSecret', or 'tenantId', 'clientId' and 'clientCertificate'");
    auto gcp = DecryptionKeys::from_entries({{"sops.gcp-kms", "[]"}}, "apps/sops-keys");
    EXPECT_EQ(error_of([&] { kms::add_flux_kms_sources(*gcp); }).rfind(
                  "failed to import 'sops.gcp-kms' data from sops decryption Secret 'apps/sops-keys': ", 0),
              0u);
}
