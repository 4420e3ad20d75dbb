#include "sopskit/config.hpp"

#include <re2/re2.h>

#include <filesystem>

#include "core/text.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace fs = std::filesystem;

namespace sopskit {

namespace {

[[noreturn]] void config_error(const std::string& where, const std::string& what) {
    throw Error(ErrorCode::ErrorReadingConfig, "error loading config: " + where + ": " + what);
}


std::string scalar_string(const Value& v, const std::string& where) {
    switch (v.kind) {
        case Kind::String:
        case Kind::Time: return v.text;
        case Kind::Int: return std::to_string(v.integer);
        case Kind::Null: return "";
        default: config_error(where, "expected a string");
    }
}

// sops' parseKeyField: a comma-separated string or a list of strings.
std::vector<std::string> key_list(const Value* v, const std::string& where) {
    std::vector<std::string> out;
    if (!v || v->kind == Kind::Null) return out;
    if (v->kind == Kind::String) {
        std::string s = v->text;
        std::size_t pos = 0;
        while (pos <= s.size()) {
            std::size_t comma = s.find(',', pos);
            std::string part = detail::trim(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
            if (!part.empty()) out.push_back(part);
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
        return out;
    }
    if (v->kind == Kind::List) {
        for (const auto& e : v->list) {
            if (e.is_comment()) continue;
            if (e.kind != Kind::String) config_error(where, "expected string in list");
            out.push_back(e.text);
        }
        return out;
    }
    config_error(where, "expected a string or a list of strings");
}

// A key group entry (`key_groups:` item), including nested `merge:` groups.
void add_group_keys(const Value& group, const std::string& where, std::vector<Recipient>& out) {
    if (group.kind != Kind::Map) config_error(where, "a key group must be a mapping");
    if (const Value* merge = group.find("merge")) {
        if (merge->kind != Kind::List) config_error(where + ".merge", "expected a list of key groups");
        for (std::size_t i = 0; i < merge->list.size(); ++i)
            if (!merge->list[i].is_comment()) add_group_keys(merge->list[i], where + ".merge[" + std::to_string(i) + "]", out);
    }
    for (const auto& r : key_list(group.find("age"), where + ".age")) {
        // sops accepts comma-separated recipients inside one entry too
        Value s = Value::string(r);
        for (const auto& one : key_list(&s, where + ".age")) out.push_back({"age", one, {}});
    }
    for (const auto& fp : key_list(group.find("pgp"), where + ".pgp")) out.push_back({"pgp", fp, {}});
    auto structured = [&](const char* field, const char* kind, const char* id_field) {
        const Value* list = group.find(field);
        if (!list || list->kind == Kind::Null) return;
        if (list->kind != Kind::List) config_error(where + "." + field, "expected a list");
        for (const auto& e : list->list) {
            if (e.is_comment()) continue;
            if (e.kind != Kind::Map) config_error(where + "." + field, "expected mappings");
            const Value* id = e.find(id_field);
            std::string text = id ? scalar_string(*id, where + "." + field) : "";
            // The ids the key sources report for stored keys (sops' ToString), so updatekeys
            // sees an unchanged key as unchanged: ARN+ROLE, and vaultUrl/keys/name/version.
            auto sub = [&](const char* f) {
                const Value* v = e.find(f);
                return v && v->kind == Kind::String ? v->text : std::string();
            };
            if (std::string_view(kind) == "kms" && !sub("role").empty()) text += "+" + sub("role");
            if (std::string_view(kind) == "azure_kv" && !sub("key").empty()) {
                while (!text.empty() && text.back() == '/') text.pop_back();
                text += "/keys/" + sub("key") + (sub("version").empty() ? "" : "/" + sub("version"));
            }
            out.push_back({kind, text, e});
        }
    };
    structured("kms", "kms", "arn");
    structured("gcp_kms", "gcp_kms", "resource_id");
    structured("hckms", "hckms", "key_id");
    structured("azure_keyvault", "azure_kv", "vaultUrl");
    for (const auto& uri : key_list(group.find("hc_vault"), where + ".hc_vault")) out.push_back({"hc_vault", uri, {}});
    // sops removes duplicates within a group.
    std::vector<Recipient> unique;
    for (auto& r : out) {
        bool seen = false;
        for (const auto& u : unique)
            if (u.kind == r.kind && u.id == r.id) seen = true;
        if (!seen) unique.push_back(std::move(r));
    }
    out = std::move(unique);
}

CreationRule parse_rule(const Value& rule, const std::string& where) {
    if (rule.kind != Kind::Map) config_error(where, "a creation rule must be a mapping");
    CreationRule r;
    auto str = [&](const char* field) {
        const Value* v = rule.find(field);
        return v ? scalar_string(*v, where + "." + field) : std::string();
    };
    r.path_regex = str("path_regex");
    r.rules.unencrypted_suffix = str("unencrypted_suffix");
    r.rules.encrypted_suffix = str("encrypted_suffix");
    r.rules.unencrypted_regex = str("unencrypted_regex");
    r.rules.encrypted_regex = str("encrypted_regex");
    r.rules.unencrypted_comment_regex = str("unencrypted_comment_regex");
    r.rules.encrypted_comment_regex = str("encrypted_comment_regex");
    if (const Value* m = rule.find("mac_only_encrypted")) {
        if (m->kind != Kind::Bool && m->kind != Kind::Null) config_error(where + ".mac_only_encrypted", "expected true or false");
        r.rules.mac_only_encrypted = m->kind == Kind::Bool && m->boolean;
    }
    if (const Value* t = rule.find("shamir_threshold")) {
        if (t->kind != Kind::Int && t->kind != Kind::Null) config_error(where + ".shamir_threshold", "expected a number");
        r.shamir_threshold = t->kind == Kind::Int ? static_cast<int>(t->integer) : 0;
    }
    if (r.rules.rule_count() > 1)
        config_error(where, "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
                            "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule");
    if (const Value* groups = rule.find("key_groups"); groups && groups->kind == Kind::List && !groups->list.empty()) {
        for (std::size_t i = 0; i < groups->list.size(); ++i) {
            if (groups->list[i].is_comment()) continue;
            std::vector<Recipient> g;
            add_group_keys(groups->list[i], where + ".key_groups[" + std::to_string(i) + "]", g);
            r.key_groups.push_back(std::move(g));
        }
    } else {
        // The flat fields form one group; aws_profile applies to every kms ARN.
        std::vector<Recipient> g;
        for (const auto& a : key_list(rule.find("age"), where + ".age")) g.push_back({"age", a, {}});
        for (const auto& p : key_list(rule.find("pgp"), where + ".pgp")) g.push_back({"pgp", p, {}});
        std::string profile = str("aws_profile");
        for (const auto& arn : key_list(rule.find("kms"), where + ".kms")) {
            Value params = Value::empty_map();
            if (!profile.empty()) params.map.push_back(Item{Value::string("aws_profile"), Value::string(profile)});
            g.push_back({"kms", arn, std::move(params)});
        }
        for (const auto& id : key_list(rule.find("gcp_kms"), where + ".gcp_kms")) g.push_back({"gcp_kms", id, {}});
        for (const auto& id : key_list(rule.find("hckms"), where + ".hckms")) g.push_back({"hckms", id, {}});
        for (const auto& url : key_list(rule.find("azure_keyvault"), where + ".azure_keyvault")) g.push_back({"azure_kv", url, {}});
        for (const auto& uri : key_list(rule.find("hc_vault_transit_uri"), where + ".hc_vault_transit_uri"))
            g.push_back({"hc_vault", uri, {}});
        r.key_groups.push_back(std::move(g));
    }
    return r;
}

DestinationRule parse_destination(const Value& rule, const std::string& where) {
    if (rule.kind != Kind::Map) config_error(where, "a destination rule must be a mapping");
    DestinationRule d;
    auto str = [&](const char* field) {
        const Value* v = rule.find(field);
        return v ? scalar_string(*v, where + "." + field) : std::string();
    };
    d.path_regex = str("path_regex");
    d.s3_bucket = str("s3_bucket");
    d.s3_prefix = str("s3_prefix");
    d.gcs_bucket = str("gcs_bucket");
    d.gcs_prefix = str("gcs_prefix");
    d.vault_path = str("vault_path");
    d.vault_address = str("vault_address");
    d.vault_kv_mount_name = str("vault_kv_mount_name");
    if (const Value* v = rule.find("vault_kv_version")) {
        if (v->kind != Kind::Int && v->kind != Kind::Null) config_error(where + ".vault_kv_version", "expected a number");
        d.vault_kv_version = v->kind == Kind::Int && v->integer >= 0 && v->integer <= 1000 ? static_cast<int>(v->integer) : 0;
    }
    if (const Value* v = rule.find("omit_extensions")) {
        if (v->kind != Kind::Bool && v->kind != Kind::Null) config_error(where + ".omit_extensions", "expected true or false");
        d.omit_extensions = v->kind == Kind::Bool && v->boolean;
    }
    if (const Value* r = rule.find("recreation_rule"); r && r->kind != Kind::Null) d.recreation_rule = parse_rule(*r, where + ".recreation_rule");
    return d;
}

int store_indent(const Value& stores, const char* name, int fallback) {
    const Value* s = stores.find(name);
    if (!s || s->kind != Kind::Map) return fallback;
    const Value* i = s->find("indent");
    return i && i->kind == Kind::Int ? static_cast<int>(i->integer) : fallback;
}

}  // namespace

std::optional<std::string> find_config_file(const std::string& start) {
    fs::path dir = fs::absolute(start).parent_path();
    for (int i = 0; i < 100; ++i) {
        fs::path candidate = dir / ".sops.yaml";
        std::error_code ec;
        if (fs::exists(candidate, ec)) return candidate.string();
        if (!dir.has_parent_path() || dir.parent_path() == dir) break;
        dir = dir.parent_path();
    }
    return std::nullopt;
}

std::optional<std::string> find_config_file_from_working_dir() {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    if (ec) return std::nullopt;
    return find_config_file((cwd / ".sops.yaml").string());
}

SopsConfig load_config(const std::string& path) {
    std::string text;
    try {
        text = read_input(path);
    } catch (const Error& e) {
        throw Error(ErrorCode::ErrorReadingConfig, "could not read config file " + path + ": " + e.what());
    }
    return parse_config(text, path);
}

SopsConfig parse_config(std::string_view text, const std::string& path) {
    Branches docs;
    try {
        docs = load_plain(Format::Yaml, text);
    } catch (const Error& e) {
        throw Error(ErrorCode::ErrorReadingConfig, "error loading config " + path + ": " + e.what());
    }
    SopsConfig cfg;
    cfg.path = path;
    if (docs.empty()) return cfg;
    Value root = Value::empty_map();
    root.map = docs.front();
    if (const Value* rules = root.find("creation_rules"); rules && rules->kind != Kind::Null) {
        if (rules->kind != Kind::List) config_error(path + ": creation_rules", "expected a list");
        cfg.has_creation_rules = true;
        int index = 0;
        for (const auto& r : rules->list) {
            if (r.is_comment()) continue;
            cfg.creation_rules.push_back(parse_rule(r, path + ": creation_rules[" + std::to_string(index++) + "]"));
        }
    }
    if (const Value* rules = root.find("destination_rules"); rules && rules->kind != Kind::Null) {
        if (rules->kind != Kind::List) config_error(path + ": destination_rules", "expected a list");
        int index = 0;
        for (const auto& r : rules->list) {
            if (r.is_comment()) continue;
            cfg.destination_rules.push_back(parse_destination(r, path + ": destination_rules[" + std::to_string(index++) + "]"));
        }
    }
    if (const Value* stores = root.find("stores"); stores && stores->kind == Kind::Map) {
        cfg.yaml_indent = store_indent(*stores, "yaml", 0);
        cfg.json_indent = store_indent(*stores, "json", -1);
        cfg.json_binary_indent = store_indent(*stores, "json_binary", -1);
    }
    return cfg;
}

std::optional<CreationRule> creation_rule_for(const SopsConfig& config, const std::string& file_path) {
    if (!config.has_creation_rules) return std::nullopt;
    std::string config_dir = fs::absolute(config.path).parent_path().string();
    std::string path = file_path;
    std::string prefix = config_dir + "/";
    if (path.rfind(prefix, 0) == 0) path = path.substr(prefix.size());
    for (const auto& rule : config.creation_rules) {
        if (rule.path_regex.empty()) return rule;
        RE2::Options opts;
        opts.set_log_errors(false);
        RE2 re(rule.path_regex, opts);
        if (!re.ok()) throw Error(ErrorCode::ErrorReadingConfig, "can not compile regexp: " + rule.path_regex + ": " + re.error());
        if (RE2::PartialMatch(path, re)) return rule;
    }
    throw Error(ErrorCode::ErrorReadingConfig, "error loading config: no matching creation rules found");
}

const DestinationRule& destination_rule_for(const SopsConfig& config, const std::string& file_path) {
    const DestinationRule* found = nullptr;
    for (const auto& rule : config.destination_rules) {
        if (rule.path_regex.empty()) {
            found = &rule;
            break;
        }
        RE2::Options opts;
        opts.set_log_errors(false);
        RE2 re(rule.path_regex, opts);
        if (re.ok() && RE2::PartialMatch(file_path, re)) {  // sops ignores a regexp that does not compile here
            found = &rule;
            break;
        }
    }
    if (!found) throw Error(ErrorCode::ErrorReadingConfig, "error loading config: no matching destination found in config");
    int count = !found->s3_bucket.empty() + !found->gcs_bucket.empty() + !found->vault_path.empty();
    if (count > 1)
        throw Error(ErrorCode::ErrorReadingConfig, "error loading config: more than one destinations were found in a single "
                                                   "destination rule, you can only use one per rule");
    return *found;
}

}  // namespace sopskit
