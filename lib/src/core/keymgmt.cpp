#include "sopskit/keymgmt.hpp"

#include <algorithm>

#include "core/shamir.hpp"
#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit {

void wrap_for_groups(Metadata& md, const std::vector<std::vector<Recipient>>& groups, const SecureBytes& data_key,
                     const KeyRing& ring) {
    if (groups.empty()) throw Error(ErrorCode::NoEncryptionKeyFound, "no key groups provided");
    std::vector<SecureBytes> parts;
    int n = static_cast<int>(groups.size());
    if (n == 1) {
        parts.push_back(data_key.clone());
    } else {
        if (md.shamir_threshold == 0) md.shamir_threshold = n;
        parts = detail::shamir_split(data_key, n, md.shamir_threshold);
    }
    std::vector<KeyGroup> wrapped;
    for (int g = 0; g < n; ++g) {
        if (groups[g].empty()) throw Error(ErrorCode::NoEncryptionKeyFound, "empty key group provided");
        KeyGroup stored;
        for (const auto& r : groups[g]) {
            KeySource* source = ring.find(r.kind);
            if (!source) throw Error(ErrorCode::NoEncryptionKeyFound, "no support for " + r.kind + " keys in this build");
            stored.push_back(source->wrap(r, parts[g]));
        }
        wrapped.push_back(std::move(stored));
    }
    md.key_groups = std::move(wrapped);
}

std::vector<std::vector<Recipient>> recipients_of(const Metadata& md, const KeyRing& ring) {
    std::vector<std::vector<Recipient>> groups;
    for (const auto& g : md.key_groups) {
        std::vector<Recipient> rs;
        for (const auto& k : g) {
            KeySource* source = ring.find(k.kind);
            if (!source) throw Error(ErrorCode::Generic, "cannot re-wrap a " + k.kind + " key: no support for it in this build");
            rs.push_back(source->recipient_of(k));
        }
        groups.push_back(std::move(rs));
    }
    return groups;
}

std::string rotate_document(std::string_view file, Format format, const KeyRing& ring, const RotateOptions& opts) {
    DecryptedFile dec = decrypt_document(file, format, ring, opts.decrypt, opts.store);
    auto groups = recipients_of(dec.metadata, ring);
    for (const auto& r : opts.add) groups.front().push_back(r);
    for (auto& g : groups)
        std::erase_if(g, [&](const Recipient& r) { return std::find(opts.remove.begin(), opts.remove.end(), r) != opts.remove.end(); });
    SecureBytes new_key = SecureBytes::random(32);
    Metadata md = std::move(dec.metadata);
    wrap_for_groups(md, groups, new_key, ring);
    return encrypt_with_metadata(std::move(dec.branches), std::move(md), new_key, opts.output_format.value_or(format), opts.store);
}

// --- updatekeys ------------------------------------------------------------------------------

bool KeyUpdate::changes() const {
    if (old_threshold != new_threshold) return true;
    for (const auto& d : diffs)
        if (!d.added.empty() || !d.removed.empty()) return true;
    return false;
}

std::string KeyUpdate::describe() const {
    std::string out = "The following changes will be made to the file's groups:\n";
    if (old_threshold != new_threshold)
        out += "Shamir threshold: " + std::to_string(old_threshold) + " -> " + std::to_string(new_threshold) + "\n";
    for (std::size_t i = 0; i < diffs.size(); ++i) {
        out += "Group " + std::to_string(i + 1) + "\n";
        for (const auto& r : diffs[i].added) out += "    +++ " + r.id + "\n";
        for (const auto& r : diffs[i].removed) out += "    --- " + r.id + "\n";
    }
    return out;
}

