// Phase 1: decrypting secretGenerator and patch sources in place before kustomize runs,
// walking the kustomizations as Flux's kustomize-controller does (DecryptSources), with every
// path resolved inside the root and every file touched through folder descriptors
// (root_folder.hpp): no `..`, symlink or concurrent swap reaches outside the root.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include "decryptor/decryptor_internal.hpp"
#include "decryptor/root_folder.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace fs = std::filesystem;

namespace sopskit {

namespace {

using phase1::Found;
using phase1::RootFolder;

constexpr std::uintmax_t kMaxFileSize = 5u << 20;  // Flux's 5 MiB limit
constexpr std::size_t kMaxKustomizations = 100000;  // folders one walk visits at most (docs/security.md)
constexpr const char* kKustomizationNames[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

// Go's url.Parse(p) succeeding with both a scheme and a host, as Flux's isRemoteURL asks:
// "https://host/x" is remote, "file:///x" (no host) and "a/b" are paths.
bool is_remote_url(std::string_view p) {
    for (char ch : p)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return false;  // url.Parse refuses control bytes
    std::size_t colon = p.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    for (std::size_t i = 0; i < colon; ++i) {
        char ch = p[i];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (!alpha && (i == 0 || !((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))) return false;
    }
    std::string_view rest = p.substr(colon + 1);
    if (!rest.starts_with("//")) return false;
    std::string_view authority = rest.substr(2);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    auto at = authority.rfind('@');
    std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
    return !host.empty();
}

// Go's lowercase errno texts, as Flux's messages print them.
std::string errno_text(int e) {
    switch (e) {
        case ENOENT: return "no such file or directory";
        case ENOTDIR: return "not a directory";
        case ENAMETOOLONG: return "file name too long";
        default: return std::strerror(e);
    }
}

std::string canonical_path(const std::string& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    if (ec) throw Error(ErrorCode::Generic, "cannot resolve '" + p + "': " + ec.message());
    return c.string();
}

const Value* get(const Value& m, std::string_view k) { return m.kind == Kind::Map ? m.find(k) : nullptr; }

// Flux keeps each kustomization's path as written (joined, cleaned, maybe absolute) and
// resolves it against the root only to look things up.
std::string flux_join(const std::string& base, const std::string& entry) {
    if (!entry.empty() && entry.front() == '/') return entry;
    return phase1::clean_path(base + "/" + entry);
}

using DecryptFile = std::function<void(const RootFolder&, const Found&, Format)>;

// recurseKustomizationFiles as a loop: an explicit stack (no recursion, so a long chain of
// kustomizations cannot exhaust the stack), popped in the order Flux's depth-first walk takes.
class SourceWalker {
public:
    SourceWalker(std::string root, DecryptFile decrypt) : root_(std::move(root)), folder_(root_), decrypt_(std::move(decrypt)) {}

    void walk(const std::string& spec_path) {
        std::vector<Pending> todo{{spec_path, true, nullptr}};
        std::size_t visits = 0;
        while (!todo.empty()) {
            Pending p = std::move(todo.back());
            todo.pop_back();
            Found dir = p.parent ? resolve_below(p.path, p.parent->path, p.parent->here) : folder_.resolve(resolvable(p.path));
            p.parent.reset();
            if (!visited_.insert(dir.rel).second) continue;
            if (!dir.exists() || !S_ISDIR(dir.st.st_mode)) {
                // The spec.path itself must be a folder, in Flux's words (its lstat, root stripped).
                if (p.top && !dir.exists()) throw Error(ErrorCode::CannotReadInput, "lstat " + dir.shown() + ": " + errno_text(dir.error));
                if (p.top) throw Error(ErrorCode::Generic, "not a directory");
                continue;  // a URL, a file or nothing: kustomize's business, not ours
            }
            if (++visits > kMaxKustomizations)
                throw Error(ErrorCode::Generic, "more than " + std::to_string(kMaxKustomizations) + " kustomizations to walk");
            Value k = load_kustomization(dir);
            decrypt_references(k, p.path, dir);
            std::vector<std::string> children;
            for (const char* field : {"resources", "components"})
                if (const Value* list = get(k, field); list && list->kind == Kind::List)
                    for (const auto& r : list->list)
                        if (r.kind == Kind::String) children.push_back(flux_join(p.path, r.text));
            std::shared_ptr<const Parent> parent;
            if (!children.empty() && held_parents_ < kMaxHeldParents) parent = std::make_shared<const Parent>(p.path, std::move(dir.here), held_parents_);
            for (auto it = children.rbegin(); it != children.rend(); ++it) todo.push_back({std::move(*it), false, parent});
        }
    }

private:
    // A visited folder whose children are still to be walked: they go on from its descriptor
    // rather than walking its whole path again (a chain of nested folders would cost the square
    // of its depth). Held for so many folders at most, then children start from the root.
    static constexpr std::size_t kMaxHeldParents = 128;
    struct Parent {
        std::string path;
        phase1::Cursor here;
        std::size_t& count;
        Parent(std::string p, phase1::Cursor h, std::size_t& c) : path(std::move(p)), here(std::move(h)), count(c) { ++count; }
        ~Parent() { --count; }
        Parent(const Parent&) = delete;
        Parent& operator=(const Parent&) = delete;
    };
    struct Pending {
        std::string path;
        bool top;
        std::shared_ptr<const Parent> parent;
    };

    // Flux's securePaths: an absolute path loses the root's prefix, a relative one is cleaned.
    std::string resolvable(const std::string& path) const {
        return !path.empty() && path.front() == '/' ? phase1::strip_root(root_, path) : phase1::clean_path(path);
    }

    // A kustomization file name in `dir`; a symlink loop is securejoin's ELOOP in Flux's words
    // (root_folder's own text names only the rest of the path).
    Found resolve_kustomization_file(const Found& dir, const char* name) const {
        try {
            return folder_.resolve_from(dir.here, name);
        } catch (const Error& e) {
            if (!std::string_view(e.what()).starts_with("too many symlinks")) throw;
            std::string unsafe = phase1::clean_path(dir.shown() + "/" + name);
            throw Error(ErrorCode::Generic, std::string("failed to secure join ") + name + ": SecureJoin " + root_ + "/" + unsafe +
                                                ": too many levels of symbolic links");
        }
    }

    // secureLoadKustomizationFile: each recognised name resolved inside the root (a symlink
    // out of the root lands on a path under it, usually nothing); exactly one regular file.
    Value load_kustomization(const Found& dir) {
        Found file;
        bool found = false;
        for (const char* name : kKustomizationNames) {
            Found f = resolve_kustomization_file(dir, name);
            if (f.error == ENAMETOOLONG)
                throw Error(ErrorCode::CannotReadInput, std::string("failed to lstat ") + name + ": lstat " + f.rel + ": " + errno_text(f.error));
            if (!f.exists()) continue;
            if (!S_ISREG(f.st.st_mode)) throw Error(ErrorCode::Generic, std::string("expected ") + name + " to be a regular file");
            if (found) throw Error(ErrorCode::Generic, "found multiple kustomization files");
            file = std::move(f);
            found = true;
        }
        if (!found) throw Error(ErrorCode::Generic, "no kustomization file found");
        std::string text;
        try {
            if (static_cast<std::uintmax_t>(file.st.st_size) > max_input_size())
                throw Error(ErrorCode::CannotReadInput, "larger than the input limit");
            text = folder_.read_file(file, max_input_size());
        } catch (const Error& e) {
            throw Error(e.code(), std::string("failed to read kustomization file: ") + e.what());
        }
        Value k = Value::empty_map();
        try {
            Branches docs = load_plain(Format::Yaml, text);
            if (!docs.empty()) k.map = std::move(docs.front());
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic, "failed to unmarshal kustomization file from '" + file.rel + "': " + e.what());
        }
        return k;
    }

    void decrypt_references(const Value& k, const std::string& path, const Found& dir) {
        auto visit_ref = [&](const std::string& ref, Format format) { decrypt_once(flux_join(path, ref), format, path, dir); };
        if (const Value* gens = get(k, "secretGenerator"); gens && gens->kind == Kind::List)
            for (const auto& gen : gens->list) {
                if (const Value* files = get(gen, "files"); files && files->kind == Kind::List)
                    for (const auto& f : files->list) {
                        if (f.kind != Kind::String) continue;
                        auto eq = f.text.find('=');
                        std::string key = eq == std::string::npos ? f.text : f.text.substr(0, eq);
                        visit_ref(eq == std::string::npos ? f.text : f.text.substr(eq + 1), flux_format_for_key(key));
                    }
                if (const Value* envs = get(gen, "envs"); envs && envs->kind == Kind::List)
                    for (const auto& e : envs->list) {
                        if (e.kind != Kind::String) continue;
                        Format f = format_from_path(e.text);
                        visit_ref(e.text, f == Format::Binary ? Format::Dotenv : f);
                    }
            }
        if (const Value* patches = get(k, "patches"); patches && patches->kind == Kind::List)
            for (const auto& p : patches->list)
                if (const Value* ref = get(p, "path"); ref && ref->kind == Kind::String && !ref->text.empty() && !is_remote_url(ref->text))
                    visit_ref(ref->text, format_from_path(ref->text));
    }

    // A reference below the kustomization's own folder goes on from that folder's descriptor
    // (the same answer as from the root, without walking a deep folder's path again).
    Found resolve_below(const std::string& path, const std::string& base, const phase1::Cursor& here) const {
        std::string target = resolvable(path), from = resolvable(base);
        if (from == "." && !target.starts_with("..")) return folder_.resolve_from(here, target);
        if (target.size() > from.size() && target.compare(0, from.size(), from) == 0 && target[from.size()] == '/' &&
            !target.starts_with(".."))
            return folder_.resolve_from(here, std::string_view(target).substr(from.size() + 1));
        return folder_.resolve(target);
    }

    void decrypt_once(const std::string& path, Format format, const std::string& base, const Found& dir) {
        Found f = resolve_below(path, base, dir.here);
        if (!decrypted_.insert(f.rel).second) return;
        if (!f.exists()) throw Error(ErrorCode::CannotReadInput, "lstat " + f.shown() + ": " + errno_text(f.error));
        if (!S_ISREG(f.st.st_mode)) throw Error(ErrorCode::Generic, "cannot decrypt irregular file as it has file mode type bits set");
        if (static_cast<std::uintmax_t>(f.st.st_size) > kMaxFileSize)
            throw Error(ErrorCode::Generic, "cannot decrypt file with size (" + std::to_string(f.st.st_size) +
                                                " bytes) exceeding limit (" + std::to_string(kMaxFileSize) + ")");
        decrypt_(folder_, f, format);
    }

    std::string root_;
    RootFolder folder_;
    DecryptFile decrypt_;
    std::set<std::string> visited_, decrypted_;
    std::size_t held_parents_ = 0;
};

}  // namespace

bool has_sops_marker(std::string_view data, Format format) {
    switch (format) {
        case Format::Yaml: return data.find("mac: ENC[") != std::string_view::npos;
        case Format::Json:
        case Format::Binary: return data.find("\"mac\": \"ENC[") != std::string_view::npos;
        case Format::Dotenv: return data.find("sops_mac=ENC[") != std::string_view::npos;
        case Format::Ini: return data.find("[sops]") != std::string_view::npos;
    }
    return false;
}

void Decryptor::decrypt_sources(const std::string& root_in, const std::string& path) const {
    if (!opts_.decryption_configured) return;  // Flux: no spec.decryption, no phase 1
    auto decrypt = [this](const RootFolder& folder, const Found& file, Format format) {
        std::string data = folder.read_file(file, kMaxFileSize);
        if (!has_sops_marker(data, format)) return;  // not a SOPS file: left alone
        std::string plain = decrypt_payload(data, format, format);
        try {
            folder.replace_file(file, plain);
        } catch (const Error& e) {
            wipe(plain);
            std::string name(format_name(format));
            throw Error(e.code(), "error writing sops decrypted " + name + " data to " + name + " file: " + e.what());
        }
        wipe(plain);
    };
    try {
        std::string root = canonical_path(root_in);
        // `path` is relative to the root (as Flux's spec.path), or absolute inside it: Flux strips
        // the root's prefix by its text and resolves the rest inside the root, so nothing of an
        // absolute path is looked up on the machine (a link in it stays inside the root).
        std::string rel = path;
        if (!path.empty() && path[0] == '/') {
            std::string given = phase1::clean_path(root_in);
            if (path.starts_with(given + "/") || path == given) rel = phase1::strip_root(given, path);
        }
        SourceWalker(root, decrypt).walk(rel);
    } catch (const Error& e) {
        throw Error(e.code(), std::string("error decrypting sources: ") + e.what());
    }
}

}  // namespace sopskit
