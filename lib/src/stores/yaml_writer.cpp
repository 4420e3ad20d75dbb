// Tree -> YAML, laid out as go-yaml v3 (sops' YAML library) lays it out: block style,
// sops' indent (default 4), sequences indented under their key, go-yaml's choice of plain,
// quoted or literal scalars, and comments where sops' store puts them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/go_format.hpp"
#include "core/text.hpp"
#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"
#include "stores/yaml_scalars.hpp"

namespace sopskit::detail {

namespace {

// --- scalar analysis (libyaml's yaml_emitter_analyze_scalar, as go-yaml v3 has it) ----------

std::size_t utf8_width(unsigned char c) {
    if ((c & 0x80) == 0) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

unsigned char at(std::string_view s, std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; }

bool is_break(std::string_view s, std::size_t i) {
    unsigned char c = at(s, i);
    return c == '\r' || c == '\n' || (c == 0xC2 && at(s, i + 1) == 0x85) ||
           (c == 0xE2 && at(s, i + 1) == 0x80 && (at(s, i + 2) == 0xA8 || at(s, i + 2) == 0xA9));
}
bool is_space(std::string_view s, std::size_t i) { return at(s, i) == ' '; }
bool is_blankz(std::string_view s, std::size_t i) {
    return i >= s.size() || at(s, i) == ' ' || at(s, i) == '\t' || is_break(s, i) || at(s, i) == 0;
}
bool is_printable(std::string_view s, std::size_t i) {
    unsigned char c = at(s, i), n1 = at(s, i + 1), n2 = at(s, i + 2);
    return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && n1 >= 0xA0) || (c > 0xC2 && c < 0xED) ||
           (c == 0xED && n1 < 0xA0) || c == 0xEE ||
           (c == 0xEF && !(n1 == 0xBB && n2 == 0xBF) && !(n1 == 0xBF && (n2 == 0xBE || n2 == 0xBF)));
}

struct ScalarAnalysis {
    bool multiline = false;
    bool block_plain_allowed = true;
    bool single_quoted_allowed = true;
    bool block_allowed = true;
};

// Visible ASCII only (no spaces, breaks or multi-byte characters), as every envelope is: the
// general scan below reduces to the indicator checks, and this is the writer's hot path.
std::optional<ScalarAnalysis> analyze_visible_ascii(std::string_view v) {
    if (ascii_run(v, 0x21) != v.size()) return std::nullopt;
    ScalarAnalysis a;
    char first = v[0];
    bool indicators = v.starts_with("---") || v.starts_with("...") ||
                      std::string_view("#,[]{}&*!|>'\"%@`").find(first) != std::string_view::npos ||
                      (v.size() == 1 && (first == '?' || first == ':' || first == '-')) || (v.size() > 1 && v.back() == ':');
    a.block_plain_allowed = !indicators;
    return a;
}

ScalarAnalysis analyze(std::string_view v) {
    ScalarAnalysis a;
    if (v.empty()) {
        a.block_allowed = false;
        return a;
    }
    if (auto fast = analyze_visible_ascii(v)) return *fast;
    bool block_indicators = false, line_breaks = false, special = false, tabs = false;
    bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
    bool break_space = false, space_break = false, previous_space = false, previous_break = false;
    if (v.substr(0, 3) == "---" || v.substr(0, 3) == "...") block_indicators = true;
    bool preceded_by_ws = true;
    bool followed_by_ws = is_blankz(v, utf8_width(at(v, 0)));
    for (std::size_t i = 0; i < v.size();) {
        unsigned char c = at(v, i);
        std::size_t w = utf8_width(c);
        if (i == 0) {
            if (std::string_view("#,[]{}&*!|>'\"%@`").find(static_cast<char>(c)) != std::string_view::npos)
                block_indicators = true;
            if ((c == '?' || c == ':') && followed_by_ws) block_indicators = true;
            if (c == '-' && followed_by_ws) block_indicators = true;
        } else {
            if (c == ':' && followed_by_ws) block_indicators = true;
            if (c == '#' && preceded_by_ws) block_indicators = true;
        }
        if (c == '\t') tabs = true;
        else if (!is_printable(v, i)) special = true;
        if (is_space(v, i)) {
            if (i == 0) leading_space = true;
            if (i + w == v.size()) trailing_space = true;
            if (previous_break) break_space = true;
            previous_space = true;
            previous_break = false;
        } else if (is_break(v, i)) {
            line_breaks = true;
            if (i == 0) leading_break = true;
            if (i + w == v.size()) trailing_break = true;
            if (previous_space) space_break = true;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = previous_break = false;
        }
        preceded_by_ws = is_blankz(v, i);
        i += w;
        if (i < v.size()) followed_by_ws = is_blankz(v, i + utf8_width(at(v, i)));
    }
    a.multiline = line_breaks;
    if (leading_space || leading_break || trailing_space || trailing_break) a.block_plain_allowed = false;
    if (trailing_space) a.block_allowed = false;
    if (break_space) a.block_plain_allowed = a.single_quoted_allowed = false;
    if (space_break || tabs || special) a.block_plain_allowed = a.single_quoted_allowed = false;
    if (space_break || special) a.block_allowed = false;
    if (line_breaks) a.block_plain_allowed = false;
    if (block_indicators) a.block_plain_allowed = false;
    return a;
}

enum class Style { Plain, Single, Double, Literal };

// go-yaml's encoder request (stringv) followed by the emitter's downgrade rules.
Style choose_string_style(std::string_view s, bool simple_key) {
    Style style;
    if (s.find('\n') != std::string_view::npos) style = Style::Literal;
    else if (!plain_string_would_change_type(s)) style = Style::Plain;
    else style = Style::Double;
    ScalarAnalysis a = analyze(s);
    if (simple_key && a.multiline) return Style::Double;
    if (style == Style::Plain) {
        if (!a.block_plain_allowed) style = Style::Single;
        if (s.empty() && simple_key) style = Style::Single;
    }
    if (style == Style::Single && !a.single_quoted_allowed) style = Style::Double;
    if (style == Style::Literal && (!a.block_allowed || simple_key)) style = Style::Double;
    return style;
}

void append_hex(std::string& out, char prefix, std::uint32_t cp, int digits) {
    static const char* hex = "0123456789ABCDEF";
    out += '\\';
    out += prefix;
    for (int i = digits - 1; i >= 0; --i) out += hex[(cp >> (i * 4)) & 0xF];
}

std::uint32_t decode_utf8(std::string_view s, std::size_t i, std::size_t w) {
    unsigned char c = at(s, i);
    if (w == 1) return c;
    std::uint32_t cp = c & (0xFF >> (w + 1));
    for (std::size_t k = 1; k < w; ++k) cp = (cp << 6) | (at(s, i + k) & 0x3F);
    return cp;
}

std::string double_quoted(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = at(s, i);
        std::size_t w = utf8_width(c);
        bool bom = c == 0xEF && at(s, i + 1) == 0xBB && at(s, i + 2) == 0xBF;
        if (!is_printable(s, i) || bom || is_break(s, i) || c == '"' || c == '\\') {
            std::uint32_t cp = decode_utf8(s, i, w);
            switch (cp) {
                case 0x00: out += "\\0"; break;
                case 0x07: out += "\\a"; break;
                case 0x08: out += "\\b"; break;
                case 0x09: out += "\\t"; break;
                case 0x0A: out += "\\n"; break;
                case 0x0B: out += "\\v"; break;
                case 0x0C: out += "\\f"; break;
                case 0x0D: out += "\\r"; break;
                case 0x1B: out += "\\e"; break;
                case 0x22: out += "\\\""; break;
                case 0x5C: out += "\\\\"; break;
                case 0x85: out += "\\N"; break;
                case 0xA0: out += "\\_"; break;
                case 0x2028: out += "\\L"; break;
                case 0x2029: out += "\\P"; break;
                default:
                    if (cp <= 0xFF) append_hex(out, 'x', cp, 2);
                    else if (cp <= 0xFFFF) append_hex(out, 'u', cp, 4);
                    else append_hex(out, 'U', cp, 8);
            }
        } else {
            out.append(s.substr(i, w));
        }
        i += w;
    }
    return out + "\"";
}

std::string single_quoted(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "''";
        else out += c;
    }
    return out + "'";
}

