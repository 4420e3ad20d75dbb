// Flux's build step around kustomize: the Kustomization spec, the generated kustomization.yaml,
// the root-bound references, postBuild substitution and commonMetadata (flux_build.hpp).
#include "sopskit/flux_build.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/base64.hpp"
#include "decryptor/root_folder.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/format.hpp"
#include "sopskit/secure.hpp"

namespace fs = std::filesystem;

namespace sopskit {

namespace {

constexpr const char* kKustomizationNames[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};
constexpr const char* kSubstituteKey = "kustomize.toolkit.fluxcd.io/substitute";
constexpr std::size_t kMaxWalk = 100000;  // kustomizations and files one check visits at most

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

StoreOptions kube_yaml() {
    StoreOptions o;
    o.yaml_timestamps = false;  // Kubernetes objects: timestamps are strings (Flux goes through JSON)
    o.yaml_indent = 2;
    return o;
}

const Value* at(const Value* v, std::string_view key) { return v && v->kind == Kind::Map ? v->find(key) : nullptr; }
const Value* at(const Branch& doc, std::string_view key) {
    for (const Item& i : doc)
        if (!i.is_comment() && i.key.kind == Kind::String && i.key.text == key) return &i.value;
    return nullptr;
}
Value* at_mut(Branch& doc, std::string_view key) {
    for (Item& i : doc)
        if (!i.is_comment() && i.key.kind == Kind::String && i.key.text == key) return &i.value;
    return nullptr;
}
std::string text_of(const Value* v) { return v && v->kind == Kind::String ? v->text : std::string(); }

// A YAML scalar as the text Kubernetes would hold ("3" for 3, "true" for true).
std::optional<std::string> scalar_text(const Value& v) {
    switch (v.kind) {
        case Kind::String:
        case Kind::Time: return v.text;
        case Kind::Int: return std::to_string(v.integer);
        case Kind::Bool: return std::string(v.boolean ? "true" : "false");
        default: return std::nullopt;
    }
}

std::optional<std::string> optional_string(const Value* spec, const char* field) {
    const Value* v = at(spec, field);
    if (!v || v->kind == Kind::Null) return std::nullopt;
    if (v->kind != Kind::String) fail(std::string(".spec.") + field + " accessor error: expected a string");
    return v->text;
}

std::map<std::string, std::string> string_map(const Value* m, const std::string& where) {
    std::map<std::string, std::string> out;
    if (!m || m->kind == Kind::Null) return out;
    if (m->kind != Kind::Map) fail(where + " accessor error: expected a map of strings");
    for (const Item& i : m->map) {
        if (i.is_comment()) continue;
        if (i.key.kind != Kind::String || i.value.kind != Kind::String)
            fail(where + "." + i.key.text + " accessor error: expected a string");
        out[i.key.text] = i.value.text;
    }
    return out;
}

std::vector<Value> map_list(const Value* l, const std::string& where) {
    std::vector<Value> out;
    if (!l || l->kind == Kind::Null) return out;
    if (l->kind != Kind::List) fail(where + " accessor error: expected a list");
    for (const Value& v : l->list) {
        if (v.is_comment()) continue;
        if (v.kind != Kind::Map) fail("unable to convert " + where + " entry " + std::to_string(out.size()) + " to a map");
        out.push_back(v);
    }
    return out;
}

// Kustomize's remote-base prefixes (repospec.go), which Flux also uses for components.
bool looks_remote(std::string_view p) {
    std::string lower(p.substr(0, 16));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view prefix : {"git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com:", "github.com/", "file://"})
        if (prefix.size() < p.size() && std::string_view(lower).starts_with(prefix)) return true;
    return p.find("://") != std::string_view::npos || p.find("?ref=") != std::string_view::npos;
}

// Flux's IsLocalRelativePath for spec.components.
bool is_local_relative(std::string_view p) {
    if (!p.empty() && p[0] == '/') return false;
    std::string lower(p);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("file://") && lower.size() > 7 && lower[7] == '/') return false;
    for (std::string_view prefix : {"git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com:", "github.com/"})
        if (prefix.size() < p.size() && std::string_view(lower).starts_with(prefix)) return false;
    return true;
}

