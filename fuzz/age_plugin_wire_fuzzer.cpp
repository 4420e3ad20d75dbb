// What an age plugin sends back: the stanza stream read as sopskit reads it from the pipe, in
// pieces of every size, and plugin names in recipients and identities.
#include "age/plugin_internal.hpp"
#include "fuzz_support.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    fuzz::refusing_is_fine([&] {
        // Fed in growing prefixes, as recv() hands them over: every partial read either waits
        // for more or yields the same stanzas.
        std::string buffer;
        std::size_t pos = 0, step = size % 7 + 1;
        for (std::size_t at = 0; at < size; at += step) {
            buffer.append(text.substr(at, step));
            while (auto s = age::detail::read_plugin_stanza(buffer, pos)) {
                if (pos > buffer.size()) __builtin_trap();
            }
        }
    });
    (void)age::detail::plugin_name_of_recipient(text);
    (void)age::detail::plugin_name_of_identity(text);
    return 0;
}
