// Phase 2: decrypting built resources as Flux's kustomize-controller does.
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <functional>
#include <optional>
#include <system_error>
#include <thread>

#include "core/base64.hpp"
#include "decryptor/decryptor_internal.hpp"
#include "sopskit/cipher.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/secure.hpp"

namespace sopskit {

namespace {

constexpr const char* kDecryptAnnotation = "kustomize.toolkit.fluxcd.io/decrypt";

const Value* field(const Branch& doc, std::string_view key) {
    for (const auto& item : doc)
        if (!item.is_comment() && item.key.text == key) return &item.value;
    return nullptr;
}

std::string text_at(const Branch& doc, std::string_view a, std::string_view b = {}) {
    const Value* v = field(doc, a);
    if (v && !b.empty()) v = v->find(b);
    return v && v->kind == Kind::String ? v->text : std::string();
}

bool decryption_disabled(const Branch& doc) {
    const Value* md = field(doc, "metadata");
    const Value* ann = md ? md->find("annotations") : nullptr;
    const Value* v = ann ? ann->find(kDecryptAnnotation) : nullptr;
    if (!v || v->kind != Kind::String) return false;
    std::string s = v->text;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s == "disabled";
}

// kustomize's GVK string: Kind.version.group, "[noGrp]" for the core group.
std::string gvk_name(const Branch& doc) {
    std::string api = text_at(doc, "apiVersion"), kind = text_at(doc, "kind");
    auto slash = api.find('/');
    std::string group = slash == std::string::npos ? "[noGrp]" : api.substr(0, slash);
    std::string version = slash == std::string::npos ? api : api.substr(slash + 1);
    return kind + "." + version + "." + group + "/" + text_at(doc, "metadata", "name");
}

std::string ns_name(const Branch& doc) { return text_at(doc, "metadata", "namespace") + "/" + text_at(doc, "metadata", "name"); }

// A whole-document SOPS resource has a `sops` mapping with a non-empty mac.
bool is_sops_resource(const Branch& doc) {
    const Value* s = field(doc, "sops");
    if (!s || s->kind != Kind::Map) return false;
    const Value* mac = s->find("mac");
    return mac && mac->kind == Kind::String && !mac->text.empty();
}

}  // namespace

std::optional<Format> detect_sops_payload(std::string_view data) {
    if (data.find("mac: ENC[") != std::string_view::npos) return Format::Yaml;
    if (data.find("\"mac\": \"ENC[") != std::string_view::npos) return Format::Json;
    if (data.find("sops_mac=ENC[") != std::string_view::npos) return Format::Dotenv;
    if (data.find("[sops]") != std::string_view::npos) return Format::Ini;
    return std::nullopt;
}

Format flux_format_for_key(std::string_view key) {
    if (key.ends_with(".dockerconfigjson")) return Format::Json;
    return format_from_path(key);
}

std::string data_key_cache_id(const Metadata& md, const std::string& keyset) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx, keyset.data(), keyset.size());
    std::string threshold = std::to_string(md.shamir_threshold);
    EVP_DigestUpdate(ctx, threshold.data(), threshold.size());
    for (const auto& g : md.key_groups) {
        EVP_DigestUpdate(ctx, "|", 1);
        for (const auto& k : g) {
            std::string part = k.kind + '\0' + k.field("enc") + '\0';
            EVP_DigestUpdate(ctx, part.data(), part.size());
        }
    }
    unsigned char d[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, d, &len);
    EVP_MD_CTX_free(ctx);
    return std::string(reinterpret_cast<char*>(d), len);
}

Decryptor::Decryptor(std::shared_ptr<DecryptionKeys> keys, DecryptorOptions opts) : keys_(std::move(keys)), opts_(opts) {}

SecureBytes Decryptor::data_key_for(const Metadata& md) const {
    std::string id;
    if (opts_.cache) {
        id = data_key_cache_id(md, keys_->fingerprint);
        if (auto hit = opts_.cache->get(id)) return std::move(*hit);
    }
    SecureBytes key;
    try {
        key = keys_->ring.unwrap_data_key(md);
    } catch (const Error& e) {
        throw Error(e.code(), std::string("cannot get sops data key: ") + e.what());
    }
    if (opts_.cache) opts_.cache->put(id, key);
    return key;
}

namespace {
// Flux's sopsFormatToString: the names its messages use.
std::string flux_format_name(Format f) {
    switch (f) {
        case Format::Binary: return "binary";
        case Format::Dotenv: return "dotenv";
        case Format::Ini: return "INI";
        case Format::Json: return "JSON";
        case Format::Yaml: return "YAML";
    }
    return "binary";
}

std::string decrypt_tree_with(Branches& docs, const Metadata& md, const SecureBytes& key, bool check_mac) {
    ValueCipher cipher(key);
    std::string mac;
    try {
        mac = decrypt_branches(docs, md.rules, cipher);
    } catch (const Error& e) {
        throw Error(ErrorCode::ErrorDecryptingTree, std::string("error decrypting sops tree: ") + e.what());
    }
    if (check_mac) {
        // kustomize-controller's words; it prints both MACs, sopskit shows neither (a MAC is a
        // hash of the plaintext).
        const std::string prefix = "failed to verify sops data integrity: ";
        std::string why;
        switch (sopskit::check_mac(md.mac, md.last_modified, mac, cipher, &why)) {
            case MacCheck::Match: break;
            case MacCheck::Missing:
                throw Error(ErrorCode::MacMismatch, prefix + "expected mac 'no MAC', got the computed one (not shown)");
            case MacCheck::Undecryptable: {
                const std::string inner = "Could not decrypt value: ";  // sops' MAC decryption has no such prefix
                if (why.rfind(inner, 0) == 0) why = why.substr(inner.size());
                throw Error(ErrorCode::MacMismatch, prefix + why);
            }
            case MacCheck::Mismatch:
                throw Error(ErrorCode::MacMismatch, prefix + "expected mac (not shown), got a different one (not shown)");
        }
    }
    return mac;
}
}  // namespace