std::string read_limited(const fs::path& p) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    if (ec) fail("cannot read " + p.filename().string() + ": " + ec.message());
    if (size > max_input_size()) fail(p.filename().string() + " is larger than the input limit (SOPSKIT_MAX_INPUT_SIZE)");
    std::ifstream in(p, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) fail("cannot read " + p.filename().string());
    return s;
}

std::optional<fs::path> kustomization_file(const fs::path& dir) {
    for (const char* name : kKustomizationNames) {
        std::error_code ec;
        fs::path p = dir / name;
        if (fs::is_regular_file(p, ec)) return p;
    }
    return std::nullopt;
}

bool inside(const fs::path& root, const fs::path& p) {
    auto r = root.lexically_normal().string(), s = p.lexically_normal().string();
    while (r.size() > 1 && r.back() == '/') r.pop_back();
    return s == r || (s.size() > r.size() && s.compare(0, r.size(), r) == 0 && s[r.size()] == '/');
}

// ---- the generated kustomization (findOrGenerateKustomization / scanManifests) ----

// Every .yaml/.yml file below `dir` in walk order, and each sub-folder holding a kustomization
// as one entry (not descended into); each file must read as YAML.
void scan_manifests(const fs::path& dir, const fs::path& base, std::vector<std::string>& out, std::size_t& seen) {
    std::vector<fs::directory_entry> entries;
    for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e);
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path().filename().string() < b.path().filename().string(); });
    for (const auto& e : entries) {
        if (++seen > kMaxWalk) fail("more than " + std::to_string(kMaxWalk) + " files to scan for the generated kustomization");
        std::string rel = "./" + e.path().lexically_relative(base).string();
        if (e.is_symlink() ? false : e.is_directory()) {
            if (kustomization_file(e.path())) {
                out.push_back(rel);
                continue;
            }
            scan_manifests(e.path(), base, out, seen);
            continue;
        }
        std::string ext = e.path().extension().string();
        if (ext != ".yaml" && ext != ".yml") continue;
        std::string text = read_limited(e.path());
        Branches docs;
        try {
            docs = load_plain(Format::Yaml, text, kube_yaml());
        } catch (const Error&) {
            fail("failed to decode Kubernetes YAML from " + rel.substr(2) + ": not valid YAML");
        }
        // kyaml's GetMeta: a document with none of apiVersion, kind and metadata is not an object
        // (a Helm values.yaml, a .sops.yaml): Flux stops here rather than list it.
        for (const Branch& d : docs) {
            auto present = [&](const char* f) {
                const Value* v = at(d, f);
                return v && v->kind != Kind::Null && !(v->kind == Kind::String && v->text.empty()) &&
                       !(v->kind == Kind::Map && v->map.empty());
            };
            if (!d.empty() && !present("apiVersion") && !present("kind") && !present("metadata"))
                fail("failed to decode Kubernetes YAML from " + rel.substr(2) + ": missing Resource metadata");
        }
        out.push_back(rel);
    }
}

void set_key(Branch& doc, const std::string& key, Value v) {
    if (Value* old = at_mut(doc, key)) {
        *old = std::move(v);
        return;
    }
    doc.push_back(Item{Value::string(key), std::move(v)});
}

Value& list_at(Branch& doc, const std::string& key) {
    Value* v = at_mut(doc, key);
    if (!v || v->kind != Kind::List) {
        set_key(doc, key, Value::empty_list());
        v = at_mut(doc, key);
    }
    return *v;
}