KeyUpdate plan_key_update(const Metadata& md, const KeyRing& ring, const CreationRule& rule, int threshold_override) {
    auto current = recipients_of(md, ring);
    KeyUpdate plan;
    std::size_t n = std::max(current.size(), rule.key_groups.size());
    for (std::size_t i = 0; i < n; ++i) {
        GroupDiff d;
        static const std::vector<Recipient> none;
        const auto& have = i < current.size() ? current[i] : none;
        const auto& want = i < rule.key_groups.size() ? rule.key_groups[i] : none;
        for (const auto& r : want)
            if (std::find(have.begin(), have.end(), r) == have.end()) d.added.push_back(r);
        for (const auto& r : have)
            if (std::find(want.begin(), want.end(), r) == want.end()) d.removed.push_back(r);
        plan.diffs.push_back(std::move(d));
    }
    plan.old_threshold = md.shamir_threshold;
    int threshold = threshold_override != 0 ? threshold_override : md.shamir_threshold;
    plan.new_threshold = std::min(threshold, static_cast<int>(rule.key_groups.size()));
    return plan;
}

std::string apply_key_update(std::string_view file, Format format, const KeyRing& ring, const CreationRule& rule,
                             const KeyUpdate& plan, const StoreOptions& store) {
    SplitFile split = load_encrypted(format, file, store);
    Metadata md = parse_metadata(split.metadata);
    SecureBytes key = ring.unwrap_data_key(md);
    md.shamir_threshold = plan.new_threshold;
    wrap_for_groups(md, rule.key_groups, key, ring);
    return emit_encrypted(format, std::move(split.branches), serialize_metadata(md), store);
}

// --- set / unset -----------------------------------------------------------------------------

Value parse_set_value(std::string_view json) {
    std::string wrapped = "{\"v\": " + std::string(json) + "}";
    Branch b;
    try {
        b = detail::json_load(wrapped);
    } catch (const Error&) {
        wipe(wrapped);
        throw Error(ErrorCode::InvalidSetFormat, "Value for --set is not valid JSON");
    }
    wipe(wrapped);
    if (b.size() != 1) throw Error(ErrorCode::InvalidSetFormat, "Value for --set is not valid JSON");
    Value v = std::move(b[0].value);
    if (v.kind == Kind::Int) v = Value::float_value(static_cast<double>(v.integer));  // encoding/json numbers are float64
    return v;
}

namespace {

// The value sops builds for a path that does not exist yet (valueFromPathAndLeaf).
Value value_for_path(const TreePath& path, std::size_t from, Value leaf) {
    if (from == path.size()) return leaf;
    Value inner = value_for_path(path, from + 1, std::move(leaf));
    if (std::holds_alternative<std::int64_t>(path[from])) {
        Value list = Value::empty_list();
        list.list.push_back(std::move(inner));
        return list;
    }
    Value map = Value::empty_map();
    map.map.push_back(Item{Value::string(std::get<std::string>(path[from])), std::move(inner)});
    return map;
}

bool set_in(Value& node, const TreePath& path, std::size_t at, Value& leaf) {
    if (at == path.size()) {
        bool changed = !(node == leaf);
        node = std::move(leaf);
        return changed;
    }
    if (node.kind == Kind::Map && std::holds_alternative<std::string>(path[at])) {
        const auto& key = std::get<std::string>(path[at]);
        for (auto& item : node.map)
            if (!item.is_comment() && item.key.text == key) return set_in(item.value, path, at + 1, leaf);
        node.map.push_back(Item{Value::string(key), value_for_path(path, at + 1, std::move(leaf))});
        return true;
    }
    if (node.kind == Kind::List && std::holds_alternative<std::int64_t>(path[at])) {
        auto pos = static_cast<std::size_t>(std::max<std::int64_t>(0, std::get<std::int64_t>(path[at])));
        if (pos >= node.list.size()) {
            node.list.push_back(value_for_path(path, at + 1, std::move(leaf)));
            return true;
        }
        return set_in(node.list[pos], path, at + 1, leaf);
    }
    Value fresh = value_for_path(path, at, std::move(leaf));
    bool changed = !(node == fresh);
    node = std::move(fresh);
    return changed;
}

}  // namespace

bool set_value(Branch& doc, const TreePath& path, Value v) {
    if (path.empty()) throw Error(ErrorCode::InvalidTreePathFormat, "the path must name at least one key");
    Value root = Value::empty_map();
    root.map = std::move(doc);
    bool changed = set_in(root, path, 0, v);
    doc = std::move(root.map);
    return changed;
}

