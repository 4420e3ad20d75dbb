// Flux's postBuild substitution language (see envsubst.hpp), parsed into a small tree first and
// evaluated second, as Flux does: a syntax error anywhere fails the whole text, even after
// substitutions that would have worked. The scanner reproduces the fork's observable rules:
// escapes are consumed in pairs ($$ everywhere, \/ and \\ inside replace operands), a NUL byte
// ends the input (Go's scanner reads it as end of file), `${var-x}` is a missing closing brace.
#include "sopskit/envsubst.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "core/go_quote.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace sopskit {

namespace {

constexpr int kMaxDepth = 64;                        // nested ${...} inside operands
constexpr std::size_t kMaxPatternSubject = 16 << 10;  // values matched against globs (quadratic work)

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }
[[noreturn]] void bad_substitution() { fail("bad substitution"); }
[[noreturn]] void bad_operand() { fail("unable to parse substitution within function"); }

struct Node {
    bool is_expr = false;
    std::string text;         // a literal run
    std::string param, op;    // an expression ${param<op>args}
    std::vector<Node> args;
};

std::pair<char32_t, std::size_t> decode_rune(std::string_view s);

// Go's unicode.IsLetter || unicode.IsDigit || '_', without Unicode's tables: ASCII exactly; a
// valid non-ASCII character counts unless it is in a block of symbols, punctuation, marks or
// private use (docs/build.md); an invalid byte never counts (Go reads it as U+FFFD).
bool ident_rune(char32_t r) {
    if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_';
    if (r <= 0xBF) return r == 0xAA || r == 0xB5 || r == 0xBA;
    if (r == 0xD7 || r == 0xF7) return false;
    if (r >= 0x300 && r <= 0x36F) return false;                       // combining marks
    if (r >= 0x2000 && r <= 0x2BFF) return false;                     // punctuation, symbols, arrows, shapes
    if (r >= 0x3000 && r <= 0x303F) return false;                     // CJK punctuation
    if ((r >= 0xE000 && r <= 0xF8FF) || (r >= 0xFE00 && r <= 0xFE0F) || r >= 0xFFF0) return r < 0x10000 ? false : r < 0x1F000 || r > 0x1FAFF;
    return true;
}

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s.substr(0, s.find('\0'))), nul_end_(s_.size() < s.size()) {}

    std::vector<Node> parse() {
        std::vector<Node> nodes;
        while (!end()) {
            if (at_open()) {
                pos_ += 2;
                nodes.push_back(expression(1));
                continue;
            }
            Node text;
            while (!end() && !at_open()) {
                if (s_[pos_] == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '$') {
                    text.text += '$';
                    pos_ += 2;
                } else {
                    text.text += s_[pos_++];
                }
            }
            nodes.push_back(std::move(text));
        }
        return nodes;
    }

