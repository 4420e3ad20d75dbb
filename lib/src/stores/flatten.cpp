// Metadata flattening for dotenv and INI (sops' stores/flatten.go): nested keys joined with
// "__map_" and list positions with "__list_N".
#include <algorithm>
#include <charconv>
#include <map>
#include <memory>

#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit::detail {

namespace {

constexpr std::string_view kMapSep = "__map_";
constexpr std::string_view kListSep = "__list_";

void flatten_value(const Value& v, const std::string& key, Branch& out) {
    if (v.kind == Kind::Map) {
        for (const auto& item : v.map)
            if (!item.is_comment()) flatten_value(item.value, key + std::string(kMapSep) + item.key.text, out);
        return;
    }
    if (v.kind == Kind::List) {
        int i = 0;
        for (const auto& e : v.list)
            if (!e.is_comment()) flatten_value(e, key + std::string(kListSep) + std::to_string(i++), out);
        return;
    }
    for (const auto& existing : out)
        if (existing.key.text == key) throw Error(ErrorCode::Generic, "Found key collision \"" + key + "\" while flattening");
    out.push_back(Item{Value::string(key), v});
}

// One path component: a map key or a list index.
struct Token {
    bool is_index;
    std::string key;
    int index;
};

std::vector<Token> tokenize(std::string_view path) {
    std::vector<Token> tokens;
    enum { Normal, Map, List } state = Normal;
    std::size_t last = 0, i = 0;
    auto finish = [&] {
        if (state == List) {
            int pos = 0;
            auto digits = path.substr(last + kListSep.size(), i - last - kListSep.size());
            std::from_chars(digits.data(), digits.data() + digits.size(), pos);
            tokens.push_back({true, {}, pos});
        } else {
            std::size_t skip = state == Map ? kMapSep.size() : 0;
            tokens.push_back({false, std::string(path.substr(last + skip, i - last - skip)), 0});
        }
        last = i;
    };
    while (i < path.size()) {
        if (path.substr(i, kMapSep.size()) == kMapSep) {
            finish();
            state = Map;
            i += kMapSep.size();
        } else if (path.substr(i, kListSep.size()) == kListSep) {
            finish();
            state = List;
            i += kListSep.size();
        } else {
            ++i;
        }
    }
    finish();
    return tokens;
}

struct Node {
    const Value* value = nullptr;
    std::map<std::string, std::unique_ptr<Node>> keys;  // sorted, as upstream's convert() sorts
    std::map<int, std::unique_ptr<Node>> indices;
};

Value convert(const Node& n) {
    int kinds = (n.value != nullptr) + !n.keys.empty() + !n.indices.empty();
    if (kinds > 1) throw Error(ErrorCode::Generic, "Error while unflattening: Type mismatch");
    if (n.value) return *n.value;
    if (!n.indices.empty()) {
        if (n.indices.begin()->first != 0 || n.indices.rbegin()->first + 1 != static_cast<int>(n.indices.size()))
            throw Error(ErrorCode::Generic, "Error while unflattening: Incomplete list");
        Value list = Value::empty_list();
        for (const auto& [i, child] : n.indices) list.list.push_back(convert(*child));
        return list;
    }
    Value map = Value::empty_map();
    for (const auto& [k, child] : n.keys) map.map.push_back(Item{Value::string(k), convert(*child)});
    return map;
}

}  // namespace

Branch flatten_map(const Value& map, std::string_view prefix) {
    Branch out;
    for (const auto& item : map.map)
        if (!item.is_comment()) flatten_value(item.value, std::string(prefix) + item.key.text, out);
    return out;
}

Value unflatten_items(const Branch& flat) {
    Node root;
    for (const auto& item : flat) {
        if (item.is_comment()) continue;
        Node* n = &root;
        for (const auto& t : tokenize(item.key.text)) {
            auto& slot = t.is_index ? n->indices[t.index] : n->keys[t.key];
            if (!slot) slot = std::make_unique<Node>();
            n = slot.get();
        }
        if (n->value) throw Error(ErrorCode::Generic, "Error while unflattening \"" + item.key.text + "\": Duplicate value");
        n->value = &item.value;
    }
    return convert(root);
}

}  // namespace sopskit::detail