// --- the writer ----------------------------------------------------------------------------

class Writer {
public:
    explicit Writer(int indent) : best_(indent) {
        if (indent < 0) throw Error(ErrorCode::Generic, "YAML Negative indentation not accepted");
        if (best_ < 2 || best_ > 9) best_ = best_ < 2 ? 2 : 9;  // go-yaml clamps to 2..9
    }

    std::string documents(const Branches& docs) {
        // One allocation for the whole output: growing by doubling copied it each time and held
        // the old and the new buffer at once, up to three times the output. Pages reserved but
        // never written cost no memory, so the estimate errs on the large side.
        std::size_t estimate = 4096;
        for (const auto& branch : docs)
            for (const auto& item : branch) estimate += estimated_size(item, 0);
        out_.reserve(estimate + estimate / 4);
        for (std::size_t d = 0; d < docs.size(); ++d) {
            if (d > 0) out_ += "---\n";
            document(docs[d]);
        }
        return std::move(out_);
    }

    // The texts entry_value and map_value write for a one-line scalar value and for a key.
    std::string scalar(const Value& v) { return scalar_text(v, 0, false, false); }
    std::string key(const std::string& k) { return key_text(k); }
    // What follows "key:" at column `col` (or "-", `in_list`) for a scalar without comments.
    std::string entry_scalar(const Value& v, int col, bool in_list) {
        entry_value(v, col, {}, in_list);
        return std::move(out_);
    }