private:
    bool end() const { return pos_ >= s_.size(); }
    char peek() const { return end() ? '\0' : s_[pos_]; }
    bool at_open() const { return pos_ + 1 < s_.size() && s_[pos_] == '$' && s_[pos_ + 1] == '{'; }
    void expect_close() {
        if (peek() != '}') bad_substitution();
        ++pos_;
    }
    std::string ident() {
        std::size_t start = pos_;
        while (!end()) {
            auto [r, n] = decode_rune(s_.substr(pos_));
            if ((r == 0xFFFD && n == 1) || !ident_rune(r)) break;
            pos_ += n;
        }
        return std::string(s_.substr(start, pos_ - start));
    }
    bool escape_pair() const {
        if (pos_ + 1 >= s_.size()) return false;
        char a = s_[pos_], b = s_[pos_ + 1];
        return (a == '$' && b == '$') || (a == '\\' && (b == '/' || b == '\\'));
    }

    // One operand: a nested expression or a literal run up to a byte of `stops` (or `${`).
    Node operand(std::string_view stops, bool escapes, int depth) {
        if (at_open()) {
            pos_ += 2;
            return expression(depth + 1);
        }
        if (end()) bad_operand();
        Node text;
        if (!(escapes && escape_pair()) && stops.find(s_[pos_]) != std::string_view::npos) bad_operand();
        while (!end() && !at_open()) {
            if (escapes && escape_pair()) {
                text.text += s_[pos_ + 1];
                pos_ += 2;
                continue;
            }
            if (stops.find(s_[pos_]) != std::string_view::npos) break;
            text.text += s_[pos_++];
        }
        return text;
    }

    // After "${".
    Node expression(int depth) {
        if (depth > kMaxDepth) fail("substitution nested more than " + std::to_string(kMaxDepth) + " deep");
        Node n;
        n.is_expr = true;
        if (peek() == '#') {  // ${#var}
            ++pos_;
            n.op = "#";
            n.param = ident();
            if (n.param.empty()) bad_substitution();
            expect_close();
            return n;
        }
        n.param = ident();
        if (n.param.empty()) fail("unable to parse variable name");
        if (end()) fail("missing closing brace");
        char c = s_[pos_];
        switch (c) {
            case '}':
                ++pos_;
                return n;
            case ':': {
                if (pos_ + 1 >= s_.size()) nul_end_ ? bad_operand() : bad_substitution();  // a NUL is one byte wide
                char next = s_[pos_ + 1];
                // Go steps back by the width of the character after ':' once too often: a
                // multi-byte character there lands the scanner before the ':'.
                if (decode_rune(s_.substr(pos_ + 1)).second > 1) bad_substitution();
                if (next == '=' || next == '-' || next == '?' || next == '+') {
                    n.op = std::string(s_.substr(pos_, 2));
                    pos_ += 2;
                    return defaults(std::move(n), depth);
                }
                ++pos_;
                n.op = ":";
                n.args.push_back(operand(":}", false, depth));
                if (peek() == '}') {
                    ++pos_;
                    return n;
                }
                if (peek() != ':') bad_substitution();
                while (peek() == ':') ++pos_;
                n.args.push_back(operand("}", false, depth));
                expect_close();
                return n;
            }
            case '=':
                ++pos_;
                n.op = "=";
                return defaults(std::move(n), depth);
            case ',':
            case '^':
                while (n.op.size() < 2 && (peek() == ',' || peek() == '^')) n.op += s_[pos_++];
                expect_close();
                return n;
            case '/':
                ++pos_;
                n.op = "/";
                if (peek() == '/' || peek() == '#' || peek() == '%') n.op += s_[pos_++];
                n.args.push_back(operand("/", true, depth));
                if (peek() != '/') bad_substitution();
                while (peek() == '/') ++pos_;
                if (peek() == '}') {
                    ++pos_;
                    return n;
                }
                n.args.push_back(operand("}", true, depth));
                expect_close();
                return n;
            case '#':
            case '%':
                while (n.op.size() < 2 && peek() == c) n.op += s_[pos_++];
                n.args.push_back(operand("}", false, depth));
                expect_close();
                return n;
            default:
                fail("missing closing brace");
        }
    }

    // ${var=...}, ${var:=...}: operands up to the closing brace, concatenated.
    Node defaults(Node n, int depth) {
        while (peek() != '}') n.args.push_back(operand("}", false, depth));
        ++pos_;
        return n;
    }

    std::string_view s_;
    bool nul_end_;  // the text went on after a NUL
    std::size_t pos_ = 0;
};

// ---- Go's string helpers, byte for byte ----

// utf8.DecodeRuneInString: invalid or truncated sequences are U+FFFD of width 1.
std::pair<char32_t, std::size_t> decode_rune(std::string_view s) {
    if (s.empty()) return {0xFFFD, 0};
    unsigned char b0 = static_cast<unsigned char>(s[0]);
    if (b0 < 0x80) return {b0, 1};
    std::size_t n = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 <= 0xDF ? 2 : 0;
    if (n == 0 || s.size() < n) return {0xFFFD, 1};
    char32_t r = b0 & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (std::size_t i = 1; i < n; ++i) {
        unsigned char b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
        r = (r << 6) | (b & 0x3F);
    }
    if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) || (r >= 0xD800 && r <= 0xDFFF)) return {0xFFFD, 1};
    return {r, n};
}

// string([]rune(s)) reversed: invalid bytes become U+FFFD, as Go's conversion makes them.
std::string reverse_runes(std::string_view s) {
    std::vector<char32_t> runes;
    while (!s.empty()) {
        auto [r, n] = decode_rune(s);
        runes.push_back(r);
        s.remove_prefix(n);
    }
    std::string out;
    for (auto it = runes.rbegin(); it != runes.rend(); ++it) detail::append_utf8(out, *it);
    return out;
}

// strings.Replace(s, old, new, n), n < 0 meaning all; an empty `old` matches before each rune
// and at the end.
std::string go_replace(std::string_view s, std::string_view old, std::string_view rep, long n) {
    std::string out;
    if (old.empty()) {
        long done = 0;
        while (true) {
            if (n >= 0 && done >= n) break;
            out += rep;
            ++done;
            if (s.empty()) return out;
            auto [r, w] = decode_rune(s);
            (void)r;
            out += s.substr(0, w);
            s.remove_prefix(w);
        }
        out += s;
        return out;
    }
    long done = 0;
    std::size_t at;
    while ((n < 0 || done < n) && (at = s.find(old)) != std::string_view::npos) {
        out += s.substr(0, at);
        out += rep;
        s.remove_prefix(at + old.size());
        ++done;
    }
    out += s;
    return out;
}

