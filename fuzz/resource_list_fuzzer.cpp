// What the controller decrypts: a KRM ResourceList (and so every resource in a build's
// stream), with an age key that opens nothing in the input.
#include "fuzz_support.hpp"
#include "sopskit/age.hpp"
#include "sopskit/decryptor.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Decryptor decryptor(
        DecryptionKeys::from_entries(
            {{"fuzz.agekey", age::X25519Identity::from_secret(SecureBytes::from(std::string(32, '\x42'))).encode() + "\n"}},
            "flux-system/fuzz"),
        DecryptorOptions{false, nullptr, 1});
    fuzz::refusing_is_fine([&] { (void)decryptor.decrypt_resource_list(fuzz::text_of(data, size)); });
    return 0;
}