void unset_value(Branch& doc, const TreePath& path) {
    if (path.empty()) throw Error(ErrorCode::InvalidTreePathFormat, "the path must name at least one key");
    Value root = Value::empty_map();
    root.map = std::move(doc);
    Value* node = &root;
    for (std::size_t i = 0; i < path.size(); ++i) {
        bool last = i + 1 == path.size();
        if (const auto* key = std::get_if<std::string>(&path[i])) {
            if (node->kind != Kind::Map) throw Error(ErrorCode::Generic, "Key not found: " + *key);
            auto it = std::find_if(node->map.begin(), node->map.end(),
                                   [&](const Item& item) { return !item.is_comment() && item.key.text == *key; });
            if (it == node->map.end()) {
                doc = std::move(root.map);
                throw Error(ErrorCode::Generic, "Key not found: " + *key);
            }
            if (last) node->map.erase(it);
            else node = &it->value;
        } else {
            auto pos = std::get<std::int64_t>(path[i]);
            if (node->kind != Kind::List || pos < 0 || static_cast<std::size_t>(pos) >= node->list.size()) {
                doc = std::move(root.map);
                throw Error(ErrorCode::Generic, "Index " + std::to_string(pos) + " out of bounds");
            }
            if (last) node->list.erase(node->list.begin() + pos);
            else node = &node->list[static_cast<std::size_t>(pos)];
        }
    }
    doc = std::move(root.map);
}

std::string rewrite_document(std::string_view file, Format format, const KeyRing& ring, const DecryptOptions& dopts,
                             const StoreOptions& store, const std::function<void(Branches&)>& edit) {
    DecryptedFile dec = decrypt_document(file, format, ring, dopts, store);
    edit(dec.branches);
    return encrypt_with_metadata(std::move(dec.branches), std::move(dec.metadata), dec.data_key, format, store, &dec.ivs);
}

bool is_encrypted_file(std::string_view file, Format format) {
    try {
        SplitFile split = load_encrypted(format, file);
        const Value* version = split.metadata.find("version");
        const Value* mac = split.metadata.find("mac");
        return version && mac && !(version->kind == Kind::String && version->text.empty()) && mac->kind == Kind::String &&
               !mac->text.empty();
    } catch (const Error&) {
        return false;
    }
}

}  // namespace sopskit

namespace sopskit {

namespace {

std::string regroup(std::string_view file, Format format, const KeyRing& ring, const StoreOptions& store, int threshold,
                    const std::function<void(std::vector<std::vector<Recipient>>&)>& change) {
    SplitFile split = load_encrypted(format, file, store);
    Metadata md = parse_metadata(split.metadata);
    SecureBytes key = ring.unwrap_data_key(md);
    auto groups = recipients_of(md, ring);
    change(groups);
    if (groups.empty()) throw Error(ErrorCode::Generic, "a file needs at least one key group");
    md.shamir_threshold = groups.size() > 1 ? (threshold > 0 ? threshold : std::min<int>(md.shamir_threshold, groups.size())) : 0;
    if (md.shamir_threshold > static_cast<int>(groups.size()))
        throw Error(ErrorCode::Generic, "the Shamir threshold is larger than the number of key groups");
    wrap_for_groups(md, groups, key, ring);
    return emit_encrypted(format, std::move(split.branches), serialize_metadata(md), store);
}

}  // namespace

std::string add_key_group(std::string_view file, Format format, const KeyRing& ring, const std::vector<Recipient>& group,
                          int threshold, const StoreOptions& store) {
    if (group.empty()) throw Error(ErrorCode::NoEncryptionKeyFound, "the new key group has no keys");
    return regroup(file, format, ring, store, threshold, [&](auto& groups) { groups.push_back(group); });
}

std::string delete_key_group(std::string_view file, Format format, const KeyRing& ring, std::size_t index, int threshold,
                             const StoreOptions& store) {
    return regroup(file, format, ring, store, threshold, [&](auto& groups) {
        if (index >= groups.size()) throw Error(ErrorCode::Generic, "no key group " + std::to_string(index));
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(index));
    });
}

}  // namespace sopskit