    std::string value_only(const Value& v) {
        if (v.kind == Kind::Map) map_value(v.map, 0, false, true);
        else if (v.kind == Kind::List) list_value(v.list, 0, false, true);
        else {
            out_ += scalar_text(v, 0, false, false);
            out_ += '\n';
        }
        return std::move(out_);
    }

private:
    void document(const Branch& branch) {
        bool has_entries = false;
        for (const auto& item : branch)
            if (!item.is_comment()) has_entries = true;
        if (!has_entries) {
            for (const auto& item : branch) comment_line(item.key.text, 0);
            out_ += "{}\n";
            return;
        }
        map_value(branch, 0, false, true);
    }

    // About the bytes an entry takes in the output: its texts, indentation and punctuation.
    std::size_t estimated_size(const Item& item, std::size_t depth) const {
        return item.key.text.size() + estimated_size(item.value, depth) + 8;
    }
    std::size_t estimated_size(const Value& v, std::size_t depth) const {
        std::size_t indent = (depth + 1) * static_cast<std::size_t>(best_ + 2);
        std::size_t n = indent + v.text.size() + 24;
        for (const auto& item : v.map) n += estimated_size(item, depth + 1);
        for (const auto& e : v.list) n += estimated_size(e, depth + 1);
        return n;
    }

    // The column where a block collection or block scalar under a key at `col` starts.
    int child_column(int col) const { return best_ * ((col + best_) / best_); }

    void indent_to(int col) { out_.append(static_cast<std::size_t>(col), ' '); }

    void comment_line(const std::string& text, int col) {
        indent_to(col);
        out_ += '#';
        out_ += text;
        out_ += '\n';
    }

    // Writes a block mapping whose entries stand at `col`. With `cursor_placed`, the first key
    // goes where the cursor is (after "- ").
    void map_value(const std::vector<Item>& items, int col, bool cursor_placed, bool /*top*/) {
        std::vector<const std::string*> inline_comments;
        bool first = true;
        for (const auto& item : items) {
            if (item.is_comment()) {
                if (item.key.comment_inline) {
                    inline_comments.push_back(&item.key.text);
                } else {
                    if (first && cursor_placed) {
                        // Comments cannot stand between "- " and the first key: go-yaml puts them
                        // on the mapping, printed after the dash line is opened.
                        out_ += '\n';
                        cursor_placed = false;
                    }
                    comment_line(item.key.text, col);
                }
                continue;
            }
            comments_of_empty_collection(item.value, col, first, cursor_placed, inline_comments);
            if (!(first && cursor_placed)) indent_to(col);
            first = false;
            out_ += key_text(item.key.text);
            out_ += ':';
            entry_value(item.value, col, inline_comments, false);
            inline_comments.clear();
        }
        for (const auto* c : inline_comments) comment_line(*c, col);
        if (first && cursor_placed) out_ += "{}\n";
    }

    void list_value(const std::vector<Value>& entries, int col, bool cursor_placed, bool /*top*/) {
        std::vector<const std::string*> inline_comments;
        bool first = true;
        for (const auto& e : entries) {
            if (e.is_comment()) {
                if (e.comment_inline) {
                    inline_comments.push_back(&e.text);
                } else {
                    if (first && cursor_placed) {
                        out_ += '\n';
                        cursor_placed = false;
                    }
                    comment_line(e.text, col);
                }
                continue;
            }
            comments_of_empty_collection(e, col, first, cursor_placed, inline_comments);
            if (!(first && cursor_placed)) indent_to(col);
            first = false;
            out_ += '-';
            entry_value(e, col, inline_comments, true);
            inline_comments.clear();
        }
        for (const auto* c : inline_comments) comment_line(*c, col);
        if (first && cursor_placed) out_ += "[]\n";
    }

