// The audit's checks over a set of files. Values are looked at only to ask "is this an
// ENC[...] envelope?"; messages carry key names, counts and settings, never a value.
#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "sopskit/audit.hpp"
#include "sopskit/cipher.hpp"
#include "sopskit/config.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keymgmt.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/sops_file.hpp"

namespace sopskit {

std::string_view audit_rule_id(AuditRule rule) {
    switch (rule) {
        case AuditRule::PlaintextSecret: return "plaintext-secret";
        case AuditRule::PartlyEncryptedSecret: return "partly-encrypted-secret";
        case AuditRule::PlaintextDecryptionKey: return "plaintext-decryption-key";
        case AuditRule::StaleRecipients: return "stale-recipients";
        case AuditRule::MacOnlyEncrypted: return "mac-only-encrypted";
        case AuditRule::GeneratorPlaintextSource: return "generator-plaintext-source";
        case AuditRule::AgeIdentityCommitted: return "age-identity-committed";
        case AuditRule::Unparsable: return "unparsable-secret";
        case AuditRule::MacMismatch: return "mac-mismatch";
    }
    return "unknown";
}

std::string_view audit_rule_summary(AuditRule rule) {
    switch (rule) {
        case AuditRule::PlaintextSecret: return "Kubernetes Secret data is not encrypted";
        case AuditRule::PartlyEncryptedSecret: return "SOPS file leaves Secret data readable";
        case AuditRule::PlaintextDecryptionKey: return "decryption key Secret manifest in plaintext";
        case AuditRule::StaleRecipients: return "recipients differ from the .sops.yaml creation rule";
        case AuditRule::MacOnlyEncrypted: return "MAC covers only the encrypted values";
        case AuditRule::GeneratorPlaintextSource: return "kustomize secretGenerator source is plaintext";
        case AuditRule::AgeIdentityCommitted: return "age identity (private key) committed";
        case AuditRule::Unparsable: return "file looks like a Secret but does not parse";
        case AuditRule::MacMismatch: return "MAC does not verify: the file was changed without its key";
    }
    return "";
}

std::string shell_quote(std::string_view word) {
    bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
               c == '_' || c == '-' || c == '+' || c == ',' || c == ':' || c == '@' || c == '=';
    });
    if (plain && word.front() != '-') return std::string(word);
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

namespace {

constexpr std::string_view kSecretRegexFlag = "--encrypted-regex '^(data|stringData)$'";

bool is_manifest_format(Format f) { return f == Format::Yaml || f == Format::Json; }

std::string folder_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string join_path(const std::string& folder, std::string_view name) {
    return folder.empty() ? std::string(name) : folder + "/" + std::string(name);
}

// "a/./b/../c" -> "a/c"; nullopt when it climbs out of the root.
std::optional<std::string> normalize_relative(std::string_view path) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(pos, end - pos);
        if (part == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        pos = end + 1;
    }
    std::string out;
    for (const auto& p : parts) out = out.empty() ? p : out + "/" + p;
    return out;
}

const Value* find_in(const Branch& doc, std::string_view key) {
    for (const auto& item : doc)
        if (!item.is_comment() && item.key.kind == Kind::String && item.key.text == key) return &item.value;
    return nullptr;
}

bool is_secret_document(const Branch& doc) {
    const Value* kind = find_in(doc, "kind");
    return kind && kind->kind == Kind::String && kind->text == "Secret";
}

