// The ENC[AES256_GCM,...] envelope. Also a differential check: the hand-written fast path
// must accept and split an envelope exactly as sops' RE2 pattern does.
#include <re2/re2.h>

#include "core/base64.hpp"
#include "fuzz_support.hpp"
#include "sopskit/cipher.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const SecureBytes key = SecureBytes::from(std::string(32, 'k'));
    static const ValueCipher cipher(key);
    std::string_view text = fuzz::text_of(data, size);
    fuzz::refusing_is_fine([&] { (void)cipher.decrypt(text, "a:b:"); });

    static const RE2 pattern(R"(^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\])");
    std::string iv;
    bool matches = RE2::PartialMatch(text, pattern, nullptr, &iv);
    if (matches != ValueCipher::is_envelope(text)) __builtin_trap();
    if (matches && ValueCipher::envelope_iv(text) != detail::base64_decode(iv).value_or("")) __builtin_trap();
    return 0;
}