// strconv.Atoi on a 64-bit platform: optional sign, decimal digits, no overflow.
std::optional<std::int64_t> go_atoi(std::string_view s) {
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (neg ? 1 : 0)) return std::nullopt;
    }
    if (neg) return v == static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1
                        ? std::numeric_limits<std::int64_t>::min()
                        : -static_cast<std::int64_t>(v);
    return static_cast<std::int64_t>(v);
}

// ---- The fork's glob (a path.Match where '/' is an ordinary character and a trailing '*'
// matches everything). The error is ErrBadPattern, found lazily as Go finds it. ----

struct GlobError {};

bool class_char(std::string_view& chunk, char32_t& r) {
    if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return false;
    if (chunk[0] == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) return false;
    }
    auto [rr, n] = decode_rune(chunk);
    if (rr == 0xFFFD && n == 1) return false;
    chunk.remove_prefix(n);
    if (chunk.empty()) return false;
    r = rr;
    return true;
}

// Whether `chunk` (no '*') matches the start of `s`; the rest of `s` in `rest`.
bool match_chunk(std::string_view chunk, std::string_view s, std::string_view& rest) {
    while (!chunk.empty()) {
        if (s.empty()) return false;
        switch (chunk[0]) {
            case '[': {
                auto [r, n] = decode_rune(s);
                s.remove_prefix(n);
                chunk.remove_prefix(1);
                bool negated = false;
                if (!chunk.empty() && chunk[0] == '^') {
                    negated = true;
                    chunk.remove_prefix(1);
                }
                bool matched = false;
                for (int ranges = 0;; ++ranges) {
                    if (!chunk.empty() && chunk[0] == ']' && ranges > 0) {
                        chunk.remove_prefix(1);
                        break;
                    }
                    char32_t lo = 0, hi = 0;
                    if (!class_char(chunk, lo)) throw GlobError{};
                    hi = lo;
                    if (chunk[0] == '-') {
                        chunk.remove_prefix(1);
                        if (!class_char(chunk, hi)) throw GlobError{};
                    }
                    if (lo <= r && r <= hi) matched = true;
                }
                if (matched == negated) return false;
                break;
            }
            case '?': {
                auto [r, n] = decode_rune(s);
                (void)r;
                s.remove_prefix(n);
                chunk.remove_prefix(1);
                break;
            }
            case '\\':
                chunk.remove_prefix(1);
                if (chunk.empty()) throw GlobError{};
                [[fallthrough]];
            default:
                if (chunk[0] != s[0]) return false;
                s.remove_prefix(1);
                chunk.remove_prefix(1);
        }
    }
    rest = s;
    return true;
}

bool glob_match(std::string_view pattern, std::string_view name) {
    while (!pattern.empty()) {
        bool star = false;
        while (!pattern.empty() && pattern[0] == '*') {
            pattern.remove_prefix(1);
            star = true;
        }
        bool in_range = false;
        std::size_t i = 0;
        for (; i < pattern.size(); ++i) {
            char c = pattern[i];
            if (c == '\\') {
                if (i + 1 < pattern.size()) ++i;
            } else if (c == '[') {
                in_range = true;
            } else if (c == ']') {
                in_range = false;
            } else if (c == '*' && !in_range) {
                break;
            }
        }
        std::string_view chunk = pattern.substr(0, i);
        pattern.remove_prefix(i);
        if (star && chunk.empty()) return true;
        std::string_view rest;
        if (match_chunk(chunk, name, rest) && (rest.empty() || !pattern.empty())) {
            name = rest;
            continue;
        }
        bool advanced = false;
        if (star) {
            for (std::size_t k = 0; k < name.size(); ++k) {
                if (match_chunk(chunk, name.substr(k + 1), rest)) {
                    if (pattern.empty() && !rest.empty()) continue;
                    name = rest;
                    advanced = true;
                    break;
                }
            }
        }
        if (!advanced) return false;
    }
    return name.empty();
}