// A spec.patches entry as kustomize's Patch: the inline patch and the target selector.
Value kustomize_patch(const Value& p) {
    Value out = Value::empty_map();
    if (const Value* patch = at(&p, "patch"); patch && patch->kind == Kind::String)
        out.map.push_back(Item{Value::string("patch"), *patch});
    if (const Value* target = at(&p, "target"); target && target->kind == Kind::Map) {
        Value t = Value::empty_map();
        for (const char* f : {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"})
            if (const Value* v = at(target, f); v && v->kind == Kind::String && !v->text.empty())
                t.map.push_back(Item{Value::string(f), *v});
        out.map.push_back(Item{Value::string("target"), std::move(t)});
    }
    return out;
}

// Flux merges an image already named in the kustomization field by field: newName when given;
// newTag and digest together when either is given.
void merge_image(Value& images, const Value& spec_image) {
    std::string name = text_of(at(&spec_image, "name"));
    auto field = [&](const char* f) { return text_of(at(&spec_image, f)); };
    auto put = [](Value& m, const char* f, const std::string& v) {
        if (Value* old = m.find(f)) {
            if (v.empty()) {
                std::erase_if(m.map, [&](const Item& i) { return i.key.kind == Kind::String && i.key.text == f; });
                return;
            }
            *old = Value::string(v);
        } else if (!v.empty()) {
            m.map.push_back(Item{Value::string(f), Value::string(v)});
        }
    };
    for (Value& existing : images.list) {
        if (existing.kind != Kind::Map || text_of(existing.find("name")) != name) continue;
        if (!field("newName").empty()) put(existing, "newName", field("newName"));
        if (!field("newTag").empty() || !field("digest").empty()) {
            put(existing, "newTag", field("newTag"));
            put(existing, "digest", field("digest"));
        }
        return;
    }
    Value img = Value::empty_map();
    for (const char* f : {"name", "newName", "newTag", "digest"}) put(img, f, field(f));
    images.list.push_back(std::move(img));
}

// ---- root-bound references ----

bool is_path_field(std::string_view key) {
    static const std::set<std::string_view> fields = {
        "resources", "components", "bases", "crds", "configurations", "generators", "transformers", "validators",
        "patchesStrategicMerge", "path", "paths", "files", "envs", "env", "chartHome", "valuesFile", "additionalValuesFiles"};
    return fields.count(key) > 0;
}
bool is_base_field(std::string_view key) { return key == "resources" || key == "components" || key == "bases"; }
bool is_config_field(std::string_view key) { return key == "generators" || key == "transformers" || key == "validators"; }

class ReferenceCheck {
public:
    ReferenceCheck(fs::path root, bool no_remote) : root_(std::move(root)), no_remote_(no_remote) {}

    void run(const fs::path& dir) {
        todo_.push_back({dir, true, dir});
        while (!todo_.empty()) {
            Pending p = todo_.back();
            todo_.pop_back();
            std::error_code ec;
            fs::path canon = fs::weakly_canonical(p.path, ec);
            if (ec || !seen_.insert(canon.string()).second) continue;
            if (seen_.size() > kMaxWalk) fail("more than " + std::to_string(kMaxWalk) + " kustomizations to check");
            fs::path file = p.path;
            if (p.is_dir) {
                auto k = kustomization_file(p.path);
                if (!k) continue;  // kustomize reports it
                file = *k;
            }
            Branches docs;
            try {
                docs = load_plain(Format::Yaml, read_limited(file), kube_yaml());
            } catch (const Error&) {
                continue;  // kustomize reports it, with its own message
            }
            shown_ = file.lexically_relative(root_).string();
            // Paths in a generator or transformer config are relative to the kustomization naming it.
            for (const Branch& d : docs)
                for (const Item& i : d) visit(i, p.is_dir ? p.path : p.base, 0);
        }
    }

private:
    void visit(const Item& item, const fs::path& dir, int depth) {
        if (item.is_comment() || depth > 16) return;
        const std::string& key = item.key.kind == Kind::String ? item.key.text : std::string();
        if (is_path_field(key)) {
            if (item.value.kind == Kind::String) check(key, item.value.text, dir);
            if (item.value.kind == Kind::List)
                for (const Value& v : item.value.list)
                    if (v.kind == Kind::String) check(key, v.text, dir);
        }
        walk_value(item.value, dir, depth);
    }
    void walk_value(const Value& v, const fs::path& dir, int depth) {
        if (v.kind == Kind::Map)
            for (const Item& i : v.map) visit(i, dir, depth + 1);
        if (v.kind == Kind::List)
            for (const Value& e : v.list) walk_value(e, dir, depth + 1);
    }

    void check(std::string_view key, std::string ref, const fs::path& dir) {
        if (ref.find('\n') != std::string::npos || ref.empty()) return;  // an inline patch
        if (key == "files" || key == "envs" || key == "env") {
            auto eq = ref.find('=');  // key=path
            if (key == "files" && eq != std::string::npos) ref = ref.substr(eq + 1);
        }
        std::error_code ec;
        if (looks_remote(ref) && !fs::exists(dir / ref, ec)) {
            const bool loads = is_base_field(key) || is_config_field(key);
            // kustomize clones a file:// URL from this machine's disk: never the tenant's to name.
            if (loads && ref.find("file://") != std::string::npos)
                fail("'" + ref + "' in " + shown_ + " names a git repository outside the repository root");
            if (no_remote_ && loads) fail("remote bases are not allowed (--no-remote-bases): '" + ref + "' in " + shown_);
            return;  // kustomize fetches it (a remote patch file is refused by kustomize itself)
        }
        if (ref.front() == '/')
            fail("absolute path '" + ref + "' in " + shown_ + ": paths must be relative and stay inside the repository root");
        // Symlinks resolved as the kernel will resolve them for kustomize (the copy's links all
        // point inside it), then `..` applied: the result must stay inside the root.
        fs::path target = fs::weakly_canonical(dir / ref, ec);
        if (ec) target = (dir / ref).lexically_normal();
        if (!inside(root_, target) || !inside(root_, (dir / ref).lexically_normal()))
            fail("path '" + ref + "' in " + shown_ + " leaves the repository root");
        if ((is_base_field(key) || is_config_field(key)) && fs::is_directory(target, ec)) todo_.push_back({target, true, target});
        if (is_config_field(key) && fs::is_regular_file(target, ec)) todo_.push_back({target, false, dir});
    }

    fs::path root_;
    bool no_remote_;
    std::string shown_;
    struct Pending {
        fs::path path;
        bool is_dir;
        fs::path base;  // the folder its relative paths start from
    };
    std::vector<Pending> todo_;
    std::set<std::string> seen_;
};

// kustomize's GVK string: Kind.version.group, "[noGrp]" for the core group.
std::string resource_name(const Branch& doc) {
    std::string api = text_of(at(doc, "apiVersion")), kind = text_of(at(doc, "kind"));
    auto slash = api.find('/');
    std::string group = slash == std::string::npos ? "[noGrp]" : api.substr(0, slash);
    std::string version = slash == std::string::npos ? api : api.substr(slash + 1);
    return kind + "." + version + "." + group + "/" + text_of(at(at(doc, "metadata"), "name"));
}

bool substitution_disabled(const Branch& doc) {
    const Value* md = at(doc, "metadata");
    return text_of(at(at(md, "labels"), kSubstituteKey)) == "disabled" ||
           text_of(at(at(md, "annotations"), kSubstituteKey)) == "disabled";
}

// Flux's varsubRegex ^[_[:alpha:]][_[:alpha:][:digit:]]*$.
bool valid_var_name(std::string_view n) {
    if (n.empty()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(n[i]);
        bool ok = c == '_' || std::isalpha(c) || (i > 0 && std::isdigit(c));
        if (!ok) return false;
    }
    return true;
}

}  // namespace

FluxKustomizationSpec FluxKustomizationSpec::from_manifest(std::string_view yaml) {
    Branches docs = load_plain(Format::Yaml, yaml, kube_yaml());
    const Branch* ks = nullptr;
    for (const Branch& d : docs)
        if (text_of(at(d, "kind")) == "Kustomization" && text_of(at(d, "apiVersion")).starts_with("kustomize.toolkit.fluxcd.io/")) {
            ks = &d;
            break;
        }
    if (!ks) fail("no Kustomization of kustomize.toolkit.fluxcd.io in the manifest");
    FluxKustomizationSpec s;
    const Value* md = at(*ks, "metadata");
    s.name = text_of(at(md, "name"));
    s.ns = text_of(at(md, "namespace"));
    const Value* spec = at(*ks, "spec");
    if (spec && spec->kind != Kind::Map) fail(".spec accessor error: expected a map");
    s.path = optional_string(spec, "path");
    s.target_namespace = optional_string(spec, "targetNamespace");
    s.name_prefix = optional_string(spec, "namePrefix");
    s.name_suffix = optional_string(spec, "nameSuffix");
    s.patches = map_list(at(spec, "patches"), ".spec.patches");
    s.images = map_list(at(spec, "images"), ".spec.images");
    if (const Value* c = at(spec, "components"); c && c->kind != Kind::Null) {
        if (c->kind != Kind::List) fail(".spec.components accessor error: expected a list of strings");
        for (const Value& v : c->list) {
            if (v.is_comment()) continue;
            if (v.kind != Kind::String) fail(".spec.components accessor error: expected a list of strings");
            s.components.push_back(v.text);
        }
    }
    if (const Value* b = at(spec, "ignoreMissingComponents"); b && b->kind == Kind::Bool) s.ignore_missing_components = b->boolean;
    const Value* meta = at(spec, "commonMetadata");
    s.common_labels = string_map(at(meta, "labels"), ".spec.commonMetadata.labels");
    s.common_annotations = string_map(at(meta, "annotations"), ".spec.commonMetadata.annotations");
    if (const Value* pb = at(spec, "postBuild"); pb && pb->kind != Kind::Null) {
        if (pb->kind != Kind::Map) fail(".spec.postBuild accessor error: expected a map");
        s.post_build = true;
        s.substitute_always = text_of(at(pb, "substituteStrategy")) == "Always";
        s.substitute = string_map(at(pb, "substitute"), ".spec.postBuild.substitute");
        for (const Value& r : map_list(at(pb, "substituteFrom"), ".spec.postBuild.substituteFrom")) {
            SubstituteReference ref{text_of(at(&r, "kind")), text_of(at(&r, "name")), false};
            if (const Value* o = at(&r, "optional"); o && o->kind == Kind::Bool) ref.optional = o->boolean;
            if (ref.kind != "ConfigMap" && ref.kind != "Secret")
                fail(".spec.postBuild.substituteFrom: kind '" + ref.kind + "' is not ConfigMap or Secret");
            if (ref.name.empty()) fail(".spec.postBuild.substituteFrom: a reference without a name");
            s.substitute_from.push_back(std::move(ref));
        }
    }
    return s;
}

void copy_root_for_build(const std::string& root_in, const std::string& dest) {
    const fs::path root = fs::canonical(root_in);
    phase1::RootFolder folder(root.string());
    fs::create_directory(dest);
    std::size_t seen = 0;
    // Folder symlinks are not descended into (they are links in the copy too).
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        if (++seen > 10 * kMaxWalk) fail("more than " + std::to_string(10 * kMaxWalk) + " files in the repository");
        const fs::path rel = it->path().lexically_relative(root);
        const fs::path to = fs::path(dest) / rel;
        if (it->is_symlink()) {
            phase1::Found f = folder.resolve(rel.string());
            // Nothing there: a link that stays dangling (beside the copy, in its private folder),
            // so reading it fails as reading the clamped path fails in Flux.
            fs::create_symlink(f.exists() ? fs::path(dest) / f.rel : fs::path(dest).parent_path() / ".missing-link-target", to);
        } else if (it->is_directory()) {
            fs::create_directory(to);
        } else if (it->is_regular_file()) {
            fs::copy_file(it->path(), to);
        }  // sockets, FIFOs and devices are not repository content
    }
}

