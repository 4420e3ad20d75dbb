// Flux's build step around kustomize (kustomize-controller's generator and post-build):
//
//   auto spec = FluxKustomizationSpec::from_manifest(ks_yaml);        // --kustomization ks.yaml
//   copy_root_for_build(repo, work);                                  // symlinks clamped inside
//   write_flux_kustomization(work, "apps", spec);                     // generate / apply spec
//   check_build_references(work, "apps", {.no_remote_bases = true});  // nothing outside the root
//   ... phase 1, `kubectl kustomize --load-restrictor LoadRestrictionsNone`, phase 2 ...
//   substitute_resources(docs, spec, load_substitution_variables(spec, from_docs), {});
//   apply_common_metadata(docs, spec);
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/envsubst.hpp"
#include "sopskit/tree.hpp"

namespace sopskit {

struct SubstituteReference {
    std::string kind;  // ConfigMap or Secret
    std::string name;
    bool optional = false;
};

// The fields of a Flux Kustomization (kustomize.toolkit.fluxcd.io) that change what is built.
struct FluxKustomizationSpec {
    std::string name, ns;                 // metadata
    std::optional<std::string> path;      // spec.path, relative to the source root
    std::optional<std::string> target_namespace, name_prefix, name_suffix;
    std::vector<Value> patches;           // spec.patches: {patch, target}
    std::vector<Value> images;            // spec.images: {name, newName, newTag, digest}
    std::vector<std::string> components;
    bool ignore_missing_components = false;
    std::map<std::string, std::string> common_labels, common_annotations;
    bool post_build = false;              // spec.postBuild is set
    bool substitute_always = false;       // substituteStrategy: Always
    std::map<std::string, std::string> substitute;
    std::vector<SubstituteReference> substitute_from;

    // The first document of kind Kustomization in group kustomize.toolkit.fluxcd.io. Throws
    // Error naming the field for a wrong shape.
    static FluxKustomizationSpec from_manifest(std::string_view yaml);
};

// A work copy of the repository at `root` in `dest` (which must not exist): folders and regular
// files copied, each symlink re-pointed at what Flux's secure file system would reach (its
// target resolved inside the root, as securejoin does) or left dangling when that is nothing.
void copy_root_for_build(const std::string& root, const std::string& dest);

// kustomize-controller's Generator.WriteFile on the work copy `root`: `dir` (relative to it)
// gets a generated kustomization.yaml when it has none (every .yaml/.yml below it, and each
// sub-folder holding a kustomization as one entry), and the spec's targetNamespace,
// namePrefix/nameSuffix, patches, images and components are written into it.
void write_flux_kustomization(const std::string& root, const std::string& dir, const FluxKustomizationSpec& spec);

struct BuildReferenceOptions {
    bool no_remote_bases = false;  // the controller's --no-remote-bases
};
// Flux builds with a file system that cannot leave the root; `kubectl kustomize` has no such
// mode. So every path reference of the kustomizations reached from `dir` (resources,
// components, generator files, patches, ...) is checked before the build: a path climbing out
// of the root or an absolute path is refused, and so is a remote base when asked.
void check_build_references(const std::string& root, const std::string& dir, const BuildReferenceOptions& opts);

// The postBuild variables: each substituteFrom reference looked up in `sources` (ConfigMap and
// Secret documents, already decrypted) in order, then spec.postBuild.substitute over them.
// Newlines are removed from values, as Flux does.
std::map<std::string, std::string> load_substitution_variables(const FluxKustomizationSpec& spec, const Branches& sources);

// Flux's SubstituteVariables on every built resource: skipped without spec.postBuild, without
// variables (unless substituteStrategy is Always) and on resources labelled or annotated
// kustomize.toolkit.fluxcd.io/substitute: disabled; otherwise the resource's YAML text is
// substituted and read back (so a value can change a scalar's type, as in Flux).
void substitute_resources(Branches& resources, const FluxKustomizationSpec& spec,
                          const std::map<std::string, std::string>& vars, const EnvsubstOptions& opts);

// spec.commonMetadata: labels and annotations set on every resource (over existing keys).
void apply_common_metadata(Branches& resources, const FluxKustomizationSpec& spec);

}  // namespace sopskit
