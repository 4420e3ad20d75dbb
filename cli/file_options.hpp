// The options sops' encrypt/decrypt share, and the commands that use them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "argv_names.hpp"
#include "sopskit/keys.hpp"

namespace sopskit::cli {

struct FileOptions {
    std::string file;                // the first (or only) target
    std::vector<std::string> files;  // every target, for batch runs
    bool in_place = false;
    std::string output;
    std::string input_type;
    std::string output_type;
    std::string filename_override;
    std::string extract;
    bool ignore_mac = false;
    std::optional<int> indent;  // --indent; unset: .sops.yaml's stores, else the format's default
    bool show_master_keys = false;  // -s (edit only): the editor also sees the `sops` metadata
    // keys
    std::string age;
    std::string pgp;
    std::string kms;                 // ARN[+ROLE_ARN], comma-separated (SOPS_KMS_ARN)
    std::string aws_profile;
    std::string encryption_context;  // k:v,k2:v2
    std::string gcp_kms;             // resource IDs (SOPS_GCP_KMS_IDS)
    std::string azure_kv;            // key URLs (SOPS_AZURE_KEYVAULT_URLS)
    std::string hc_vault_transit;    // transit key URIs (SOPS_VAULT_URIS)
    std::string hckms;               // HuaweiCloud KMS region:key-uuid IDs (SOPS_HUAWEICLOUD_KMS_IDS)
    // rules
    std::string encrypted_regex, unencrypted_regex, encrypted_suffix, unencrypted_suffix;
    std::string encrypted_comment_regex, unencrypted_comment_regex;
    bool mac_only_encrypted = false;
    int shamir_threshold = 0;
    std::string decryption_order;
    std::string config;  // --config: the .sops.yaml to use instead of searching for one
    // rotation
    std::string add_age, rm_age, add_pgp, rm_pgp;
    std::string add_kms, rm_kms, add_gcp_kms, rm_gcp_kms, add_azure_kv, rm_azure_kv, add_hc_vault_transit,
        rm_hc_vault_transit;
    std::string add_hckms, rm_hckms;
    // batch runs
    bool json = false;
    bool fail_fast = false;
    // sops' key services: the local one (this process's keys) unless disabled, then these
    bool local_keyservice = true;
    std::vector<std::string> keyservices;
    // sops' logging and version-check switches: accepted, no effect in sopskit
    bool verbose = false;
    bool disable_version_check = false;
};

// Resolves `file` from `files` after parsing.
void finish_file_options(FileOptions& opts);

// Only the options `wanted` mentions (by default all); the key-service flags, which CLI11 also
// reads from the environment, are always added.
void add_file_options(CLI::App& app, FileOptions& opts, bool with_file, const ArgvNames& wanted = ArgvNames());
// sops' --enable-local-keyservice (default true) and --keyservice URI (repeatable), for the
// commands that take them; keyring_for routes the keys through them.
void add_keyservice_flags(CLI::App& app, FileOptions& opts);

int run_encrypt(const FileOptions& opts);
int run_decrypt(const FileOptions& opts);
int run_rotate(const FileOptions& opts);
// sops' legacy `sops FILE` (no -e/-d/-r/--set): edit the file.
int run_legacy_edit(const FileOptions& opts);
// sops' legacy `--set 'INDEX VALUE' FILE`: sets the value and writes the file in place.
int run_legacy_set(const FileOptions& opts, const std::string& spec);

// Cloud KMS recipients from sops' flag syntax (comma-separated lists); an error when this build
// has no KMS support.
std::vector<Recipient> cloud_recipients(const std::string& kms_arns, const std::string& aws_profile, const std::string& context,
                                        const std::string& gcp, const std::string& azure, const std::string& vault);

// HuaweiCloud KMS recipients from a comma-separated "region:key-uuid" list; likewise an error
// without KMS support.
std::vector<Recipient> hckms_cloud_recipients(const std::string& ids);

// Encrypts plaintext meant for `path` with the keys and rules encrypt would use for it.
std::string encrypt_for_path(const FileOptions& opts, const std::string& path, std::string_view plaintext, KeyRing& ring);

}  // namespace sopskit::cli