void write_flux_kustomization(const std::string& root_in, const std::string& dir_rel, const FluxKustomizationSpec& spec) {
    const fs::path root = fs::canonical(root_in);
    const fs::path dir = (root / dir_rel).lexically_normal();
    Branch k;
    fs::path kfile;
    if (auto existing = kustomization_file(dir)) {
        kfile = *existing;
        Branches docs;
        try {
            docs = load_plain(Format::Yaml, read_limited(kfile), kube_yaml());
        } catch (const Error& e) {
            fail("failed to read " + kfile.filename().string() + ": " + e.what());
        }
        if (!docs.empty()) k = std::move(docs.front());
        const Value* res = at(k, "resources");
        if (!res || res->kind != Kind::List || res->list.empty())
            set_key(k, "buildMetadata", [] {  // Flux's guard against "kustomization.yaml is empty"
                Value l = Value::empty_list();
                l.list.push_back(Value::string("originAnnotations"));
                return l;
            }());
    } else {
        kfile = dir / "kustomization.yaml";
        std::vector<std::string> files;
        std::size_t seen = 0;
        scan_manifests(dir, dir, files, seen);
        k.push_back(Item{Value::string("apiVersion"), Value::string("kustomize.config.k8s.io/v1beta1")});
        k.push_back(Item{Value::string("kind"), Value::string("Kustomization")});
        if (files.empty()) {
            k.push_back(Item{Value::string("namespace"), Value::string("_placeholder")});
        } else {
            Value list = Value::empty_list();
            for (auto& f : files) list.list.push_back(Value::string(std::move(f)));
            k.push_back(Item{Value::string("resources"), std::move(list)});
        }
    }
    if (spec.target_namespace) set_key(k, "namespace", Value::string(*spec.target_namespace));
    if (spec.name_prefix) set_key(k, "namePrefix", Value::string(*spec.name_prefix));
    if (spec.name_suffix) set_key(k, "nameSuffix", Value::string(*spec.name_suffix));
    for (const Value& p : spec.patches) list_at(k, "patches").list.push_back(kustomize_patch(p));
    for (const std::string& c : spec.components) {
        if (!is_local_relative(c)) fail("component path '" + c + "' must be local and relative");
        std::error_code ec;
        fs::path target = (dir / c).lexically_normal();
        if (!inside(root, target)) fail("component path '" + c + "' leaves the repository root");
        if (spec.ignore_missing_components && !fs::exists(target, ec)) continue;
        list_at(k, "components").list.push_back(Value::string(c));
    }
    for (const Value& img : spec.images) merge_image(list_at(k, "images"), img);
    std::string out = emit_plain(Format::Yaml, Branches{k}, kube_yaml());
    // Replaces the entry (a symlink there is replaced, not followed; the copy has no outside links).
    std::error_code ec;
    fs::remove(kfile, ec);
    std::ofstream(kfile, std::ios::binary | std::ios::trunc) << out;
}