    // Comments inside an empty collection ("k: [\n  # c\n]") have no line inside "[]" or "{}":
    // they are written before its entry, so that none is lost, after the entry's own line
    // comments, which become lines too to keep their order. Before the first entry after "- ",
    // the dash line is closed first, as for the collection's own comments.
    void comments_of_empty_collection(const Value& v, int col, bool first, bool& cursor_placed,
                                      std::vector<const std::string*>& line_comments) {
        std::vector<const std::string*> inner;
        if (v.kind == Kind::Map && !has_entries(v.map))
            for (const auto& item : v.map) inner.push_back(&item.key.text);
        if (v.kind == Kind::List && !has_entries(v.list))
            for (const auto& e : v.list) inner.push_back(&e.text);
        if (inner.empty()) return;
        if (first && cursor_placed) {
            out_ += '\n';
            cursor_placed = false;
        }
        for (const auto* c : line_comments) comment_line(*c, col);
        line_comments.clear();
        for (const auto* c : inner) comment_line(*c, col);
    }

    // Writes what follows "key:" or "-": a scalar on the same line, or a nested collection.
    void entry_value(const Value& v, int col, const std::vector<const std::string*>& line_comments, bool in_list) {
        bool is_map = v.kind == Kind::Map && has_entries(v.map);
        bool is_list = v.kind == Kind::List && has_entries(v.list);
        if (is_map || is_list) {
            if (in_list) {
                // "- key: v" / "- - v": the nested collection starts right after the dash.
                if (!line_comments.empty()) {
                    append_line_comments(line_comments);
                    out_ += '\n';
                    indent_to(col + 2);
                } else {
                    out_ += ' ';
                }
                if (is_map) map_value(v.map, col + 2, true, false);
                else list_value(v.list, col + 2, true, false);
                return;
            }
            append_line_comments(line_comments);
            out_ += '\n';
            int child = child_column(col);
            if (is_map) map_value(v.map, child, false, false);
            else list_value(v.list, child, false, false);
            return;
        }
        if (in_list && !line_comments.empty() && (v.kind == Kind::Map || v.kind == Kind::List)) {
            // "- # c" opening an empty collection keeps "{}" on the next line: written as
            // "- {} # c", the comment would read back as a line of its own after the entry.
            append_line_comments(line_comments);
            out_ += '\n';
            indent_to(col + 2);
            out_ += v.kind == Kind::Map ? "{}\n" : "[]\n";
            return;
        }
        out_ += ' ';
        if ((v.kind == Kind::String || v.kind == Kind::Bytes) && v.text != "<<" &&
            choose_string_style(v.text, false) == Style::Plain) {
            // The common case (every envelope): the text as it is, without a copy.
            out_ += v.text;
            append_line_comments(line_comments);
            out_ += '\n';
            return;
        }
        int block_col = in_list ? col + 2 : child_column(col);
        std::string text = scalar_text(v, block_col, false, !line_comments.empty(), block_col - col);
        std::size_t indicator_end = text.find('\n');
        if (indicator_end == std::string::npos) {
            out_ += text;
            append_line_comments(line_comments);
            out_ += '\n';
        } else {
            // A literal block: line comments go on its indicator line.
            out_.append(text, 0, indicator_end);
            append_line_comments(line_comments);
            out_.append(text, indicator_end, std::string::npos);
        }
    }

    template <class T>
    static bool has_entries(const std::vector<T>& entries) {
        for (const auto& e : entries)
            if (!is_comment_entry(e)) return true;
        return false;
    }
    static bool is_comment_entry(const Item& i) { return i.is_comment(); }
    static bool is_comment_entry(const Value& v) { return v.is_comment(); }

    void append_line_comments(const std::vector<const std::string*>& comments) {
        for (std::size_t i = 0; i < comments.size(); ++i) {
            out_ += i == 0 ? " #" : " #";
            out_ += *comments[i];
        }
    }