// ${var#glob} and ${var##glob}: the shortest (or longest) non-empty matching prefix removed;
// a bad pattern leaves the value as it is.
std::string trim_prefix(std::string_view s, std::string_view glob, bool longest) {
    if (s.size() > kMaxPatternSubject)
        fail("a value longer than " + std::to_string(kMaxPatternSubject) + " bytes cannot be matched against a pattern");
    try {
        std::size_t best = 0;
        for (std::size_t len = s.size(); len > 0; --len) {
            if (!glob_match(glob, s.substr(0, len))) continue;
            if (longest) return std::string(s.substr(len));
            best = len;
        }
        return std::string(s.substr(best));
    } catch (const GlobError&) {
        return std::string(s);
    }
}

std::string trim_suffix(std::string_view s, std::string_view glob, bool longest) {
    std::string r = reverse_runes(s), g = reverse_runes(glob);
    return reverse_runes(trim_prefix(r, g, longest));
}

std::string upper_lower(std::string_view s, bool upper, bool first_only) {
    std::string out(s);
    std::size_t n = first_only ? std::min<std::size_t>(1, out.size()) : out.size();
    for (std::size_t i = 0; i < n; ++i) {
        char& c = out[i];
        if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string substring(const std::string& s, const std::vector<std::string>& args) {
    auto pos_arg = go_atoi(args[0]);
    if (!pos_arg) return s;
    const std::int64_t len = static_cast<std::int64_t>(s.size());
    std::int64_t pos = *pos_arg;
    if (pos < 0) pos = pos < -len ? 0 : len + pos;
    if (args.size() == 1) return pos < len ? s.substr(static_cast<std::size_t>(pos)) : std::string();
    auto count = go_atoi(args[1]);
    if (!count) return s;
    if (*count >= len - pos) return pos < len ? s.substr(static_cast<std::size_t>(pos)) : std::string();
    if (*count < 0) bad_substitution();  // Go would slice backwards and panic
    return s.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(*count));
}

class Evaluator {
public:
    Evaluator(const std::map<std::string, std::string>& vars, bool strict) : vars_(vars), strict_(strict) {}

    void run(const std::vector<Node>& nodes, std::string& out) {
        for (const Node& n : nodes) {
            if (n.is_expr)
                out += eval(n);
            else
                out += n.text;
            if (out.size() > max_input_size())
                fail("the substituted text is larger than the input limit (SOPSKIT_MAX_INPUT_SIZE)");
        }
    }

private:
    std::string eval(const Node& n) {
        if (!n.is_expr) return n.text;
        std::vector<std::string> args;
        std::size_t total = 0;
        for (const Node& a : n.args) {
            args.push_back(eval(a));
            total += args.back().size();
            if (total > max_input_size()) fail("the substituted text is larger than the input limit (SOPSKIT_MAX_INPUT_SIZE)");
        }
        auto it = vars_.find(n.param);
        const bool exists = it != vars_.end();
        static const std::string empty;
        const std::string& v = exists ? it->second : empty;
        const std::string& op = n.op;
        bool default_op = op == "=" || op == ":=" || op == ":-" || op == ":+" || op == ":?";
        if (strict_ && !exists && !default_op) fail("variable not set (strict mode): \"" + n.param + "\"");
        if (op == ",") return upper_lower(v, false, true);
        if (op == ",,") return upper_lower(v, false, false);
        if (op == "^") return upper_lower(v, true, true);
        if (op == "^^") return upper_lower(v, true, false);
        if (op == "#" && args.empty()) return std::to_string(v.size());
        if (op == "#" || op == "##") return trim_prefix(v, args[0], op == "##");
        if (op == "%" || op == "%%") return trim_suffix(v, args[0], op == "%%");
        if (op == ":") return substring(v, args);
        if (op == "/" || op == "//") return go_replace(v, args[0], args.size() > 1 ? args[1] : "", op == "/" ? 1 : -1);
        if (op == "/#") return args.size() == 2 && v.starts_with(args[0]) ? go_replace(v, args[0], args[1], 1) : v;
        if (op == "/%")
            return args.size() == 2 && v.ends_with(args[0]) ? v.substr(0, v.size() - args[0].size()) + args[1] : v;
        if (v.empty() && !args.empty()) {  // every other operator, and none: the default when empty
            std::string joined;
            for (const auto& a : args) joined += a;
            return joined;
        }
        return v;
    }

    const std::map<std::string, std::string>& vars_;
    bool strict_;
};

}  // namespace

std::string flux_envsubst(std::string_view text, const std::map<std::string, std::string>& vars, const EnvsubstOptions& opts) {
    std::vector<Node> nodes = Parser(text).parse();
    std::string out;
    Evaluator(vars, opts.strict).run(nodes, out);
    return out;
}

}  // namespace sopskit