void check_build_references(const std::string& root, const std::string& dir, const BuildReferenceOptions& opts) {
    const fs::path r = fs::canonical(root);
    ReferenceCheck(r, opts.no_remote_bases).run((r / dir).lexically_normal());
}

std::map<std::string, std::string> load_substitution_variables(const FluxKustomizationSpec& spec, const Branches& sources) {
    std::map<std::string, std::string> vars;
    auto strip = [](std::string v) {
        std::erase(v, '\n');
        return v;
    };
    for (const SubstituteReference& ref : spec.substitute_from) {
        const Branch* found = nullptr;
        for (const Branch& d : sources) {
            const Value* md = at(d, "metadata");
            std::string ns = text_of(at(md, "namespace"));
            if (text_of(at(d, "kind")) == ref.kind && text_of(at(md, "name")) == ref.name &&
                (ns.empty() || spec.ns.empty() || ns == spec.ns))
                found = &d;
        }
        const std::string what = "substitute from '" + ref.kind + "/" + ref.name + "' error: ";
        if (!found) {
            if (ref.optional) continue;
            fail(what + (ref.kind == "Secret" ? "secrets" : "configmaps") + " \"" + ref.name + "\" not found");
        }
        if (ref.kind == "ConfigMap") {
            if (const Value* data = at(*found, "data"); data && data->kind == Kind::Map)
                for (const Item& i : data->map)
                    if (auto t = scalar_text(i.value); t && !i.is_comment()) vars[i.key.text] = strip(*t);
            continue;
        }
        if (const Value* data = at(*found, "data"); data && data->kind == Kind::Map)
            for (const Item& i : data->map) {
                if (i.is_comment() || i.value.kind != Kind::String) continue;
                auto plain = detail::base64_decode(i.value.text);
                if (!plain) fail(what + "illegal base64 data in key '" + i.key.text + "'");
                vars[i.key.text] = strip(*plain);
                wipe(*plain);
            }
        if (const Value* data = at(*found, "stringData"); data && data->kind == Kind::Map)  // the API server merges it into data
            for (const Item& i : data->map)
                if (auto t = scalar_text(i.value); t && !i.is_comment()) vars[i.key.text] = strip(*t);
    }
    for (const auto& [k, v] : spec.substitute) vars[k] = strip(v);
    return vars;
}

