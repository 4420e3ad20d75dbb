// encrypt, decrypt and rotate: thin glue from the command line to the library, one file or a batch.
#include <iostream>

#include "batch.hpp"
#include "cli_support.hpp"
#include "file_options.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keymgmt.hpp"
#include "sopskit/sops_file.hpp"
#include "sopskit/tree_path.hpp"
#include "stores/yaml_fast.hpp"
#ifdef SOPSKIT_WITH_KMS
#include "sopskit/kms.hpp"
#endif

namespace sopskit::cli {

namespace {

// sops' text (keyGroups in cmd/sops/main.go) when neither a flag nor a creation rule gives a key.
constexpr const char* kNoKeysNoConfig =
    "config file not found, or has no creation rules, and no keys provided through command line options";

CryptRules rules_of(const FileOptions& o) {
    CryptRules r;
    r.encrypted_regex = o.encrypted_regex;
    r.unencrypted_regex = o.unencrypted_regex;
    r.encrypted_suffix = o.encrypted_suffix;
    r.unencrypted_suffix = o.unencrypted_suffix;
    // sops defines these on its root command only: given before the subcommand, they apply.
    const FileOptions& root = root_options();
    r.encrypted_comment_regex = o.encrypted_comment_regex.empty() ? root.encrypted_comment_regex : o.encrypted_comment_regex;
    r.unencrypted_comment_regex = o.unencrypted_comment_regex.empty() ? root.unencrypted_comment_regex : o.unencrypted_comment_regex;
    r.mac_only_encrypted = o.mac_only_encrypted || root.mac_only_encrypted;
    return r;
}

// Keys from the flags (or their environment variables) win over the config, as in sops; the
// encryption rules likewise.
EncryptRequest encrypt_request(const FileOptions& o, const std::string& path) {
    Formats f = formats_for(o, path);
    EncryptRequest req;
    req.input_format = f.in;
    req.output_format = f.out;
    req.store = store_options(o);
    req.rules = rules_of(o);
    req.shamir_threshold = o.shamir_threshold;
    std::vector<Recipient> group;
    for (const auto& r : split_list(env_or("SOPS_AGE_RECIPIENTS", o.age))) group.push_back({"age", r, {}});
    for (const auto& r : split_list(env_or("SOPS_PGP_FP", o.pgp))) group.push_back({"pgp", r, {}});
    for (auto& r : cloud_recipients(env_or("SOPS_KMS_ARN", o.kms), o.aws_profile, o.encryption_context,
                                    env_or("SOPS_GCP_KMS_IDS", o.gcp_kms), env_or("SOPS_AZURE_KEYVAULT_URLS", o.azure_kv),
                                    env_or("SOPS_VAULT_URIS", o.hc_vault_transit)))
        group.push_back(std::move(r));
    for (auto& r : hckms_cloud_recipients(env_or("SOPS_HUAWEICLOUD_KMS_IDS", o.hckms))) group.push_back(std::move(r));
    std::optional<CreationRule> rule = config_rule_for(o, path);
    if (!group.empty()) req.key_groups.push_back(std::move(group));
    else if (rule) req.key_groups = rule->key_groups;
    else throw Error(ErrorCode::Generic, kNoKeysNoConfig);
    if (req.rules.rule_count() == 0 && rule) {
        bool mac_only = req.rules.mac_only_encrypted;
        req.rules = rule->rules;
        req.rules.mac_only_encrypted = mac_only || rule->rules.mac_only_encrypted;
    }
    if (req.shamir_threshold == 0 && rule) req.shamir_threshold = rule->shamir_threshold;
    return req;
}

std::vector<Recipient> recipients_from(const std::string& age, const std::string& pgp) {
    std::vector<Recipient> out;
    for (const auto& r : split_list(age)) out.push_back({"age", r, {}});
    for (const auto& r : split_list(pgp)) out.push_back({"pgp", r, {}});
    return out;
}

BatchOptions batch_options(const FileOptions& o) { return BatchOptions{o.json, o.fail_fast, 0}; }

void require_in_place_for_batch(const FileOptions& o) {
    if (!o.in_place)
        throw Error(ErrorCode::ConflictingParameters, "several files or a folder are only handled in place: add -i/--in-place");
}

}  // namespace

// Cloud KMS recipients from sops' flag syntax; an error when this build has no KMS support.
std::vector<Recipient> cloud_recipients(const std::string& kms_arns, const std::string& aws_profile,
                                        const std::string& context, const std::string& gcp, const std::string& azure,
                                        const std::string& vault) {
    std::vector<Recipient> out;
    if (kms_arns.empty() && gcp.empty() && azure.empty() && vault.empty()) return out;
#ifdef SOPSKIT_WITH_KMS
    for (auto& r : kms::kms_recipients(kms_arns, aws_profile, context)) out.push_back(std::move(r));
    for (auto& r : kms::gcp_kms_recipients(gcp)) out.push_back(std::move(r));
    for (auto& r : kms::azure_kv_recipients(azure)) out.push_back(std::move(r));
    for (auto& r : kms::vault_recipients(vault)) out.push_back(std::move(r));
    return out;
#else
    (void)aws_profile, (void)context;
    throw Error(ErrorCode::Generic, "this sopskit was built without cloud KMS support (SOPSKIT_WITH_KMS=OFF)");
#endif
}

std::vector<Recipient> hckms_cloud_recipients(const std::string& ids) {
    if (ids.empty()) return {};
#ifdef SOPSKIT_WITH_KMS
    return kms::hckms_recipients(ids);
#else
    throw Error(ErrorCode::Generic, "this sopskit was built without cloud KMS support (SOPSKIT_WITH_KMS=OFF)");
#endif
}

std::string encrypt_for_path(const FileOptions& o, const std::string& path, std::string_view plaintext, KeyRing& ring) {
    return encrypt_document(plaintext, encrypt_request(o, path), ring);
}

int run_encrypt(const FileOptions& o) {
    KeyRing ring = keyring_for(o);
    if (is_batch(o.files)) {
        require_in_place_for_batch(o);
        return run_batch(o.files, [&](const std::string& path) -> FileOutcome {
            std::string plain = read_input(path);
            EncryptRequest req = encrypt_request(o, path);
            if (is_encrypted_file(plain, req.input_format)) return {std::nullopt, "skipped"};
            std::string out = encrypt_document(plain, req, ring);
            wipe(plain);
            return {std::move(out), "encrypted"};
        }, batch_options(o));
    }
    check_destination(o);
    require_existing_file(o.file);
    EncryptRequest req = encrypt_request(o, o.file);
    std::string plaintext = read_input(o.file);
    std::string out = encrypt_document(plaintext, req, ring);
    wipe(plaintext);
    write_result(o, out, Privacy::Shared);
    return 0;
}

int run_decrypt(const FileOptions& o) {
    check_destination(o);
    require_existing_file(o.file);
    Formats f = formats_for(o, o.file);
    StoreOptions store = store_options(o);
    KeyRing ring = keyring_for(o);
    std::string file = read_input(o.file);
    DecryptOptions dopts;
    dopts.ignore_mac = o.ignore_mac;
    dopts.remember_ivs = false;
    // A large YAML file decrypts without building the tree when it is in the fast path's subset.
    if (o.extract.empty() && f.in == Format::Yaml && f.out == Format::Yaml)
        if (auto out = detail::decrypt_yaml_file_fast(file, ring, dopts, store)) {
            write_result(o, *out, Privacy::Plaintext);
            wipe(*out);
            return 0;
        }
    DecryptedFile dec = decrypt_document(file, f.in, ring, dopts, store);
    std::string out;
    if (!o.extract.empty()) {
        TreePath path = parse_tree_path(o.extract);
        if (dec.branches.empty()) throw Error(ErrorCode::NeedAtLeastOneDocument, "the file has no document");
        const Value& v = path.empty() ? Value::null() : value_at(dec.branches.front(), path);
        if (path.empty() || v.kind == Kind::Map) {
            Branches one{path.empty() ? dec.branches.front() : v.map};
            out = emit_plain(f.out, one, store);
        } else if (v.kind == Kind::String) {
            out = v.text;
        } else {
            out = emit_value(f.out, v, store);
        }
    } else {
        out = emit_plain(f.out, dec.branches, store);
    }
    write_result(o, out, Privacy::Plaintext);
    wipe(out);
    return 0;
}

int run_rotate(const FileOptions& o) {
    KeyRing ring = keyring_for(o);
    RotateOptions ropts;
    ropts.add = recipients_from(o.add_age, o.add_pgp);
    ropts.remove = recipients_from(o.rm_age, o.rm_pgp);
    for (auto& r : cloud_recipients(o.add_kms, o.aws_profile, o.encryption_context, o.add_gcp_kms, o.add_azure_kv,
                                    o.add_hc_vault_transit))
        ropts.add.push_back(std::move(r));
    for (auto& r : cloud_recipients(o.rm_kms, o.aws_profile, o.encryption_context, o.rm_gcp_kms, o.rm_azure_kv,
                                    o.rm_hc_vault_transit))
        ropts.remove.push_back(std::move(r));
    for (auto& r : hckms_cloud_recipients(o.add_hckms)) ropts.add.push_back(std::move(r));
    for (auto& r : hckms_cloud_recipients(o.rm_hckms)) ropts.remove.push_back(std::move(r));
    ropts.decrypt.ignore_mac = o.ignore_mac;
    ropts.store = store_options(o);
    if (is_batch(o.files)) {
        require_in_place_for_batch(o);
        return run_batch(o.files, [&](const std::string& path) -> FileOutcome {
            std::string bytes = read_input(path);
            Formats f = formats_for(o, path);
            if (!is_encrypted_file(bytes, f.in)) return {std::nullopt, "skipped"};
            RotateOptions for_file = ropts;
            for_file.output_format = f.out;
            return {rotate_document(bytes, f.in, ring, for_file), "rotated"};
        }, batch_options(o));
    }
    check_destination(o);
    if (!ropts.add.empty() || !ropts.remove.empty()) require_existing_file_for_key_change(o.file);
    require_existing_file(o.file);
    Formats f = formats_for(o, o.file);
    // sops writes the rotated file in the output type, with -i too (into the same file).
    ropts.output_format = f.out;
    write_result(o, rotate_document(read_input(o.file), f.in, ring, ropts), Privacy::Shared);
    return 0;
}

}  // namespace sopskit::cli
