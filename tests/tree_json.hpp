// Test helper: a tree as ordered JSON (comments dropped), for comparison with expected files.
#pragma once
#include <nlohmann/json.hpp>

#include "sopskit/tree.hpp"

namespace sopskit::test {

inline nlohmann::ordered_json to_json(const Value& v) {
    using J = nlohmann::ordered_json;
    switch (v.kind) {
        case Kind::Null: return nullptr;
        case Kind::Bool: return v.boolean;
        case Kind::Int: return v.integer;
        case Kind::Float: return v.number;
        case Kind::String:
        case Kind::Time:
        case Kind::Bytes:
        case Kind::Comment: return v.text;
        case Kind::Map: {
            J o = J::object();
            for (const auto& item : v.map)
                if (!item.is_comment()) o[item.key.text] = to_json(item.value);
            return o;
        }
        case Kind::List: {
            J a = J::array();
            for (const auto& e : v.list)
                if (!e.is_comment()) a.push_back(to_json(e));
            return a;
        }
    }
    return nullptr;
}

inline nlohmann::ordered_json to_json(const Branch& b) {
    Value m = Value::empty_map();
    m.map = b;
    return to_json(m);
}

// Strict comparison: same keys in the same order, ints vs floats told apart.
inline bool same_typed_json(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
    if (a.type() != b.type()) return false;
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        auto ia = a.begin();
        auto ib = b.begin();
        for (; ia != a.end(); ++ia, ++ib)
            if (ia.key() != ib.key() || !same_typed_json(ia.value(), ib.value())) return false;
        return true;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!same_typed_json(a[i], b[i])) return false;
        return true;
    }
    return a == b;
}

}  // namespace sopskit::test
