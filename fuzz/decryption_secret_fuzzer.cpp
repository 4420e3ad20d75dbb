// The Flux decryption Secret manifest read from the cluster (age keys, tokens; PGP entries
// start a GnuPG import, so inputs naming *.asc are skipped to keep the target fast), also as
// several Secret documents and as the controller's global age Secret.
#include "fuzz_support.hpp"
#include "sopskit/decryptor.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    if (text.find(".asc") != std::string_view::npos) return 0;
    fuzz::refusing_is_fine([&] { (void)DecryptionKeys::from_secret_manifest(text); });
    fuzz::refusing_is_fine([&] { (void)DecryptionKeys::from_secret_manifests({std::string(text), std::string(text)}); });
    fuzz::refusing_is_fine([&] { (void)DecryptionKeys::from_global_age_secret_manifest(text); });
    return 0;
}
