// The build step's handling of a tenant's kustomization.yaml: the spec fields written into it
// (write_flux_kustomization), the root-bound reference check (check_build_references), then the
// same bytes as built resources through postBuild substitution and commonMetadata. The scratch
// root holds a component, a sub-kustomization and symlinks in and out of the root; every
// reference must be followed inside it or refused with sopskit::Error.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz_support.hpp"
#include "sopskit/flux_build.hpp"
#include "sopskit/format.hpp"

using namespace sopskit;
namespace fs = std::filesystem;

namespace {

struct ScratchRoot {
    std::string path;
    ScratchRoot() {
        fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        std::string tmpl = (base / "sopskit-fuzz-build-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
        fs::create_directories(path + "/comp");
        fs::create_directories(path + "/base");
        std::ofstream(path + "/comp/kustomization.yaml") << "kind: Component\n";
        std::ofstream(path + "/base/kustomization.yaml") << "resources: [../up/x, ../base, cm.yaml]\ntransformers: [t.yaml]\n";
        std::ofstream(path + "/base/t.yaml") << "kind: PatchTransformer\npath: ../../x\n";
        fs::create_symlink("../..", path + "/up");
        fs::create_symlink("/", path + "/abs");
    }
    ~ScratchRoot() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

const FluxKustomizationSpec& spec() {
    static const FluxKustomizationSpec s = FluxKustomizationSpec::from_manifest(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: f\n  namespace: ns\nspec:\n"
        "  targetNamespace: t\n  namePrefix: p-\n  components: [comp, missing]\n  ignoreMissingComponents: true\n"
        "  images:\n  - name: nginx\n    newTag: \"2\"\n  - name: redis\n    digest: sha256:00\n"
        "  patches:\n  - patch: '[]'\n    target:\n      kind: Deployment\n"
        "  commonMetadata:\n    labels:\n      team: a\n  postBuild:\n    substitute:\n      a: hello\n      n: \"3\"\n");
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const ScratchRoot root;
    std::string_view text = fuzz::text_of(data, size);
    std::ofstream(root.path + "/kustomization.yaml", std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
    fuzz::refusing_is_fine([&] { write_flux_kustomization(root.path, ".", spec()); });
    fuzz::refusing_is_fine([&] { check_build_references(root.path, ".", {true}); });
    fuzz::refusing_is_fine([&] {
        Branches docs = load_plain(Format::Yaml, text);
        substitute_resources(docs, spec(), load_substitution_variables(spec(), {}), {});
        apply_common_metadata(docs, spec());
    });
    return 0;
}
