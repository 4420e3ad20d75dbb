#include "keys/gpg_agent/canonical_sexp.hpp"

#include <cstring>
#include <string>

namespace sopskit::detail::gpg_agent {

namespace {

class Reader {
public:
    Reader(std::string_view text, const SexpLimits& limits) : text_(text), limits_(limits) {}

    // A list at pos_ (which holds '('), `depth` lists deep including it.
    bool list(SexpNode* out, std::size_t depth) {
        if (depth > limits_.max_depth || !count_node()) return false;
        out->is_list = true;
        ++pos_;  // '('
        while (pos_ < text_.size() && text_[pos_] != ')') {
            SexpNode item;
            if (text_[pos_] == '(') {
                if (!list(&item, depth + 1)) return false;
            } else if (!atom(&item)) {
                return false;
            }
            out->items.push_back(std::move(item));
        }
        if (pos_ >= text_.size()) return false;  // unterminated
        ++pos_;                                   // ')'
        return true;
    }

    std::size_t position() const { return pos_; }

private:
    bool atom(SexpNode* out) {
        if (!count_node()) return false;
        std::size_t start = pos_;
        std::size_t length = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            length = length * 10 + static_cast<std::size_t>(text_[pos_] - '0');
            if (length > text_.size()) return false;  // longer than all there is
            ++pos_;
        }
        std::size_t digits = pos_ - start;
        if (digits == 0 || (digits > 1 && text_[start] == '0')) return false;
        if (pos_ >= text_.size() || text_[pos_] != ':') return false;
        ++pos_;
        if (length > text_.size() - pos_) return false;
        out->atom = text_.substr(pos_, length);
        pos_ += length;
        return true;
    }

    bool count_node() { return ++nodes_ <= limits_.max_nodes; }

