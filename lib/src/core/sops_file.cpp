#include "sopskit/sops_file.hpp"

#include <optional>

#include "sopskit/cipher.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keymgmt.hpp"
#include "stores/stores_internal.hpp"
#include "stores/yaml_fast.hpp"

namespace sopskit {

bool has_sops_metadata(const Branches& branches, Format format) {
    if (branches.empty()) return false;
    for (const auto& item : branches.front()) {
        if (item.is_comment()) continue;
        if (format == Format::Dotenv ? item.key.text.rfind("sops_", 0) == 0 : item.key.text == "sops") return true;
    }
    return false;
}

std::string encrypt_with_metadata(Branches branches, Metadata md, const SecureBytes& data_key, Format output_format,
                                  const StoreOptions& store, const IvStash* reuse) {
    ValueCipher cipher(data_key);
    std::string mac;
    try {
        mac = encrypt_branches(branches, md.rules, cipher, reuse);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::Generic) throw Error(ErrorCode::ErrorEncryptingTree, std::string("Error encrypting tree: ") + e.what());
        throw;
    }
    md.last_modified = now_rfc3339();
    md.mac = encrypt_mac(mac, md.last_modified, cipher);
    if (md.version.empty()) md.version = kSopsFormatVersion;
    try {
        return emit_encrypted(output_format, std::move(branches), serialize_metadata(md), store);
    } catch (const Error& e) {
        throw Error(ErrorCode::ErrorDumpingTree, std::string("Could not marshal tree: ") + e.what());
    }
}

namespace {

// The large-file fast path (stores/yaml_fast.hpp) for a YAML file that stays YAML, when the
// document is in its subset; nullopt takes the tree path.
std::optional<detail::FastYaml> fast_yaml_input(std::string_view plaintext, const EncryptRequest& req) {
    if (req.input_format != Format::Yaml || req.output_format != Format::Yaml || req.store.yaml_indent < 0 ||
        !detail::yaml_fast_path_enabled())
        return std::nullopt;
    auto doc = detail::yaml_fast_parse(plaintext, req.store.yaml_timestamps);
    if (doc && doc->has_top_level_key("sops")) return std::nullopt;  // the tree path refuses it
    return doc;
}

std::string encrypt_fast_yaml(const detail::FastYaml& doc, Metadata md, const SecureBytes& data_key, const StoreOptions& store) {
    ValueCipher cipher(data_key);
    std::string mac, out;
    try {
        out = detail::yaml_fast_encrypt(doc, md.rules, cipher, store.yaml_indent, mac);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::Generic) throw Error(ErrorCode::ErrorEncryptingTree, std::string("Error encrypting tree: ") + e.what());
        throw;
    }
    md.last_modified = now_rfc3339();
    md.mac = encrypt_mac(mac, md.last_modified, cipher);
    // The sops entry comes last, and the writer writes each top-level entry on its own.
    try {
        out += emit_encrypted(Format::Yaml, Branches{}, serialize_metadata(md), store);
    } catch (const Error& e) {
        throw Error(ErrorCode::ErrorDumpingTree, std::string("Could not marshal tree: ") + e.what());
    }
    return out;
}

}  // namespace

