#include "sopskit/metadata.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>

#include "core/go_format.hpp"
#include "sopskit/error.hpp"
#include "stores/yaml_scalars.hpp"

namespace sopskit {

namespace {

// Master key kinds in the order sops builds a group from them (internalGroupFrom).
constexpr std::array<std::string_view, 7> kKnownKinds{"kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age"};
// In key_groups entries these two are written even when empty (no omitempty upstream).
constexpr std::array<std::string_view, 2> kAlwaysWrittenInGroups{"hc_vault", "age"};

constexpr std::array<std::string_view, 12> kScalarFields{
    "shamir_threshold", "lastmodified", "mac", "unencrypted_suffix", "encrypted_suffix", "unencrypted_regex",
    "encrypted_regex", "unencrypted_comment_regex", "encrypted_comment_regex", "mac_only_encrypted", "version",
    "key_groups"};

bool is_known_kind(std::string_view k) {
    return std::find(kKnownKinds.begin(), kKnownKinds.end(), k) != kKnownKinds.end();
}

[[noreturn]] void bad(const std::string& msg) { throw Error(ErrorCode::Generic, "invalid sops metadata: " + msg); }

// mapstructure's weak string conversion.
std::string weak_string(const Value& v, std::string_view field) {
    switch (v.kind) {
        case Kind::Null: return "";
        case Kind::String:
        case Kind::Time: return v.text;
        case Kind::Int: return std::to_string(v.integer);
        case Kind::Float: return detail::go_format_float(v.number, 'f');
        case Kind::Bool: return v.boolean ? "1" : "0";
        default: bad("field '" + std::string(field) + "' must be a string");
    }
}

int weak_int(const Value& v, std::string_view field) {
    switch (v.kind) {
        case Kind::Null: return 0;
        case Kind::Int: return static_cast<int>(v.integer);
        case Kind::Float: return static_cast<int>(v.number);
        case Kind::Bool: return v.boolean ? 1 : 0;
        case Kind::String:
            if (v.text.empty()) return 0;
            if (auto i = detail::go_parse_int(v.text)) return static_cast<int>(*i);
            [[fallthrough]];
        default: bad("field '" + std::string(field) + "' must be a number");
    }
}

bool weak_bool(const Value& v, std::string_view field) {
    switch (v.kind) {
        case Kind::Null: return false;
        case Kind::Bool: return v.boolean;
        case Kind::Int: return v.integer != 0;
        case Kind::String: {
            const std::string& s = v.text;
            if (s.empty() || s == "0" || s == "f" || s == "F" || s == "false" || s == "False" || s == "FALSE") return false;
            if (s == "1" || s == "t" || s == "T" || s == "true" || s == "True" || s == "TRUE") return true;
            [[fallthrough]];
        }
        default: bad("field '" + std::string(field) + "' must be a boolean");
    }
}

std::vector<StoredKey> read_key_list(const Value& list, std::string_view kind) {
    std::vector<StoredKey> keys;
    if (list.kind == Kind::Null) return keys;
    if (list.kind != Kind::List) bad("'" + std::string(kind) + "' must be a list");
    for (const auto& entry : list.list) {
        if (entry.is_comment()) continue;
        if (entry.kind != Kind::Map) bad("entries of '" + std::string(kind) + "' must be mappings");
        StoredKey k{std::string(kind), Value::empty_map()};
        for (const auto& item : entry.map)
            if (!item.is_comment()) k.fields.map.push_back(Item{item.key, item.value});
        keys.push_back(std::move(k));
    }
    return keys;
}

// One group from a mapping of kind -> list (the flat top level, or a key_groups entry).
KeyGroup read_group(const Value& map, bool top_level) {
    KeyGroup group;
    for (auto kind : kKnownKinds)
        if (const Value* list = map.find(kind)) {
            auto keys = read_key_list(*list, kind);
            group.insert(group.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
        }
    if (!top_level) {
        // Unknown kinds inside a group are kept so a rewrite does not drop them.
        for (const auto& item : map.map) {
            if (item.is_comment() || is_known_kind(item.key.text) || item.value.kind != Kind::List) continue;
            auto keys = read_key_list(item.value, item.key.text);
            group.insert(group.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
        }
    }
    return group;
}

void sort_map_recursively(Value& v) {
    if (v.kind == Kind::Map) {
        std::stable_sort(v.map.begin(), v.map.end(),
                         [](const Item& a, const Item& b) { return a.key.text < b.key.text; });
        for (auto& item : v.map) sort_map_recursively(item.value);
    } else if (v.kind == Kind::List) {
        for (auto& e : v.list) sort_map_recursively(e);
    }
}

Value keys_of_kind(const KeyGroup& group, std::string_view kind) {
    Value list = Value::empty_list();
    for (const auto& k : group)
        if (k.kind == kind) list.list.push_back(k.fields);
    return list;
}

std::vector<std::string> kinds_in(const KeyGroup& group) {
    std::vector<std::string> kinds;
    for (const auto& k : group)
        if (std::find(kinds.begin(), kinds.end(), k.kind) == kinds.end()) kinds.push_back(k.kind);
    return kinds;
}

void put(Value& map, std::string key, Value v) { map.map.push_back(Item{Value::string(std::move(key)), std::move(v)}); }

}  // namespace

std::string StoredKey::field(std::string_view name) const {
    const Value* v = fields.find(name);
    if (!v) return "";
    switch (v->kind) {
        case Kind::String:
        case Kind::Time: return v->text;
        case Kind::Int: return std::to_string(v->integer);
        default: return "";
    }
}

void StoredKey::set_field(std::string_view name, Value v) {
    if (Value* existing = fields.find(name)) {
        *existing = std::move(v);
        return;
    }
    fields.map.push_back(Item{Value::string(std::string(name)), std::move(v)});
}

int CryptRules::rule_count() const {
    return !unencrypted_suffix.empty() + !encrypted_suffix.empty() + !unencrypted_regex.empty() +
           !encrypted_regex.empty() + !unencrypted_comment_regex.empty() + !encrypted_comment_regex.empty();
}

std::size_t Metadata::master_key_count() const {
    std::size_t n = 0;
    for (const auto& g : key_groups) n += g.size();
    return n;
}

Metadata parse_metadata(const Value& tree) {
    if (tree.kind != Kind::Map) bad("the sops entry is not a mapping");
    Metadata md;
    auto str = [&](std::string_view f) { const Value* v = tree.find(f); return v ? weak_string(*v, f) : std::string(); };
    md.last_modified = normalize_rfc3339(str("lastmodified"));
    md.mac = str("mac");
    md.version = str("version");
    md.rules.unencrypted_suffix = str("unencrypted_suffix");
    md.rules.encrypted_suffix = str("encrypted_suffix");
    md.rules.unencrypted_regex = str("unencrypted_regex");
    md.rules.encrypted_regex = str("encrypted_regex");
    md.rules.unencrypted_comment_regex = str("unencrypted_comment_regex");
    md.rules.encrypted_comment_regex = str("encrypted_comment_regex");
    if (const Value* v = tree.find("mac_only_encrypted")) md.rules.mac_only_encrypted = weak_bool(*v, "mac_only_encrypted");
    if (const Value* v = tree.find("shamir_threshold")) md.shamir_threshold = weak_int(*v, "shamir_threshold");

    if (md.rules.rule_count() > 1)
        throw Error(ErrorCode::Generic,
                    "Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
                    "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file");
    if (md.rules.rule_count() == 0) md.rules.unencrypted_suffix = kDefaultUnencryptedSuffix;

    KeyGroup flat = read_group(tree, true);
    if (!flat.empty()) {
        md.key_groups.push_back(std::move(flat));
    } else if (const Value* groups = tree.find("key_groups"); groups && groups->kind == Kind::List) {
        for (const auto& g : groups->list) {
            if (g.is_comment()) continue;
            if (g.kind != Kind::Map) bad("key_groups entries must be mappings");
            md.key_groups.push_back(read_group(g, false));
        }
    }
    if (md.key_groups.empty()) throw Error(ErrorCode::Generic, "No keys found in file");

    for (const auto& item : tree.map) {
        if (item.is_comment()) continue;
        const std::string& k = item.key.text;
        if (is_known_kind(k) || std::find(kScalarFields.begin(), kScalarFields.end(), k) != kScalarFields.end()) continue;
        md.unknown_fields.push_back(item);
    }
    return md;
}

Value serialize_metadata(const Metadata& md) {
    Value tree = Value::empty_map();
    if (md.shamir_threshold != 0) put(tree, "shamir_threshold", Value::integer_value(md.shamir_threshold));
    if (md.key_groups.size() == 1) {
        for (const auto& kind : kinds_in(md.key_groups[0])) put(tree, kind, keys_of_kind(md.key_groups[0], kind));
    } else if (md.key_groups.size() > 1) {
        Value groups = Value::empty_list();
        for (const auto& g : md.key_groups) {
            Value entry = Value::empty_map();
            for (const auto& kind : kinds_in(g)) put(entry, kind, keys_of_kind(g, kind));
            for (auto kind : kAlwaysWrittenInGroups)
                if (!entry.find(kind)) put(entry, std::string(kind), Value::empty_list());
            groups.list.push_back(std::move(entry));
        }
        put(tree, "key_groups", std::move(groups));
    }
    put(tree, "lastmodified", Value::string(md.last_modified));
    put(tree, "mac", Value::string(md.mac));
    const CryptRules& r = md.rules;
    if (!r.unencrypted_suffix.empty()) put(tree, "unencrypted_suffix", Value::string(r.unencrypted_suffix));
    if (!r.encrypted_suffix.empty()) put(tree, "encrypted_suffix", Value::string(r.encrypted_suffix));
    if (!r.unencrypted_regex.empty()) put(tree, "unencrypted_regex", Value::string(r.unencrypted_regex));
    if (!r.encrypted_regex.empty()) put(tree, "encrypted_regex", Value::string(r.encrypted_regex));
    if (!r.unencrypted_comment_regex.empty()) put(tree, "unencrypted_comment_regex", Value::string(r.unencrypted_comment_regex));
    if (!r.encrypted_comment_regex.empty()) put(tree, "encrypted_comment_regex", Value::string(r.encrypted_comment_regex));
    if (r.mac_only_encrypted) put(tree, "mac_only_encrypted", Value::bool_value(true));
    put(tree, "version", Value::string(md.version.empty() ? kSopsFormatVersion : md.version));
    for (const auto& item : md.unknown_fields) tree.map.push_back(item);
    sort_map_recursively(tree);
    return tree;
}

std::string now_rfc3339() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string normalize_rfc3339(std::string_view text) {
    auto ts = detail::parse_yaml_timestamp(text);
    if (!ts || text.size() < 11 || (text[10] != 'T' && text[10] != 't'))
        throw Error(ErrorCode::Generic, "invalid sops metadata: lastmodified/created_at is not an RFC 3339 time");
    std::string s = *ts;
    // Drop fractional seconds: time.RFC3339 has none.
    auto dot = s.find('.');
    if (dot != std::string::npos) {
        auto zone = s.find_first_of("Z+-", dot);
        s.erase(dot, zone - dot);
    }
    return s;
}

}  // namespace sopskit