    std::string_view text_;
    const SexpLimits& limits_;
    std::size_t pos_ = 0;
    std::size_t nodes_ = 0;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || (c != '\0' && std::strchr("-./_:*+=", c) != nullptr);
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Advanced syntax in, canonical out. Each atom is decoded into `scratch_` first (its length
// comes before its bytes), then written out; both buffers are locked and zeroed when freed.
// Neither grows: the output has room for twice the input (a one-character token "a" becomes
// "1:a"), and every write checks it.
class AdvancedReader {
public:
    AdvancedReader(std::string_view text, const SexpLimits& limits)
        : text_(text), limits_(limits), out_(2 * text.size() + 16), scratch_(text.size() + 1) {}

    std::optional<CanonicalSexp> read(std::size_t* consumed) {
        skip_space();
        if (pos_ >= text_.size() || text_[pos_] != '(') return std::nullopt;
        std::size_t depth = 0;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (is_space(c)) {
                ++pos_;
            } else if (c == '(') {
                if (++depth > limits_.max_depth || !count_node() || !put('(')) return std::nullopt;
                ++pos_;
            } else if (c == ')') {
                if (!put(')')) return std::nullopt;
                ++pos_;
                if (--depth == 0) {
                    *consumed = pos_;
                    return CanonicalSexp{std::move(out_), used_};
                }
            } else {
                if (!count_node() || !atom()) return std::nullopt;
            }
        }
        return std::nullopt;  // unterminated
    }

private:
    bool atom() {
        scratch_used_ = 0;
        std::size_t declared = 0;
        bool has_length = false;
        char c = text_[pos_];
        if (is_digit(c)) {
            std::size_t start = pos_;
            while (pos_ < text_.size() && is_digit(text_[pos_])) {
                declared = declared * 10 + static_cast<std::size_t>(text_[pos_] - '0');
                if (declared > text_.size()) return false;  // longer than all there is
                ++pos_;
            }
            if (pos_ - start > 1 && text_[start] == '0') return false;
            if (pos_ >= text_.size()) return false;
            has_length = true;
            c = text_[pos_];
            if (c == ':') {
                ++pos_;
                if (declared > text_.size() - pos_) return false;
                if (!keep(text_.substr(pos_, declared))) return false;
                pos_ += declared;
                return emit();
            }
        }
        bool ok = false;
        if (c == '#') ok = hex();
        else if (c == '"') ok = quoted();
        else if (c == '|') ok = base64();
        else if (!has_length && is_token_char(c)) ok = token();
        if (!ok || (has_length && declared != scratch_used_)) return false;
        return emit();
    }

    bool token() {
        std::size_t start = pos_;
        while (pos_ < text_.size() && is_token_char(text_[pos_])) ++pos_;
        return keep(text_.substr(start, pos_ - start));
    }

    bool hex() {
        ++pos_;  // '#'
        int high = -1;
        for (; pos_ < text_.size(); ++pos_) {
            char c = text_[pos_];
            if (c == '#') {
                ++pos_;
                return high < 0;  // an even number of digits
            }
            if (is_space(c)) continue;
            int v = hex_value(c);
            if (v < 0) return false;
            if (high < 0) {
                high = v;
            } else {
                if (!keep_byte(static_cast<std::uint8_t>(high << 4 | v))) return false;
                high = -1;
            }
        }
        return false;
    }

    bool base64() {
        ++pos_;  // '|'
        std::uint32_t bits = 0;
        int count = 0;
        bool padded = false;
        for (; pos_ < text_.size(); ++pos_) {
            char c = text_[pos_];
            if (c == '|') {
                ++pos_;
                if (count == 1) return false;  // six bits are no byte
                return count == 0 || drain(bits, count);
            }
            if (is_space(c)) continue;
            if (c == '=') {
                padded = true;
                continue;
            }
            int v = base64_value(c);
            if (v < 0 || padded) return false;
            bits = bits << 6 | static_cast<std::uint32_t>(v);
            if (++count == 4) {
                for (int shift = 16; shift >= 0; shift -= 8)
                    if (!keep_byte(static_cast<std::uint8_t>(bits >> shift))) return false;
                bits = 0;
                count = 0;
            }
        }
        return false;
    }
    // The last two or three characters of base64: one or two bytes.
    bool drain(std::uint32_t bits, int count) {
        if (count == 2) return keep_byte(static_cast<std::uint8_t>(bits >> 4));
        return keep_byte(static_cast<std::uint8_t>(bits >> 10)) && keep_byte(static_cast<std::uint8_t>(bits >> 2));
    }

    bool quoted() {
        ++pos_;  // '"'
        while (pos_ < text_.size()) {
            char c = text_[pos_++];
            if (c == '"') return true;
            if (c != '\\') {
                if (!keep_byte(static_cast<std::uint8_t>(c))) return false;
                continue;
            }
            if (pos_ >= text_.size()) return false;
            char e = text_[pos_++];
            int byte = -1;
            switch (e) {
                case 'b': byte = '\b'; break;
                case 't': byte = '\t'; break;
                case 'v': byte = '\v'; break;
                case 'n': byte = '\n'; break;
                case 'f': byte = '\f'; break;
                case 'r': byte = '\r'; break;
                case '"': byte = '"'; break;
                case '\'': byte = '\''; break;
                case '\\': byte = '\\'; break;
                case '\n':  // a line continued: the newline (and a CR after it) is no byte
                    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
                    continue;
                case '\r':
                    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
                    continue;
                case 'x': {
                    if (text_.size() - pos_ < 2) return false;
                    int h = hex_value(text_[pos_]), l = hex_value(text_[pos_ + 1]);
                    if (h < 0 || l < 0) return false;
                    byte = h << 4 | l;
                    pos_ += 2;
                    break;
                }
                default: {
                    if (e < '0' || e > '7' || text_.size() - pos_ < 2) return false;
                    int v = e - '0';
                    for (int i = 0; i < 2; ++i) {
                        char d = text_[pos_++];
                        if (d < '0' || d > '7') return false;
                        v = v * 8 + (d - '0');
                    }
                    if (v > 0xFF) return false;
                    byte = v;
                }
            }
            if (!keep_byte(static_cast<std::uint8_t>(byte))) return false;
        }
        return false;
    }

    // The atom in scratch_ as <length>:<bytes>.
    bool emit() {
        std::string length = std::to_string(scratch_used_) + ":";
        if (out_.size() - used_ < length.size() + scratch_used_) return false;
        std::memcpy(out_.data() + used_, length.data(), length.size());
        used_ += length.size();
        if (scratch_used_ > 0) std::memcpy(out_.data() + used_, scratch_.data(), scratch_used_);
        used_ += scratch_used_;
        explicit_bzero(scratch_.data(), scratch_used_);
        return true;
    }
    bool keep(std::string_view bytes) {
        if (scratch_.size() - scratch_used_ < bytes.size()) return false;
        if (!bytes.empty()) std::memcpy(scratch_.data() + scratch_used_, bytes.data(), bytes.size());
        scratch_used_ += bytes.size();
        return true;
    }
    bool keep_byte(std::uint8_t b) {
        if (scratch_used_ >= scratch_.size()) return false;
        scratch_.data()[scratch_used_++] = b;
        return true;
    }
    bool put(char c) {
        if (used_ >= out_.size()) return false;
        out_.data()[used_++] = static_cast<std::uint8_t>(c);
        return true;
    }
    void skip_space() {
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    }
    bool count_node() { return ++nodes_ <= limits_.max_nodes; }

    std::string_view text_;
    const SexpLimits& limits_;
    SecureBytes out_;
    std::size_t used_ = 0;
    SecureBytes scratch_;
    std::size_t scratch_used_ = 0;
    std::size_t pos_ = 0;
    std::size_t nodes_ = 0;
};

}  // namespace

std::optional<SexpNode> parse_canonical_sexp(std::string_view text, std::size_t* consumed, const SexpLimits& limits) {
    if (text.empty() || text.front() != '(') return std::nullopt;
    Reader reader(text, limits);
    SexpNode root;
    if (!reader.list(&root, 1)) return std::nullopt;
    *consumed = reader.position();
    return root;
}

std::optional<CanonicalSexp> canonical_from_advanced(std::string_view text, std::size_t* consumed, const SexpLimits& limits) {
    AdvancedReader reader(text, limits);
    return reader.read(consumed);
}

std::optional<std::string_view> pkdecrypt_value(std::string_view answer) {
    std::size_t consumed = 0;
    std::optional<SexpNode> root = parse_canonical_sexp(answer, &consumed, SexpLimits{1, 3});
    if (!root) return std::nullopt;
    std::string_view tail = answer.substr(consumed);
    if (!(tail.empty() || tail == std::string_view("\0", 1))) return std::nullopt;
    if (root->items.size() != 2 || root->items[0].is_list || root->items[0].atom != "value" || root->items[1].is_list)
        return std::nullopt;
    return root->items[1].atom;
}

}  // namespace sopskit::detail::gpg_agent
