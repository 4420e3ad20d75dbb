#include "file_options.hpp"

#include "sopskit/error.hpp"

namespace sopskit::cli {

void add_file_options(CLI::App& app, FileOptions& o, bool with_file, const ArgvNames& wanted) {
    // Options the command line cannot reach are left out (see ArgvNames); CLI11 then behaves
    // as with all of them, since it only ever looks up the names it is given.
    auto option = [&](const char* names, auto& target, const char* description) {
        if (wanted.mentions(names)) app.add_option(names, target, description);
    };
    auto flag = [&](const char* names, bool& target, const char* description) {
        if (wanted.mentions(names)) app.add_flag(names, target, description);
    };
    if (with_file) app.add_option("file", o.files, "The file(s) or folder(s) to work on ('-' or none: standard input)");
    flag("-i,--in-place", o.in_place, "Write the output back to the file, atomically");
    option("--output", o.output, "Write the output to this file instead of standard output");
    option("--input-type", o.input_type, "Input format: yaml, json, dotenv, ini or binary (default: from the extension)");
    option("--output-type", o.output_type, "Output format: yaml, json, dotenv, ini or binary (default: as the input)");
    option("--filename-override", o.filename_override, "Use this file name to choose the format (for standard input)");
    option("--extract", o.extract, "Decrypt and print only the value at this path, e.g. '[\"data\"][\"password\"]'");
    flag("--ignore-mac", o.ignore_mac, "Decrypt even when the MAC does not match");
    option("--indent", o.indent, "Spaces to indent YAML or JSON output with");
    option("-a,--age", o.age, "Comma-separated age recipients to encrypt to (also SOPS_AGE_RECIPIENTS)");
    option("-p,--pgp", o.pgp, "Comma-separated PGP fingerprints to encrypt to (also SOPS_PGP_FP)");
    option("-k,--kms", o.kms, "Comma-separated AWS KMS ARNs, each optionally +ROLE_ARN (also SOPS_KMS_ARN)");
    option("--aws-profile", o.aws_profile, "AWS profile to use with the --kms keys");
    option("--encryption-context", o.encryption_context, "AWS KMS encryption context, k:v,k2:v2");
    option("--gcp-kms", o.gcp_kms, "Comma-separated GCP Cloud KMS resource IDs (also SOPS_GCP_KMS_IDS)");
    option("--azure-kv", o.azure_kv, "Comma-separated Azure Key Vault key URLs (also SOPS_AZURE_KEYVAULT_URLS)");
    option("--hc-vault-transit", o.hc_vault_transit, "Comma-separated Vault transit key URIs (also SOPS_VAULT_URIS)");
    option("--hckms", o.hckms, "Comma-separated HuaweiCloud KMS key IDs, region:key-uuid (also SOPS_HUAWEICLOUD_KMS_IDS)");
    option("--encrypted-regex", o.encrypted_regex, "Encrypt only the values whose key path matches this regex");
    option("--unencrypted-regex", o.unencrypted_regex, "Leave readable the values whose key path matches this regex");
    option("--encrypted-suffix", o.encrypted_suffix, "Encrypt only the values whose key ends with this suffix");
    option("--unencrypted-suffix", o.unencrypted_suffix, "Leave readable the values whose key ends with this suffix");
    option("--encrypted-comment-regex", o.encrypted_comment_regex, "Encrypt the values after comments matching this regex");
    option("--unencrypted-comment-regex", o.unencrypted_comment_regex, "Leave readable the values after comments matching this regex");
    flag("--mac-only-encrypted", o.mac_only_encrypted, "Compute the MAC over the encrypted values only");
    option("--shamir-secret-sharing-threshold", o.shamir_threshold, "Number of key groups needed to decrypt");
    option("--config", o.config, "Path to the .sops.yaml to use (also SOPS_CONFIG; default: the nearest one from the working directory upwards)");
    option("--add-age", o.add_age, "rotate: add these age recipients (comma-separated)");
    option("--rm-age", o.rm_age, "rotate: remove these age recipients");
    option("--add-pgp", o.add_pgp, "rotate: add these PGP fingerprints");
    option("--rm-pgp", o.rm_pgp, "rotate: remove these PGP fingerprints");
    option("--add-kms", o.add_kms, "rotate: add these AWS KMS ARNs");
    option("--rm-kms", o.rm_kms, "rotate: remove these AWS KMS ARNs");
    option("--add-gcp-kms", o.add_gcp_kms, "rotate: add these GCP Cloud KMS resource IDs");
    option("--rm-gcp-kms", o.rm_gcp_kms, "rotate: remove these GCP Cloud KMS resource IDs");
    option("--add-azure-kv", o.add_azure_kv, "rotate: add these Azure Key Vault key URLs");
    option("--rm-azure-kv", o.rm_azure_kv, "rotate: remove these Azure Key Vault key URLs");
    option("--add-hc-vault-transit", o.add_hc_vault_transit, "rotate: add these Vault transit key URIs");
    option("--rm-hc-vault-transit", o.rm_hc_vault_transit, "rotate: remove these Vault transit key URIs");
    option("--add-hckms", o.add_hckms, "rotate: add these HuaweiCloud KMS key IDs (region:key-uuid)");
    option("--rm-hckms", o.rm_hckms, "rotate: remove these HuaweiCloud KMS key IDs");
    flag("--json", o.json, "Batch runs: print one JSON record per file (path, action, result)");
    flag("--fail-fast", o.fail_fast, "Batch runs: stop at the first file that fails");
    // Accepted wherever sops takes them; sopskit has no version check and logs nothing more.
    flag("--verbose", o.verbose, "Accepted for sops compatibility (sopskit prints errors only)");
    flag("--disable-version-check", o.disable_version_check, "Accepted for sops compatibility (sopskit never checks online)");
    option("--decryption-order", o.decryption_order, "Key kinds to try first, comma-separated (default age,pgp; also SOPS_DECRYPTION_ORDER)");
    add_keyservice_flags(app, o);
}

void add_keyservice_flags(CLI::App& app, FileOptions& o) {
    app.add_flag("--enable-local-keyservice", o.local_keyservice, "Use the local key service: this machine's keys (default true)")
        ->envname("SOPS_ENABLE_LOCAL_KEYSERVICE");
    app.add_option("--keyservice", o.keyservices,
                   "A key service to use after the local one, e.g. tcp://host:5000 or unix:///run/sops.sock; repeatable")
        ->allow_extra_args(false)
        ->delimiter(',')
        ->envname("SOPS_KEYSERVICE");
}

void finish_file_options(FileOptions& o) {
    if (!o.files.empty()) o.file = o.files.front();
}

}  // namespace sopskit::cli
