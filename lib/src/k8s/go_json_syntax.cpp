// Go's encoding/json scanner, rewritten as a loop with an explicit stack: same accepted
// language, same first error and wording (scanner.go's messages and quoteChar).
#include "k8s/go_json_syntax.hpp"

#include <vector>

#include "core/go_quote.hpp"

namespace sopskit::detail {

namespace {

constexpr std::size_t kMaxDepth = 10000;  // encoding/json's maxNestingDepth

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// quoteChar: the byte as a Go rune literal ('x', '\n', '\x01', '"', '\'').
std::string quote_char(unsigned char c) {
    if (c == '\'') return "'\\''";
    if (c == '"') return "'\"'";
    std::string rune;  // string(c) in Go: the byte as a rune, U+0000..U+00FF
    if (c < 0x80) {
        rune = std::string(1, static_cast<char>(c));
    } else {
        rune += static_cast<char>(0xC0 | (c >> 6));
        rune += static_cast<char>(0x80 | (c & 0x3F));
    }
    std::string q = go_quote_string(rune);
    return "'" + q.substr(1, q.size() - 2) + "'";
}

struct SyntaxError {
    std::string message;
};

class Checker {
public:
    explicit Checker(std::string_view s) : s_(s) {}

    void run() {
        enum class Ctx { Object, Array };
        std::vector<Ctx> stack;
        for (;;) {
            // A value is expected here.
            skip_space();
            need_more();
            char c = s_[i_];
            bool closed_empty = false;
            if (c == '{' || c == '[') {
                stack.push_back(c == '{' ? Ctx::Object : Ctx::Array);
                if (stack.size() > kMaxDepth) invalid(c, "exceeded max depth");
                ++i_;
                skip_space();
                need_more();
                if (s_[i_] == (c == '{' ? '}' : ']')) {
                    ++i_;
                    stack.pop_back();
                    closed_empty = true;
                } else if (c == '{') {
                    object_key();
                    continue;
                } else {
                    continue;
                }
            }
            if (!closed_empty) scalar();
            // After a value: close containers or move on to the next member.
            for (;;) {
                skip_space();
                if (stack.empty()) {
                    if (i_ < s_.size()) invalid(s_[i_], "after top-level value");
                    return;
                }
                need_more();
                char d = s_[i_];
                if (stack.back() == Ctx::Object) {
                    if (d == ',') {
                        ++i_;
                        skip_space();
                        need_more();
                        object_key();
                        break;
                    }
                    if (d != '}') invalid(d, "after object key:value pair");
                } else {
                    if (d == ',') {
                        ++i_;
                        break;
                    }
                    if (d != ']') invalid(d, "after array element");
                }
                ++i_;
                stack.pop_back();
            }
        }
    }

private:
    [[noreturn]] void invalid(char c, const char* context) {
        throw SyntaxError{"invalid character " + quote_char(static_cast<unsigned char>(c)) + " " + context};
    }
    void need_more() {
        if (i_ >= s_.size()) throw SyntaxError{"unexpected end of JSON input"};
    }
    void skip_space() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }
    // At an object key: the string, then ':'.
    void object_key() {
        if (s_[i_] != '"') invalid(s_[i_], "looking for beginning of object key string");
        string();
        skip_space();
        need_more();
        if (s_[i_] != ':') invalid(s_[i_], "after object key");
        ++i_;
    }
    void scalar() {
        char c = s_[i_];
        if (c == '"') return string();
        if (c == '-' || is_digit(c)) return number();
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        invalid(c, "looking for beginning of value");
    }
    void string() {
        ++i_;
        for (;;) {
            need_more();
            unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return;
            }
            if (c == '\\') {
                ++i_;
                need_more();
                char e = s_[i_];
                if (e == 'u') {
                    ++i_;
                    for (int k = 0; k < 4; ++k, ++i_) {
                        need_more();
                        if (!is_hex(s_[i_])) invalid(s_[i_], "in \\u hexadecimal character escape");
                    }
                    continue;
                }
                if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) invalid(e, "in string escape code");
                ++i_;
                continue;
            }
            if (c < 0x20) invalid(static_cast<char>(c), "in string literal");
            ++i_;
        }
    }
    void number() {
        if (s_[i_] == '-') {
            ++i_;
            need_more();
            if (!is_digit(s_[i_])) invalid(s_[i_], "in numeric literal");
        }
        if (s_[i_] == '0') {
            ++i_;
        } else {
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            need_more();
            if (!is_digit(s_[i_])) invalid(s_[i_], "after decimal point in numeric literal");
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            need_more();
            if (s_[i_] == '+' || s_[i_] == '-') {
                ++i_;
                need_more();
            }
            if (!is_digit(s_[i_])) invalid(s_[i_], "in exponent of numeric literal");
            while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        }
    }
    void literal(std::string_view word) {
        ++i_;
        for (std::size_t k = 1; k < word.size(); ++k, ++i_) {
            need_more();
            if (s_[i_] != word[k]) {
                std::string context = "in literal " + std::string(word) + " (expecting " + quote_char(static_cast<unsigned char>(word[k])) + ")";
                invalid(s_[i_], context.c_str());
            }
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};


}  // namespace

