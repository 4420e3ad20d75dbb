// sopskit's OpenPGP message reader (lib/src/keys/openpgp/): the armor, the packet framing and
// the PKESKs of a whole message; SEIPD decryption with a fixed session key; and the packets
// inside decrypted data (compressed, literal) read directly, since a fuzzed SEIPD seldom passes
// its MDC. Refusing is fine (Error, of which Unsupported is one); nothing else may escape.
#include "fuzz_support.hpp"
#include "keys/openpgp/literal.hpp"
#include "keys/openpgp/message.hpp"
#include "keys/openpgp/seipd.hpp"

using namespace sopskit;
namespace pgp = sopskit::detail::openpgp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    fuzz::refusing_is_fine([&] {
        pgp::EncryptedMessage m = pgp::read_encrypted_message(text);
        if (m.recipients.empty()) __builtin_trap();
        pgp::SessionKey key{pgp::kAes128, SecureBytes(16)};
        (void)pgp::decrypt_seipd(m.encrypted_data, key);
    });
    fuzz::refusing_is_fine([&] { (void)pgp::read_literal_data(text); });
    return 0;
}