// The Secrets of a document: itself, or the items of a `kind: List` (kubectl get -o yaml),
// each with the path prefix its findings get.
std::vector<std::pair<const Branch*, std::string>> secrets_in(const Branch& doc) {
    std::vector<std::pair<const Branch*, std::string>> out;
    if (is_secret_document(doc)) {
        out.emplace_back(&doc, "");
        return out;
    }
    const Value* kind = find_in(doc, "kind");
    const Value* items = find_in(doc, "items");
    if (!kind || kind->kind != Kind::String || kind->text != "List" || !items || items->kind != Kind::List) return out;
    for (std::size_t i = 0; i < items->list.size(); ++i)
        if (items->list[i].kind == Kind::Map && is_secret_document(items->list[i].map))
            out.emplace_back(&items->list[i].map, "items[" + std::to_string(i) + "].");
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The data/stringData entries of a Secret document: the key names and whether each value is an
// envelope. A non-map data section (a list, a scalar) counts as one readable entry.
struct SecretEntry {
    std::string section, key;
    bool encrypted = false;
};

std::vector<SecretEntry> secret_entries(const Branch& doc) {
    std::vector<SecretEntry> out;
    for (std::string_view section : {"data", "stringData"}) {
        const Value* v = find_in(doc, section);
        if (!v || v->kind == Kind::Null) continue;
        if (v->kind != Kind::Map) {
            bool enc = v->kind == Kind::String && ValueCipher::is_envelope(v->text);
            out.push_back({std::string(section), "", enc});
            continue;
        }
        for (const auto& item : v->map) {
            if (item.is_comment()) continue;
            std::string key = item.key.kind == Kind::String ? item.key.text : "<non-string key>";
            const Value& value = item.value;
            bool enc = value.kind == Kind::Null || (value.kind == Kind::String && (value.text.empty() || ValueCipher::is_envelope(value.text)));
            // sops leaves empty strings as they are: an empty value discloses nothing.
            out.push_back({std::string(section), std::move(key), enc});
        }
    }
    return out;
}

std::string entry_path(const SecretEntry& e) { return e.key.empty() ? e.section : e.section + "." + e.key; }

bool holds_decryption_key(const std::vector<SecretEntry>& entries) {
    return std::any_of(entries.begin(), entries.end(), [](const SecretEntry& e) {
        return ends_with(e.key, ".agekey") || ends_with(e.key, ".asc");
    });
}

class Auditor {
public:
    Auditor(const std::vector<AuditFile>& files, const AuditOptions& options) : files_(files), options_(options) {
        for (std::size_t i = 0; i < files.size(); ++i) by_path_[files[i].path] = i;
    }

    std::vector<AuditFinding> run() {
        for (const auto& f : files_) audit_one(f);
        return std::move(findings_);
    }

private:
    const std::vector<AuditFile>& files_;
    const AuditOptions& options_;
    std::unordered_map<std::string, std::size_t> by_path_;
    std::map<std::string, std::optional<SopsConfig>> configs_;  // by folder
    std::vector<AuditFinding> findings_;

    std::string on_disk(const std::string& path) const {
        return options_.root.empty() ? path : options_.root + "/" + path;
    }

    void add(const AuditFile& f, int document, std::string path, AuditRule rule, AuditSeverity severity, std::string what,
             std::string fix) {
        findings_.push_back({f.path, document, std::move(path), rule, severity, std::move(what), std::move(fix)});
    }

    // The nearest .sops.yaml among the audited files, from the file's folder up to the root.
    const SopsConfig* config_for(const std::string& file) {
        std::string folder = folder_of(file);
        while (true) {
            auto cached = configs_.find(folder);
            if (cached == configs_.end()) {
                std::optional<SopsConfig> config;
                auto it = by_path_.find(join_path(folder, ".sops.yaml"));
                if (it != by_path_.end()) {
                    try {
                        config = parse_config(files_[it->second].bytes, on_disk(files_[it->second].path));
                    } catch (const std::exception&) {
                        config.reset();  // a broken .sops.yaml: nothing to compare against
                    }
                }
                cached = configs_.emplace(folder, std::move(config)).first;
            }
            if (cached->second) return &*cached->second;
            if (folder.empty()) return nullptr;
            folder = folder_of(folder);
        }
    }

    std::optional<CreationRule> rule_for(const std::string& file) {
        const SopsConfig* config = config_for(file);
        if (!config) return std::nullopt;
        try {
            return creation_rule_for(*config, on_disk(file));
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

    // The command that encrypts a plaintext Secret file: the creation rule gives the keys and
    // rules when there is one; otherwise the user names a recipient.
    std::string encrypt_fix(const std::string& file) {
        std::optional<CreationRule> rule = rule_for(file);
        if (rule && !rule->key_groups.empty()) {
            if (rule->rules.rule_count() == 0) return "sopskit encrypt -i " + std::string(kSecretRegexFlag) + " " + shell_quote(file);
            return "sopskit encrypt -i " + shell_quote(file);
        }
        return "sopskit encrypt -i --age <recipient> " + std::string(kSecretRegexFlag) + " " + shell_quote(file);
    }

    void audit_one(const AuditFile& f) {
        check_identity(f);
        Format format = format_from_path(f.path);
        bool looks_sops = f.bytes.find("sops") != std::string::npos;
        if (looks_sops && check_sops_file(f, format)) return;
        if (!is_manifest_format(format)) return;
        Branches docs;
        try {
            docs = load_plain(format, f.bytes, StoreOptions{.yaml_timestamps = false});
        } catch (const std::exception&) {
            // Helm and other templates ({{ ... }}) are not manifests until rendered: not flagged.
            if (f.bytes.find("Secret") != std::string::npos && f.bytes.find("kind") != std::string::npos &&
                f.bytes.find("{{") == std::string::npos)
                add(f, 0, "", AuditRule::Unparsable, AuditSeverity::Warning,
                    "mentions a Secret but is not valid " + std::string(format_name(format)) + "; it was not checked",
                    "fix the syntax, then run sopskit audit again");
            return;
        }
        check_plain_secrets(f, docs);
        std::string_view base = std::string_view(f.path).substr(f.path.rfind('/') + 1);
        if (base == "kustomization.yaml" || base == "kustomization.yml" || base == "Kustomization")
            if (!docs.empty()) check_kustomization(f, docs.front());
    }

    void check_identity(const AuditFile& f) {
        std::size_t at = f.bytes.find("AGE-SECRET-KEY-");
        if (at == std::string::npos) return;
        std::size_t count = 0;
        for (; at != std::string::npos; at = f.bytes.find("AGE-SECRET-KEY-", at + 1)) ++count;
        add(f, 0, "", AuditRule::AgeIdentityCommitted, AuditSeverity::Error,
            std::to_string(count) + " age identit" + (count == 1 ? "y" : "ies") + " (AGE-SECRET-KEY-...) in the file",
            "git rm --cached " + shell_quote(f.path) + " (and rotate the key: anyone with the history can read it)");
    }

    void check_plain_secrets(const AuditFile& f, const Branches& docs) {
        for (std::size_t d = 0; d < docs.size(); ++d) {
            for (const auto& [secret, prefix] : secrets_in(docs[d])) {
                auto entries = secret_entries(*secret);
                std::vector<std::string> readable;
                for (const auto& e : entries)
                    if (!e.encrypted) readable.push_back(entry_path(e));
                if (readable.empty()) continue;
                int doc = docs.size() > 1 ? static_cast<int>(d + 1) : 0;
                bool key_secret = holds_decryption_key(entries);
                std::string what = std::to_string(readable.size()) + " value" + (readable.size() == 1 ? "" : "s") +
                                   " in plaintext, no SOPS metadata";
                if (key_secret) what += "; it holds decryption keys (*.agekey/*.asc)";
                add(f, doc, prefix + (readable.size() == 1 ? readable.front() : first_section(readable)),
                    key_secret ? AuditRule::PlaintextDecryptionKey : AuditRule::PlaintextSecret, AuditSeverity::Error, what,
                    encrypt_fix(f.path));
            }
        }
    }

    static std::string first_section(const std::vector<std::string>& paths) {
        std::string first = paths.front().substr(0, paths.front().find('.'));
        for (const auto& p : paths)
            if (p.substr(0, p.find('.')) != first) return "data, stringData";
        return first;
    }

    // Returns whether the file is a SOPS file (then it has been checked as one).
    bool check_sops_file(const AuditFile& f, Format format) {
        SplitFile split;
        try {
            split = load_encrypted(format, f.bytes, StoreOptions{.yaml_timestamps = false});
        } catch (const std::exception&) {
            return false;
        }
        if (split.metadata.kind != Kind::Map) return false;
        Metadata md;
        try {
            md = parse_metadata(split.metadata);
        } catch (const std::exception&) {
            add(f, 0, "sops", AuditRule::Unparsable, AuditSeverity::Warning, "its sops metadata does not parse; it was not checked",
                "sopskit filestatus " + shell_quote(f.path));
            return true;
        }
        std::string reencrypt = "sopskit decrypt -i " + shell_quote(f.path) + " && sopskit encrypt -i " +
                                std::string(kSecretRegexFlag) + " " + shell_quote(f.path);
        if (is_manifest_format(format)) {
            for (std::size_t d = 0; d < split.branches.size(); ++d) {
                std::vector<std::string> readable;
                for (const auto& [secret, prefix] : secrets_in(split.branches[d]))
                    for (const auto& e : secret_entries(*secret))
                        if (!e.encrypted) readable.push_back(prefix + entry_path(e));
                int doc = split.branches.size() > 1 ? static_cast<int>(d + 1) : 0;
                for (const auto& path : readable)
                    add(f, doc, path, AuditRule::PartlyEncryptedSecret, AuditSeverity::Error,
                        "readable in a SOPS file (" + describe_rules(md.rules) + ")", reencrypt);
            }
        }
        if (md.rules.mac_only_encrypted)
            add(f, 0, "sops.mac_only_encrypted", AuditRule::MacOnlyEncrypted, AuditSeverity::Warning,
                "readable values can be changed without breaking the MAC", reencrypt);
        check_recipients(f, md);
        check_mac(f, format, md);
        return true;
    }

    void check_mac(const AuditFile& f, Format format, const Metadata& md) {
        if (!options_.verify_mac || !options_.ring || md.key_groups.empty()) return;
        for (const auto& group : md.key_groups)
            for (const auto& key : group)
                if (key.kind != "age") return;
        try {
            DecryptOptions opts;
            opts.remember_ivs = false;
            decrypt_document(f.bytes, format, *options_.ring, opts);
        } catch (const Error& e) {
            if (e.code() == ErrorCode::MacMismatch)
                add(f, 0, "sops.mac", AuditRule::MacMismatch, AuditSeverity::Error,
                    "values or metadata were edited outside sops", "review the change (git log -p " + shell_quote(f.path) +
                        "), then sopskit decrypt -i " + shell_quote(f.path) + " && sopskit encrypt -i " + shell_quote(f.path));
        } catch (const std::exception&) {
        }
    }

    static std::string describe_rules(const CryptRules& r) {
        if (!r.encrypted_regex.empty()) return "encrypted_regex limits what is encrypted";
        if (!r.unencrypted_regex.empty()) return "unencrypted_regex leaves it readable";
        if (!r.encrypted_suffix.empty()) return "encrypted_suffix limits what is encrypted";
        if (!r.encrypted_comment_regex.empty()) return "encrypted_comment_regex limits what is encrypted";
        if (!r.unencrypted_comment_regex.empty()) return "unencrypted_comment_regex leaves it readable";
        if (!r.unencrypted_suffix.empty() && r.unencrypted_suffix != kDefaultUnencryptedSuffix)
            return "unencrypted_suffix leaves it readable";
        return "added after encryption, or a key ending in _unencrypted";
    }

    void check_recipients(const AuditFile& f, const Metadata& md) {
        if (!options_.ring) return;
        std::optional<CreationRule> rule = rule_for(f.path);
        if (!rule || rule->key_groups.empty()) return;
        KeyUpdate plan;
        try {
            plan = plan_key_update(md, *options_.ring, *rule);
        } catch (const std::exception&) {
            return;  // a key kind this build cannot name: nothing to compare
        }
        if (!plan.changes()) return;
        std::size_t added = 0, removed = 0;
        std::string names;
        for (const auto& d : plan.diffs) {
            added += d.added.size();
            removed += d.removed.size();
            for (const auto& r : d.removed) names += (names.empty() ? "" : ", ") + ("-" + r.kind + " " + r.id);
            for (const auto& r : d.added) names += (names.empty() ? "" : ", ") + ("+" + r.kind + " " + r.id);
        }
        std::string what = "encrypted to " + std::to_string(removed) + " recipient" + (removed == 1 ? "" : "s") +
                           " the creation rule no longer names and missing " + std::to_string(added);
        if (!names.empty()) what += " (" + names + ")";
        if (plan.old_threshold != plan.new_threshold) what += "; Shamir threshold differs";
        // A removed key may have kept the data key: rotate after updating the recipients.
        add(f, 0, "sops", AuditRule::StaleRecipients, AuditSeverity::Error, what,
            "sopskit updatekeys -y " + shell_quote(f.path) + " && sopskit rotate -i " + shell_quote(f.path));
    }

    // kustomize secretGenerator: `files` ("key=path" or "path"), `envs` and `env` name files
    // beside the kustomization; `literals` put values in the kustomization itself.
    void check_kustomization(const AuditFile& f, const Branch& doc) {
        const Value* generators = find_in(doc, "secretGenerator");
        if (!generators || generators->kind != Kind::List) return;
        std::string folder = folder_of(f.path);
        for (const auto& gen : generators->list) {
            if (gen.kind != Kind::Map) continue;
            const Value* name = gen.find("name");
            std::string gen_name = name && name->kind == Kind::String ? name->text : "?";
            std::vector<std::string> sources;
            auto collect = [&](const Value* v, bool key_value) {
                if (!v) return;
                auto one = [&](const Value& s) {
                    if (s.kind != Kind::String) return;
                    std::string_view path = s.text;
                    if (key_value)
                        if (auto eq = path.find('='); eq != std::string_view::npos) path.remove_prefix(eq + 1);
                    sources.emplace_back(path);
                };
                if (v->kind == Kind::List) for (const auto& s : v->list) one(s);
                else one(*v);
            };
            collect(gen.find("files"), true);
            collect(gen.find("envs"), false);
            collect(gen.find("env"), false);
            for (const auto& source : sources) {
                auto rel = normalize_relative(join_path(folder, source));
                if (!rel) continue;
                auto it = by_path_.find(*rel);
                if (it == by_path_.end()) continue;  // not in the repository (or not in this set)
                const AuditFile& src = files_[it->second];
                if (is_sops_encrypted(src)) continue;
                add(f, 0, "secretGenerator." + gen_name, AuditRule::GeneratorPlaintextSource, AuditSeverity::Error,
                    "source " + *rel + " is plaintext", "sopskit encrypt -i " + shell_quote(*rel));
            }
            if (const Value* lits = gen.find("literals"); lits && lits->kind == Kind::List && !lits->list.empty())
                add(f, 0, "secretGenerator." + gen_name + ".literals", AuditRule::GeneratorPlaintextSource,
                    AuditSeverity::Error, std::to_string(lits->list.size()) + " literal value(s) in the kustomization",
                    "move them to a file, then sopskit encrypt -i <that file> and list it under files/envs");
        }
    }

    static bool is_sops_encrypted(const AuditFile& f) {
        if (f.bytes.find("sops") == std::string::npos) return false;
        try {
            SplitFile split = load_encrypted(format_from_path(f.path), f.bytes);
            return split.metadata.kind == Kind::Map;
        } catch (const std::exception&) {
            return false;
        }
    }
};

}  // namespace

std::vector<AuditFinding> audit_files(const std::vector<AuditFile>& files, const AuditOptions& options) {
    return Auditor(files, options).run();
}

}  // namespace sopskit