std::optional<std::string> go_json_syntax_error(std::string_view text) {
    try {
        Checker(text).run();
    } catch (const SyntaxError& e) {
        return e.message;
    }
    return std::nullopt;
}

void GoJsonCursor::skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
}

std::string_view GoJsonCursor::peek_kind() {
    skip_space();
    switch (text_[pos_]) {
        case '{': return "object";
        case '[': return "array";
        case '"': return "string";
        case 't': case 'f': return "bool";
        case 'n': return "null";
        default: return "number";
    }
}

void GoJsonCursor::enter() {
    skip_space();
    ++pos_;
}

bool GoJsonCursor::next_member() {
    // Valid text: a ',' is always followed by a member, never by the closing bracket.
    skip_space();
    if (text_[pos_] == ',') {
        ++pos_;
        skip_space();
    }
    if (text_[pos_] == '}' || text_[pos_] == ']') {
        ++pos_;
        return false;
    }
    return true;
}

std::string GoJsonCursor::read_key() {
    std::string key = read_string();
    skip_space();
    ++pos_;  // ':'
    return key;
}

std::string GoJsonCursor::read_string() {
    skip_space();
    ++pos_;  // opening quote
    std::string out;
    auto hex4 = [&](std::size_t at) {
        char32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = text_[at + k];
            v = v * 16 + static_cast<char32_t>(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return v;
    };
    while (text_[pos_] != '"') {
        char c = text_[pos_];
        if (c != '\\') {
            DecodedRune d = decode_utf8_rune(text_.substr(pos_));
            if (d.rune == 0xFFFD && d.length == 1) append_utf8(out, 0xFFFD);
            else out.append(text_.substr(pos_, d.length));
            pos_ += d.length;
            continue;
        }
        char e = text_[pos_ + 1];
        pos_ += 2;
        switch (e) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                char32_t r = hex4(pos_);
                pos_ += 4;
                if (r >= 0xD800 && r < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
                    char32_t low = hex4(pos_ + 2);
                    if (low >= 0xDC00 && low < 0xE000) {
                        append_utf8(out, 0x10000 + ((r - 0xD800) << 10) + (low - 0xDC00));
                        pos_ += 6;
                        break;
                    }
                }
                append_utf8(out, (r >= 0xD800 && r < 0xE000) ? 0xFFFD : r);
                break;
            }
            default: out += e;  // " \ /
        }
    }
    ++pos_;
    return out;
}

void GoJsonCursor::skip_value() {
    skip_space();
    std::size_t depth = 0;
    do {
        char c = text_[pos_];
        if (c == '"') {
            ++pos_;
            while (text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
            ++pos_;
        } else if (c == '{' || c == '[') {
            ++depth;
            ++pos_;
        } else if (c == '}' || c == ']') {
            --depth;
            ++pos_;
        } else if (is_space(c) || c == ',' || c == ':') {
            ++pos_;
        } else {
            while (pos_ < text_.size() && !is_space(text_[pos_]) && std::string_view(",]}").find(text_[pos_]) == std::string_view::npos) ++pos_;
        }
    } while (depth > 0);
}

}  // namespace sopskit::detail