std::string encrypt_document(std::string_view plaintext, const EncryptRequest& req, KeyRing& ring) {
    std::optional<detail::FastYaml> fast = fast_yaml_input(plaintext, req);
    Branches branches;
    if (!fast) {
        try {
            branches = load_plain(req.input_format, plaintext, req.store);
        } catch (const Error& e) {
            throw Error(ErrorCode::CannotReadInput, std::string("Error unmarshalling file: ") + e.what());
        }
        // sops' validateFileForEncryption: an input with no document at all is refused (92).
        if (branches.empty())
            throw Error(ErrorCode::NeedAtLeastOneDocument, "File cannot be completely empty, it must contain at least one document");
        if (has_sops_metadata(branches, req.output_format))
            throw Error(ErrorCode::FileAlreadyEncrypted, "File already encrypted");
    }
    // sops' words (tree.GenerateDataKeyWithKeyServices, its error list printed as [..]) and exit code.
    if (req.key_groups.empty()) throw Error(ErrorCode::Generic, "Could not generate data key: [no key groups provided]");
    for (const auto& group : req.key_groups)
        if (group.empty()) throw Error(ErrorCode::Generic, "Could not generate data key: [empty key group provided]");

    Metadata md;
    md.rules = req.rules;
    if (md.rules.rule_count() > 1)
        throw Error(ErrorCode::ConflictingParameters,
                    "Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
                    "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex");
    if (md.rules.rule_count() == 0) md.rules.unencrypted_suffix = kDefaultUnencryptedSuffix;
    md.shamir_threshold = req.shamir_threshold;
    md.version = kSopsFormatVersion;

    SecureBytes data_key = SecureBytes::random(32);
    wrap_for_groups(md, req.key_groups, data_key, ring);
    if (fast) return encrypt_fast_yaml(*fast, std::move(md), data_key, req.store);
    return encrypt_with_metadata(std::move(branches), std::move(md), data_key, req.output_format, req.store);
}

namespace {

SplitFile load_split(std::string_view file, Format format, const StoreOptions& store) {
    try {
        return load_encrypted(format, file, store);
    } catch (const Error& e) {
        // A plaintext file: sops' own line and exit code 1 (LoadEncryptedFile's error as is).
        if (e.code() == ErrorCode::Generic && std::string_view(e.what()) == "sops metadata not found") throw;
        throw Error(ErrorCode::CannotReadInput, std::string("Error unmarshalling input: ") + e.what());
    }
}

DecryptedFile finish_decrypt(SplitFile split, Metadata md, SecureBytes data_key, const DecryptOptions& opts) {
    ValueCipher cipher(data_key);
    IvStash ivs;
    std::string computed = decrypt_branches(split.branches, md.rules, cipher, opts.remember_ivs ? &ivs : nullptr);
    if (!opts.ignore_mac) verify_mac(md.mac, md.last_modified, computed, cipher);
    return DecryptedFile{std::move(split.branches), std::move(md), std::move(data_key), std::move(ivs)};
}

}  // namespace

DecryptedFile decrypt_document(std::string_view file, Format format, const KeyRing& ring, const DecryptOptions& opts,
                               const StoreOptions& store) {
    SplitFile split = load_split(file, format, store);
    Metadata md = parse_metadata(split.metadata);
    SecureBytes key = ring.unwrap_data_key(md);
    return finish_decrypt(std::move(split), std::move(md), std::move(key), opts);
}

std::optional<std::string> detail::decrypt_yaml_file_fast(std::string_view file, const KeyRing& ring,
                                                          const DecryptOptions& opts, const StoreOptions& store) {
    if (store.yaml_indent < 0 || !yaml_fast_path_enabled()) return std::nullopt;
    auto doc = yaml_fast_parse(file, store.yaml_timestamps, true);
    if (!doc || doc->metadata.empty()) return std::nullopt;
    std::optional<Value> metadata = yaml_fast_metadata(*doc, store.yaml_timestamps);
    if (!metadata) return std::nullopt;
    Metadata md = parse_metadata(*metadata);
    SecureBytes key = ring.unwrap_data_key(md);
    {
        ValueCipher cipher(key);
        std::string mac;
        auto out = yaml_fast_decrypt(*doc, md.rules, cipher, store.yaml_indent, mac);
        if (out && (opts.ignore_mac || check_mac(md.mac, md.last_modified, mac, cipher) == MacCheck::Match)) return out;
        if (out) wipe(*out);
    }
    // Declined after all: the tree path, with the key already unwrapped, answers or says why.
    DecryptedFile dec = decrypt_document_with_key(file, Format::Yaml, std::move(key), opts, store);
    return emit_plain(Format::Yaml, dec.branches, store);
}

DecryptedFile decrypt_document_with_key(std::string_view file, Format format, SecureBytes data_key,
                                        const DecryptOptions& opts, const StoreOptions& store) {
    SplitFile split = load_split(file, format, store);
    Metadata md = parse_metadata(split.metadata);
    return finish_decrypt(std::move(split), std::move(md), std::move(data_key), opts);
}

}  // namespace sopskit
