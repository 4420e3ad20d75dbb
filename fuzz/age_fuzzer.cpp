// An age file (armor, header, stanzas, header MAC, STREAM payload) against a fixed X25519
// identity, as the `enc` of an age key in a tenant's file is.
#include "fuzz_support.hpp"
#include "sopskit/age.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const age::IdentitySet ids = [] {
        age::IdentitySet set;
        set.add(age::X25519Identity::from_secret(SecureBytes::from(std::string(32, '\x42'))));
        return set;
    }();
    fuzz::refusing_is_fine([&] { (void)age::decrypt(fuzz::text_of(data, size), ids); });
    return 0;
}
