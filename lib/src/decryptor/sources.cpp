// Phase 1: decrypting secretGenerator and patch sources in place before kustomize runs,
// with every path clamped inside the root (no `..` or symlink escape).
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <set>

#include "decryptor/decryptor_internal.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace fs = std::filesystem;

namespace sopskit {

namespace {

constexpr std::uintmax_t kMaxFileSize = 5u << 20;  // Flux's 5 MiB limit
constexpr const char* kKustomizationNames[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

std::deque<std::string> components_of(const std::string& path) {
    std::deque<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t slash = path.find('/', start);
        std::string c = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!c.empty() && c != ".") out.push_back(c);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

// Joins `unsafe` (relative to root) onto root, resolving symlinks as if root were "/":
// nothing can climb out (securejoin semantics). Returns the path under root.
std::string secure_join(const std::string& root, const std::string& unsafe) {
    std::deque<std::string> todo = components_of(unsafe);
    std::vector<std::string> current;
    int links = 0;
    while (!todo.empty()) {
        std::string c = todo.front();
        todo.pop_front();
        if (c == "..") {
            if (!current.empty()) current.pop_back();
            continue;
        }
        std::string candidate = root;
        for (const auto& p : current) candidate += "/" + p;
        candidate += "/" + c;
        struct stat st{};
        if (::lstat(candidate.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            if (++links > 255) throw Error(ErrorCode::Generic, "too many symlinks in " + unsafe);
            char buf[4096];
            ssize_t n = ::readlink(candidate.c_str(), buf, sizeof buf - 1);
            if (n < 0) throw Error(ErrorCode::Generic, "cannot read link " + unsafe);
            std::string target(buf, static_cast<std::size_t>(n));
            if (!target.empty() && target[0] == '/') current.clear();
            auto parts = components_of(target);
            todo.insert(todo.begin(), parts.begin(), parts.end());
            continue;
        }
        current.push_back(c);
    }
    std::string out = root;
    for (const auto& p : current) out += "/" + p;
    return out;
}

std::string relative_to(const std::string& root, const std::string& path) {
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 ? path.substr(root.size() + 1) : path;
}

bool is_remote(const std::string& p) {
    auto scheme = p.find("://");
    return scheme != std::string::npos && scheme > 0 && scheme + 3 < p.size();
}

// Paths come from a tenant's files: one the OS refuses (a name over NAME_MAX, a symlink loop)
// is simply not there, as for Flux, instead of a std::filesystem exception.
bool is_directory_at(const std::string& p) {
    std::error_code ignored;
    return fs::is_directory(p, ignored);
}

bool is_regular_file_at(const std::string& p) {
    std::error_code ignored;
    return fs::is_regular_file(p, ignored);
}

std::string canonical_path(const std::string& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    if (ec) throw Error(ErrorCode::Generic, "cannot resolve '" + p + "': " + ec.message());
    return c.string();
}

const Value* get(const Value& m, std::string_view k) { return m.kind == Kind::Map ? m.find(k) : nullptr; }

class SourceWalker {
public:
    SourceWalker(std::string root, std::function<void(const std::string&, Format)> decrypt)
        : root_(std::move(root)), decrypt_(std::move(decrypt)) {}

    void visit(const std::string& dir) {
        if (!visited_.insert(dir).second) return;
        std::string file;
        for (const char* name : kKustomizationNames) {
            std::string candidate = dir + "/" + name;
            if (is_regular_file_at(candidate)) {
                if (!file.empty()) throw Error(ErrorCode::Generic, "found multiple kustomization files");
                file = candidate;
            }
        }
        if (file.empty()) throw Error(ErrorCode::Generic, "no kustomization file found");
        Branches docs;
        try {
            docs = load_plain(Format::Yaml, read_input(file));
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic, "failed to unmarshal kustomization file from '" + relative_to(root_, file) + "': " + e.what());
        }
        Value k = Value::empty_map();
        if (!docs.empty()) k.map = docs.front();
        std::string rel_dir = relative_to(root_, dir);
        auto under = [&](const std::string& entry) {
            if (!entry.empty() && entry[0] == '/') return secure_join(root_, relative_to(root_, entry));
            return secure_join(root_, (rel_dir == dir ? std::string() : rel_dir) + "/" + entry);
        };
        if (const Value* gens = get(k, "secretGenerator"); gens && gens->kind == Kind::List)
            for (const auto& gen : gens->list) {
                if (const Value* files = get(gen, "files"); files && files->kind == Kind::List)
                    for (const auto& f : files->list) {
                        if (f.kind != Kind::String) continue;
                        auto eq = f.text.find('=');
                        std::string key = eq == std::string::npos ? f.text : f.text.substr(0, eq);
                        std::string path = eq == std::string::npos ? f.text : f.text.substr(eq + 1);
                        decrypt_once(under(path), flux_format_for_key(key));
                    }
                if (const Value* envs = get(gen, "envs"); envs && envs->kind == Kind::List)
                    for (const auto& e : envs->list) {
                        if (e.kind != Kind::String) continue;
                        Format f = format_from_path(e.text);
                        decrypt_once(under(e.text), f == Format::Binary ? Format::Dotenv : f);
                    }
            }
        if (const Value* patches = get(k, "patches"); patches && patches->kind == Kind::List)
            for (const auto& p : patches->list)
                if (const Value* path = get(p, "path"); path && path->kind == Kind::String && !is_remote(path->text))
                    decrypt_once(under(path->text), format_from_path(path->text));
        for (const char* field : {"resources", "components"})
            if (const Value* list = get(k, field); list && list->kind == Kind::List)
                for (const auto& r : list->list) {
                    if (r.kind != Kind::String || is_remote(r.text)) continue;
                    std::string target = under(r.text);
                    if (is_directory_at(target)) visit(target);
                }
    }

private:
    void decrypt_once(const std::string& path, Format format) {
        if (!decrypted_.insert(path).second) return;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0)
            throw Error(ErrorCode::CannotReadInput, "lstat " + relative_to(root_, path) + ": no such file or directory");
        if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::Generic, "cannot decrypt irregular file as it has file mode type bits set");
        if (static_cast<std::uintmax_t>(st.st_size) > kMaxFileSize)
            throw Error(ErrorCode::Generic, "cannot decrypt file with size (" + std::to_string(st.st_size) +
                                                " bytes) exceeding limit (" + std::to_string(kMaxFileSize) + ")");
        decrypt_(path, format);
    }

    std::string root_;
    std::function<void(const std::string&, Format)> decrypt_;
    std::set<std::string> visited_, decrypted_;
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
    auto decrypt = [this](const std::string& file, Format format) {
        std::string data = read_input(file);
        if (!has_sops_marker(data, format)) return;  // not a SOPS file: left alone
        std::string plain = decrypt_payload(data, format, format);
        atomic_write(file, plain, 0600);  // plaintext: never another mode, not even for a moment
        wipe(plain);
    };
    try {
        std::string root = canonical_path(root_in);
        // `path` is relative to the root (as Flux's spec.path), or absolute inside it.
        std::string rel = !path.empty() && path[0] == '/' ? relative_to(root, canonical_path(path)) : path;
        SourceWalker(root, decrypt).visit(secure_join(root, rel));
    } catch (const Error& e) {
        throw Error(e.code(), std::string("error decrypting sources: ") + e.what());
    }
}

}  // namespace sopskit
