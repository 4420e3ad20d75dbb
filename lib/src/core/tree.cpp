#include "sopskit/tree.hpp"

#include <sodium.h>

namespace sopskit {

void wipe(std::string& s) noexcept {
    if (s.capacity() > 0) sodium_memzero(s.data(), s.capacity());
}

Value::~Value() { wipe(text); }

Value Value::string(std::string s) {
    Value v;
    v.kind = Kind::String;
    v.text = std::move(s);
    return v;
}
Value Value::integer_value(std::int64_t i) {
    Value v;
    v.kind = Kind::Int;
    v.integer = i;
    return v;
}
Value Value::float_value(double d) {
    Value v;
    v.kind = Kind::Float;
    v.number = d;
    return v;
}
Value Value::bool_value(bool b) {
    Value v;
    v.kind = Kind::Bool;
    v.boolean = b;
    return v;
}
Value Value::time(std::string rfc3339) {
    Value v;
    v.kind = Kind::Time;
    v.text = std::move(rfc3339);
    return v;
}
Value Value::bytes(std::string raw) {
    Value v;
    v.kind = Kind::Bytes;
    v.text = std::move(raw);
    return v;
}
Value Value::comment(std::string text, bool is_inline) {
    Value v;
    v.kind = Kind::Comment;
    v.text = std::move(text);
    v.comment_inline = is_inline;
    return v;
}
Value Value::empty_map() {
    Value v;
    v.kind = Kind::Map;
    return v;
}
Value Value::empty_list() {
    Value v;
    v.kind = Kind::List;
    return v;
}

const Value* Value::find(std::string_view key) const {
    if (kind != Kind::Map) return nullptr;
    for (const auto& item : map)
        if (!item.is_comment() && item.key.text == key) return &item.value;
    return nullptr;
}
Value* Value::find(std::string_view key) {
    return const_cast<Value*>(static_cast<const Value&>(*this).find(key));
}

bool operator==(const Value& a, const Value& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
        case Kind::Null: return true;
        case Kind::Int: return a.integer == b.integer;
        case Kind::Float: return a.number == b.number;
        case Kind::Bool: return a.boolean == b.boolean;
        case Kind::String:
        case Kind::Time:
        case Kind::Bytes: return a.text == b.text;
        case Kind::Comment: return a.text == b.text && a.comment_inline == b.comment_inline;
        case Kind::Map: return a.map == b.map;
        case Kind::List: return a.list == b.list;
    }
    return false;
}

bool operator==(const Item& a, const Item& b) { return a.key == b.key && a.value == b.value; }

}  // namespace sopskit
