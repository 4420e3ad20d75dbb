// The reader of gpg's status lines (lib/src/keys/gpg_status.cpp), which decides whether a PGP
// data key was decrypted. Besides not crashing: text without the status prefix reports
// nothing, and reading the text twice over counts NO_SECKEY twice and keeps the flags.
#include "fuzz_support.hpp"
#include "keys/gpg_status.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    detail::GpgStatus once = detail::parse_gpg_status(text);
    if (text.find("[GNUPG:] ") == std::string_view::npos &&
        (once.decryption_okay || once.end_encryption || once.no_seckey || once.bad_passphrase || once.invalid_recipient || once.error))
        __builtin_trap();
    if (!text.empty() && text.back() == '\n') {
        std::string twice = std::string(text) + std::string(text);
        detail::GpgStatus both = detail::parse_gpg_status(twice);
        if (both.no_seckey != 2 * once.no_seckey || both.decryption_okay != once.decryption_okay ||
            both.bad_passphrase != once.bad_passphrase || both.error != once.error)
            __builtin_trap();
    }
    return 0;
}
