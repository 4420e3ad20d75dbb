// Go's encoding/json syntax check (json.Valid's scanner) with its error texts, and a cursor over
// text that passed it. Iterative, so nesting depth costs no stack (Go stops at 10000 levels).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::detail {

// nullopt when `text` is one valid JSON value; otherwise the message json.Unmarshal returns
// ("unexpected end of JSON input", "invalid character 'x' looking for beginning of value", ...).
std::optional<std::string> go_json_syntax_error(std::string_view text);

// Reads values from text that go_json_syntax_error accepted.
class GoJsonCursor {
public:
    explicit GoJsonCursor(std::string_view text) : text_(text) {}
    // The next value's kind in Go's words: "object", "array", "string", "number", "bool", "null".
    std::string_view peek_kind();
    // Consumes '{' / '['; next_member then reports whether another member follows, consuming
    // the ',' before it or the closing bracket after the last one.
    void enter();
    bool next_member();
    // An object member's key and the ':' after it.
    std::string read_key();
    // A string value, unescaped as Go does (bad UTF-8 and lone surrogates become U+FFFD).
    std::string read_string();
    // Skips one whole value of any kind.
    void skip_value();

private:
    void skip_space();
    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace sopskit::detail