    // go-yaml v3.0.4 encodes the string "<<" plain, reads that back as a !!merge node and then
    // writes the tag out, so sops writes every key or string "<<" as `!!merge <<`.
    static std::string plain_text(const std::string& s) { return s == "<<" ? "!!merge <<" : s; }

    std::string key_text(const std::string& key) {
        switch (choose_string_style(key, true)) {
            case Style::Plain: return plain_text(key);
            case Style::Single: return single_quoted(key);
            default: return double_quoted(key);
        }
    }

    // A scalar's text. Literal blocks end with their own newline; `block_col` is their indent.
    // `indicator` is the literal's indentation relative to its parent node (0: the writer's indent).
    std::string scalar_text(const Value& v, int block_col, bool simple_key, bool /*has_line_comment*/, int indicator = 0) {
        switch (v.kind) {
            case Kind::Null: return "null";
            case Kind::Bool: return v.boolean ? "true" : "false";
            case Kind::Int: return std::to_string(v.integer);
            case Kind::Float: return float_text(v.number);
            case Kind::Time: return v.text;
            case Kind::Map: return "{}";
            case Kind::List: return "[]";
            case Kind::Comment: return "";
            case Kind::String:
            case Kind::Bytes: break;
        }
        switch (choose_string_style(v.text, simple_key)) {
            case Style::Plain: return plain_text(v.text);
            case Style::Single: return single_quoted(v.text);
            case Style::Double: return double_quoted(v.text);
            case Style::Literal: return literal(v.text, block_col, indicator > 0 && indicator < 10 ? indicator : best_);
        }
        return v.text;
    }

    static std::string float_text(double d) {
        std::string s = go_format_float(d, 'g');
        if (s == "+Inf") return ".inf";
        if (s == "-Inf") return "-.inf";
        if (s == "NaN") return ".nan";
        return s;
    }

    // A text that starts with a space or a break needs an explicit indentation indicator. It is
    // relative to the parent node (the key's or dash's column), which is not the writer's indent
    // for entries of a "- k:" mapping (found by fuzzing: libfyaml refused our "|4-" there).
    std::string literal(std::string_view s, int col, int indicator) {
        std::string out = "|";
        if (!s.empty() && (s[0] == ' ' || is_break(s, 0))) out += static_cast<char>('0' + indicator);
        bool ends_break = !s.empty() && s.back() == '\n';
        if (!ends_break) out += '-';
        else if (s.size() == 1 || s[s.size() - 2] == '\n') out += '+';
        // Line comments on a literal go on the indicator line; the caller writes them.
        std::string text = out;
        text += '\n';
        std::size_t start = 0;
        std::string_view body = ends_break ? s.substr(0, s.size() - 1) : s;
        while (start <= body.size()) {
            std::size_t nl = body.find('\n', start);
            std::string_view line = body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
            if (!line.empty()) text.append(static_cast<std::size_t>(col), ' ');
            text.append(line);
            text += '\n';
            if (nl == std::string_view::npos) break;
            start = nl + 1;
        }
        return text;
    }

    int best_;
    std::string out_;
};

}  // namespace

std::string yaml_emit(const Branches& docs, int indent) { return Writer(indent).documents(docs); }

void yaml_append_key(std::string& out, const std::string& key) {
    if (key != "<<" && choose_string_style(key, true) == Style::Plain) out += key;
    else out += Writer(2).key(key);
}

void yaml_append_entry_scalar(std::string& out, const Value& v, int col, bool in_list, int indent) {
    if ((v.kind == Kind::String || v.kind == Kind::Bytes) && v.text != "<<" &&
        choose_string_style(v.text, false) == Style::Plain) {
        out += ' ';
        out += v.text;
        out += '\n';
        return;
    }
    out += Writer(indent).entry_scalar(v, col, in_list);
}

void yaml_append_one_line_scalar(std::string& out, const Value& v) {
    if ((v.kind == Kind::String || v.kind == Kind::Bytes) && v.text != "<<" &&
        choose_string_style(v.text, false) == Style::Plain) {
        out += v.text;  // as entry_value writes the common case
        return;
    }
    std::string text = Writer(2).scalar(v);
    if (text.find('\n') != std::string::npos) throw Error(ErrorCode::Generic, "a multi-line scalar has no one-line form");
    out += text;
}

std::string yaml_emit_value(const Value& v, int indent) { return Writer(indent).value_only(v); }

}  // namespace sopskit::detail
