// Flux's postBuild substitution (flux_envsubst) on a tenant's text, and the Flux Kustomization
// manifest parser that reads spec.postBuild. The first byte chooses strict mode; a text with no
// "$" must come back unchanged.
#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "sopskit/envsubst.hpp"
#include "sopskit/flux_build.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const std::map<std::string, std::string> vars = {
        {"a", "hello/world.txt"}, {"b", ""}, {"n", "3"}, {"long", std::string(300, 'x') + "/y"}, {"u", "\xc3\xa9t\xff"}};
    const bool strict = data[0] & 1;
    std::string_view text = fuzz::text_of(data + 1, size - 1);
    fuzz::refusing_is_fine([&] {
        std::string out = flux_envsubst(text, vars, EnvsubstOptions{strict});
        if (text.find('$') == std::string_view::npos && text.find('\0') == std::string_view::npos && out != text) __builtin_trap();
    });
    fuzz::refusing_is_fine([&] { (void)FluxKustomizationSpec::from_manifest(text); });
    return 0;
}