std::string Decryptor::decrypt_payload(std::string_view payload, Format in, Format out) const {
    SplitFile split;
    try {
        split = load_encrypted(in, payload);
    } catch (const Error& e) {
        throw Error(ErrorCode::CannotReadInput, "failed to load encrypted " + flux_format_name(in) + " data: " + e.what());
    }
    Metadata md = parse_metadata(split.metadata);
    SecureBytes key = data_key_for(md);
    decrypt_tree_with(split.branches, md, key, opts_.check_mac);
    return emit_plain(out, split.branches);
}

namespace {

// Flux's pre-apply guard for one resource (FmtUnstructured names it: no namespace, no slash).
void refuse_if_encrypted_secret(const Branch& doc) {
    if (text_at(doc, "kind") != "Secret" || text_at(doc, "apiVersion") != "v1" || !field(doc, "sops")) return;
    if (decryption_disabled(doc)) return;
    std::string ns = text_at(doc, "metadata", "namespace");
    throw Error(ErrorCode::Generic, "Secret/" + (ns.empty() ? "" : ns + "/") + text_at(doc, "metadata", "name") +
                                        " is SOPS encrypted, configuring decryption is required for this secret to be reconciled");
}

}  // namespace

void Decryptor::decrypt_resource(Branch& doc) const {
    decrypt_resource_unguarded(doc);
    if (opts_.refuse_encrypted_secrets) refuse_if_encrypted_secret(doc);
}

void Decryptor::decrypt_resource_unguarded(Branch& doc) const {
    if (!opts_.decryption_configured || decryption_disabled(doc)) return;
    // Names for errors, taken before the document is touched.
    const std::string id = gvk_name(doc), where = ns_name(doc), kind = text_at(doc, "kind");
    if (is_sops_resource(doc)) {
        try {
            auto it = std::find_if(doc.begin(), doc.end(), [](const Item& i) { return !i.is_comment() && i.key.text == "sops"; });
            Metadata md = parse_metadata(it->value);
            doc.erase(it);
            SecureBytes key = data_key_for(md);
            Branches one{std::move(doc)};
            decrypt_tree_with(one, md, key, opts_.check_mac);
            doc = std::move(one.front());
        } catch (const Error& e) {
            throw Error(e.code(), "decryption failed for '" + id + "': failed to decrypt and format '" + where + "' " + kind +
                                      " data: " + e.what());
        }
        return;
    }
    if (kind != "Secret") return;
    for (auto& item : doc) {
        if (item.is_comment() || item.key.text != "data" || item.value.kind != Kind::Map) continue;
        for (auto& entry : item.value.map) {
            if (entry.is_comment() || entry.value.kind != Kind::String) continue;
            auto raw = detail::base64_decode(entry.value.text);
            if (!raw) continue;  // left for the API server to reject
            auto in = detect_sops_payload(*raw);
            if (!in) continue;
            try {
                std::string plain = decrypt_payload(*raw, *in, flux_format_for_key(entry.key.text));
                entry.value.text = detail::base64_encode(plain);
                wipe(plain);
            } catch (const Error& e) {
                throw Error(e.code(), "decryption failed for '" + id + "': failed to decrypt and format '" + where +
                                          "' Secret field '" + entry.key.text + "': " + e.what());
            }
        }
    }
}

// Any exception (std::bad_alloc too) is caught in the thread that raised it: one escaping a
// thread would end the process.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& job) {
    threads = std::min<unsigned>(threads ? threads : std::max(1u, std::thread::hardware_concurrency()),
                                 static_cast<unsigned>(std::max<std::size_t>(n, 1)));
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(n);
    auto work = [&]() noexcept {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                job(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    try {
        for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    } catch (const std::system_error&) {
        // No more threads to be had: the ones started and this one share the work.
    }
    work();
    for (auto& t : pool) t.join();
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

void Decryptor::decrypt_resources(Branches& resources) const {
    parallel_for(resources.size(), opts_.threads, [&](std::size_t i) { decrypt_resource(resources[i]); });
}

StoreOptions kustomize_yaml() {
    StoreOptions o;
    o.yaml_timestamps = false;
    o.yaml_indent = 2;
    return o;
}

std::string Decryptor::decrypt_resource_list(std::string_view resource_list) const {
    StoreOptions o = kustomize_yaml();
    Branches docs = load_plain(Format::Yaml, resource_list, o);
    if (docs.empty()) throw Error(ErrorCode::Generic, "krm: no ResourceList on standard input");
    Value list = Value::empty_map();
    list.map = std::move(docs.front());
    if (Value* items = list.find("items"); items && items->kind == Kind::List) {
        Branches resources;
        for (auto& item : items->list)
            if (item.kind == Kind::Map) resources.push_back(std::move(item.map));
        decrypt_resources(resources);
        std::size_t next = 0;
        for (auto& item : items->list)
            if (item.kind == Kind::Map) item.map = std::move(resources[next++]);
    }
    std::string out = emit_plain(Format::Yaml, {list.map}, o);
    list.map.clear();
    return out;
}

void check_no_encrypted_secrets(const Branches& resources) {
    for (const auto& doc : resources) refuse_if_encrypted_secret(doc);
}

}  // namespace sopskit
