// A Notation trust policy file given to `create secret notation`: Go-style JSON syntax check,
// decoding into the Document shape, notation-go's Validate and go-ldap's DN parser.
#include "fuzz_support.hpp"
#include "sopskit/git_secret.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sopskit::fuzz::refusing_is_fine([&] { sopskit::validate_notation_trust_policy(sopskit::fuzz::text_of(data, size), "fuzz.json"); });
    return 0;
}
