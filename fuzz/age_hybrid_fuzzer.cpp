// The post-quantum hybrid parsers, chosen by the first byte: 0 an age1pq1 recipient (and a
// wrap to it when valid), 1 an identity line / keys text, 2 an age file against a fixed hybrid
// identity (mlkem768x25519 stanza decoding), 3 raw ML-KEM-768 keys and ciphertexts.
#include "fuzz_support.hpp"
#include "mlkem/mlkem768.hpp"
#include "sopskit/age.hpp"

using namespace sopskit;

namespace {

// The identity of the C2SP hybrid vectors (a published test key), so the seed corpus, made of
// those vectors, reaches the HPKE and payload code rather than stopping at "no match".
constexpr const char* kVectorIdentity = "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const age::IdentitySet ids = [] {
        age::IdentitySet set;
        set.add(age::HybridIdentity::parse(kVectorIdentity));
        return set;
    }();
    static const mlkem::KeyPair kp = mlkem::keygen_from_seed(std::string(32, '\x01'), std::string(32, '\x02'));
    std::string_view in = fuzz::text_of(data + 1, size - 1);
    switch (data[0] % 4) {
        case 0:
            if (age::is_valid_recipient(in)) fuzz::refusing_is_fine([&] { (void)age::encrypt("x", {std::string(in)}, false); });
            break;
        case 1:
            fuzz::refusing_is_fine([&] { (void)age::HybridIdentity::parse(in); });
            fuzz::refusing_is_fine([&] {
                age::IdentitySet set;
                set.add_from_text(in);
            });
            break;
        case 2:
            fuzz::refusing_is_fine([&] { (void)age::decrypt(in, ids); });
            break;
        default:
            // As a ciphertext for the fixed key, then as an encapsulation or decapsulation key.
            fuzz::refusing_is_fine([&] { (void)mlkem::decapsulate(kp.decapsulation_key.view(), in); });
            fuzz::refusing_is_fine([&] { (void)mlkem::encapsulate(in); });
            fuzz::refusing_is_fine([&] { (void)mlkem::decapsulate(in, std::string(mlkem::kCiphertextSize, '\0')); });
            break;
    }
    return 0;
}
