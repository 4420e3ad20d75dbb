// The ordered document tree every store reads into and emits from.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/secure.hpp"

namespace sopskit {

// Scalar and collection kinds, as in sops' tree (sops.go). Comment values appear only as
// list entries or as item keys; Bytes only in the binary store.
enum class Kind : std::uint8_t { Null, String, Int, Float, Bool, Time, Bytes, Map, List, Comment };

struct Item;

// One node. `text` holds String/Time/Bytes/Comment contents (Time as RFC 3339 text).
// Plaintext lives here, so the destructor wipes the string's buffer.
struct Value {
    Kind kind = Kind::Null;
    bool comment_inline = false;  // Comment: stood on the same line as a value
    bool boolean = false;
    std::int64_t integer = 0;
    double number = 0.0;
    std::string text;
    std::vector<Item> map;     // Kind::Map, in document order
    std::vector<Value> list;   // Kind::List, may contain Comment values

    Value() = default;
    Value(const Value&) = default;
    Value(Value&&) noexcept = default;
    Value& operator=(const Value&) = default;
    Value& operator=(Value&&) noexcept = default;
    ~Value();

    static Value null();
    static Value string(std::string s);
    static Value integer_value(std::int64_t i);
    static Value float_value(double d);
    static Value bool_value(bool b);
    static Value time(std::string rfc3339);
    static Value bytes(std::string raw);
    static Value comment(std::string text, bool is_inline = false);
    static Value empty_map();
    static Value empty_list();

    bool is_comment() const { return kind == Kind::Comment; }
    bool is_scalar() const { return kind != Kind::Map && kind != Kind::List && kind != Kind::Comment; }
    // Map lookup by key (first match); nullptr when absent or not a map.
    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
};

// A map entry. A comment entry has key.kind == Comment and a Null value.
struct Item {
    Value key;
    Value value;
    bool is_comment() const { return key.kind == Kind::Comment; }
};

// Defined here, where Item is complete (clang needs it to build the vector members).
inline Value Value::null() { return Value{}; }

// A document's top level (sops: TreeBranch). YAML files may hold several.
using Branch = std::vector<Item>;
using Branches = std::vector<Branch>;

// Structural equality (kinds and contents; comments included).
bool operator==(const Value& a, const Value& b);
bool operator==(const Item& a, const Item& b);

}  // namespace sopskit
