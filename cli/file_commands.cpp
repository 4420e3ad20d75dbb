// encrypt and decrypt: thin glue from the command line to the library.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <iostream>
#include <sstream>

#include "file_options.hpp"
#include "keyring_setup.hpp"
#include "sopskit/config.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/sops_file.hpp"
#include "sopskit/tree_path.hpp"

namespace sopskit::cli {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (fallback.empty() && v) ? std::string(v) : fallback;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) {
        auto b = part.find_first_not_of(" \t\n");
        auto e = part.find_last_not_of(" \t\n");
        if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    }
    return out;
}

Format pick_format(const std::string& type_name, const std::string& path) {
    if (!type_name.empty()) {
        if (auto f = format_from_name(type_name)) return *f;
        throw Error(ErrorCode::Generic, "unknown file type '" + type_name + "': use yaml, json, dotenv, ini or binary");
    }
    return format_from_path(path);
}

struct Formats {
    Format in;
    Format out;
};

Formats formats_of(const FileOptions& o) {
    const std::string& name = o.filename_override.empty() ? o.file : o.filename_override;
    Format in = pick_format(o.input_type, name);
    Format out = o.output_type.empty() ? in : pick_format(o.output_type, name);
    return {in, out};
}

StoreOptions store_options(const FileOptions& o) {
    StoreOptions s;
    if (o.indent > 0) {
        s.yaml_indent = o.indent;
        s.json_indent = o.indent;
    }
    return s;
}

void check_destination(const FileOptions& o) {
    if (o.in_place && !o.output.empty())
        throw Error(ErrorCode::ConflictingParameters, "--in-place and --output cannot be used together");
    if (o.in_place && (o.file.empty() || o.file == "-"))
        throw Error(ErrorCode::ConflictingParameters, "--in-place needs a file, not standard input");
}

void write_result(const FileOptions& o, const std::string& bytes) {
    if (o.in_place) return atomic_write(o.file, bytes);
    if (!o.output.empty()) return atomic_write(o.output, bytes);
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) throw Error(ErrorCode::CannotWriteOutput, "Could not write to standard output");
}

CryptRules rules_of(const FileOptions& o) {
    CryptRules r;
    r.encrypted_regex = o.encrypted_regex;
    r.unencrypted_regex = o.unencrypted_regex;
    r.encrypted_suffix = o.encrypted_suffix;
    r.unencrypted_suffix = o.unencrypted_suffix;
    r.encrypted_comment_regex = o.encrypted_comment_regex;
    r.unencrypted_comment_regex = o.unencrypted_comment_regex;
    r.mac_only_encrypted = o.mac_only_encrypted;
    return r;
}

void apply_decryption_order(KeyRing& ring, const FileOptions& o) {
    std::string order = env_or("SOPS_DECRYPTION_ORDER", o.decryption_order);
    if (!order.empty()) ring.set_decryption_order(split_list(order));
}

// The .sops.yaml rule for this file: --config, or the nearest one above the file.
std::optional<CreationRule> config_rule(const FileOptions& o) {
    const std::string& name = o.filename_override.empty() ? o.file : o.filename_override;
    std::string target = name.empty() || name == "-" ? "stdin" : name;
    std::optional<std::string> path = o.config.empty() ? find_config_file(target) : std::optional<std::string>(o.config);
    if (!path) return std::nullopt;
    SopsConfig cfg = load_config(*path);
    return creation_rule_for(cfg, std::filesystem::absolute(target).string());
}

// Keys from the flags (or their environment variables) win over the config, as in sops; the
// encryption rules likewise.
void apply_keys_and_rules(const FileOptions& o, EncryptRequest& req) {
    std::vector<Recipient> group;
    for (const auto& r : split_list(env_or("SOPS_AGE_RECIPIENTS", o.age))) group.push_back({"age", r, {}});
    for (const auto& r : split_list(env_or("SOPS_PGP_FP", o.pgp))) group.push_back({"pgp", r, {}});
    std::optional<CreationRule> rule = config_rule(o);
    if (!group.empty()) req.key_groups.push_back(std::move(group));
    else if (rule) req.key_groups = rule->key_groups;
    if (req.rules.rule_count() == 0 && rule) {
        bool mac_only = req.rules.mac_only_encrypted;
        req.rules = rule->rules;
        req.rules.mac_only_encrypted = mac_only || rule->rules.mac_only_encrypted;
    }
    if (req.shamir_threshold == 0 && rule) req.shamir_threshold = rule->shamir_threshold;
}

}  // namespace

int run_encrypt(const FileOptions& o) {
    check_destination(o);
    Formats f = formats_of(o);
    EncryptRequest req;
    req.input_format = f.in;
    req.output_format = f.out;
    req.store = store_options(o);
    req.rules = rules_of(o);
    req.shamir_threshold = o.shamir_threshold;
    apply_keys_and_rules(o, req);
    KeyRing ring = make_user_keyring();
    std::string plaintext = read_input(o.file);
    std::string out = encrypt_document(plaintext, req, ring);
    wipe(plaintext);
    write_result(o, out);
    return 0;
}

int run_decrypt(const FileOptions& o) {
    check_destination(o);
    Formats f = formats_of(o);
    StoreOptions store = store_options(o);
    KeyRing ring = make_user_keyring();
    apply_decryption_order(ring, o);
    std::string file = read_input(o.file);
    DecryptOptions dopts;
    dopts.ignore_mac = o.ignore_mac;
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
    write_result(o, out);
    wipe(out);
    return 0;
}

}  // namespace sopskit::cli
