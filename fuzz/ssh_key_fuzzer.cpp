// SSH keys as age reads them: a private key file (openssh-key-v1 or PEM), and the same bytes as
// a public key line. A key that parses is then asked to open fixed ssh-ed25519 and ssh-rsa
// stanzas, as a tenant's file would make it.
#include "age/ssh_internal.hpp"
#include "fuzz_support.hpp"
#include "sopskit/age.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    fuzz::refusing_is_fine([&] {
        auto key = age::detail::parse_ssh_private_key(text);
        std::vector<age::detail::Stanza> stanzas{
            {"ssh-ed25519", {age::detail::ssh_fingerprint(key.pub.blob), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, std::string(32, 'x')},
            {"ssh-rsa", {age::detail::ssh_fingerprint(key.pub.blob)}, std::string(256, 'x')}};
        for (const auto& s : stanzas) {
            fuzz::refusing_is_fine([&] { (void)age::detail::ssh_ed25519_unwrap(s, key); });
            fuzz::refusing_is_fine([&] { (void)age::detail::ssh_rsa_unwrap(s, key); });
        }
    });
    fuzz::refusing_is_fine([&] { (void)age::detail::parse_ssh_authorized_key(text); });
    fuzz::refusing_is_fine([&] { (void)age::detail::parse_ssh_public_blob(text); });
    return 0;
}
