#include "file_options.hpp"

namespace sopskit::cli {

void add_file_options(CLI::App& app, FileOptions& o, bool with_file) {
    if (with_file) app.add_option("file", o.files, "The file(s) or folder(s) to work on ('-' or none: standard input)");
    app.add_flag("-i,--in-place", o.in_place, "Write the output back to the file, atomically");
    app.add_option("--output", o.output, "Write the output to this file instead of standard output");
    app.add_option("--input-type", o.input_type, "Input format: yaml, json, dotenv, ini or binary (default: from the extension)");
    app.add_option("--output-type", o.output_type, "Output format: yaml, json, dotenv, ini or binary (default: as the input)");
    app.add_option("--filename-override", o.filename_override, "Use this file name to choose the format (for standard input)");
    app.add_option("--extract", o.extract, "Decrypt and print only the value at this path, e.g. '[\"data\"][\"password\"]'");
    app.add_flag("--ignore-mac", o.ignore_mac, "Decrypt even when the MAC does not match");
    app.add_option("--indent", o.indent, "Spaces to indent YAML or JSON output with");
    app.add_option("--age", o.age, "Comma-separated age recipients to encrypt to (also SOPS_AGE_RECIPIENTS)");
    app.add_option("-p,--pgp", o.pgp, "Comma-separated PGP fingerprints to encrypt to (also SOPS_PGP_FP)");
    app.add_option("--encrypted-regex", o.encrypted_regex, "Encrypt only the values whose key path matches this regex");
    app.add_option("--unencrypted-regex", o.unencrypted_regex, "Leave readable the values whose key path matches this regex");
    app.add_option("--encrypted-suffix", o.encrypted_suffix, "Encrypt only the values whose key ends with this suffix");
    app.add_option("--unencrypted-suffix", o.unencrypted_suffix, "Leave readable the values whose key ends with this suffix");
    app.add_option("--encrypted-comment-regex", o.encrypted_comment_regex, "Encrypt the values after comments matching this regex");
    app.add_option("--unencrypted-comment-regex", o.unencrypted_comment_regex, "Leave readable the values after comments matching this regex");
    app.add_flag("--mac-only-encrypted", o.mac_only_encrypted, "Compute the MAC over the encrypted values only");
    app.add_option("--shamir-secret-sharing-threshold", o.shamir_threshold, "Number of key groups needed to decrypt");
    app.add_option("--config", o.config, "Path to the .sops.yaml to use (default: found by walking up from the file)");
    app.add_option("--add-age", o.add_age, "rotate: add these age recipients (comma-separated)");
    app.add_option("--rm-age", o.rm_age, "rotate: remove these age recipients");
    app.add_option("--add-pgp", o.add_pgp, "rotate: add these PGP fingerprints");
    app.add_option("--rm-pgp", o.rm_pgp, "rotate: remove these PGP fingerprints");
    app.add_flag("--json", o.json, "Batch runs: print one JSON record per file (path, action, result)");
    app.add_flag("--fail-fast", o.fail_fast, "Batch runs: stop at the first file that fails");
    app.add_option("--decryption-order", o.decryption_order, "Key kinds to try first, comma-separated (default age,pgp; also SOPS_DECRYPTION_ORDER)");
}

void finish_file_options(FileOptions& o) {
    if (!o.files.empty()) o.file = o.files.front();
}

}  // namespace sopskit::cli
