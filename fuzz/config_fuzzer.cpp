// .sops.yaml: parse, then pick the creation rule and the destination rule (publish) for a fixed
// path (compiles every path_regex).
#include "fuzz_support.hpp"
#include "sopskit/config.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::refusing_is_fine([&] {
        SopsConfig cfg = parse_config(fuzz::text_of(data, size), "/fuzz/.sops.yaml");
        fuzz::refusing_is_fine([&] { (void)destination_rule_for(cfg, "/fuzz/clusters/prod/secret.yaml"); });
        (void)creation_rule_for(cfg, "/fuzz/clusters/prod/secret.yaml");
    });
    return 0;
}