void substitute_resources(Branches& resources, const FluxKustomizationSpec& spec, const std::map<std::string, std::string>& vars,
                          const EnvsubstOptions& opts) {
    if (!spec.post_build || (vars.empty() && !spec.substitute_always)) return;
    for (const auto& [name, value] : vars)
        if (!valid_var_name(name))
            fail("post build failed: '" + name + "' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'");
    const StoreOptions o = kube_yaml();
    for (Branch& doc : resources) {
        if (doc.empty() || substitution_disabled(doc)) continue;
        const std::string where = "post build failed for '" + resource_name(doc) + "': ";
        std::string text = emit_plain(Format::Yaml, Branches{doc}, o), out;
        try {
            out = flux_envsubst(text, vars, opts);
        } catch (const Error& e) {
            wipe(text);
            fail(where + "envsubst error: variable substitution failed: " + e.what());
        }
        wipe(text);
        Branches back;
        try {
            back = load_plain(Format::Yaml, out, o);
        } catch (const Error&) {
            wipe(out);  // the parser's message may quote the text: never shown
            fail(where + "envsubst error: YAMLToJSON: the substituted resource is not valid YAML");
        }
        wipe(out);
        if (back.empty() || back.front().empty()) fail(where + "UnmarshalJSON: the substituted resource is empty");
        doc = std::move(back.front());
    }
}

void apply_common_metadata(Branches& resources, const FluxKustomizationSpec& spec) {
    if (spec.common_labels.empty() && spec.common_annotations.empty()) return;
    for (Branch& doc : resources) {
        if (doc.empty()) continue;
        Value* md = at_mut(doc, "metadata");
        if (!md || md->kind != Kind::Map) {
            set_key(doc, "metadata", Value::empty_map());
            md = at_mut(doc, "metadata");
        }
        auto merge = [&](const char* field, const std::map<std::string, std::string>& add) {
            if (add.empty()) return;
            Value* m = md->find(field);
            if (!m || m->kind != Kind::Map) {
                if (!m) {
                    md->map.push_back(Item{Value::string(field), Value::empty_map()});
                    m = &md->map.back().value;
                } else {
                    *m = Value::empty_map();
                }
            }
            for (const auto& [k, v] : add) {
                if (Value* old = m->find(k))
                    *old = Value::string(v);
                else
                    m->map.push_back(Item{Value::string(k), Value::string(v)});
            }
        };
        merge("labels", spec.common_labels);
        merge("annotations", spec.common_annotations);
    }
}

}  // namespace sopskit
