#include "keys/gpg_agent/canonical_sexp.hpp"

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

}  // namespace

std::optional<SexpNode> parse_canonical_sexp(std::string_view text, std::size_t* consumed, const SexpLimits& limits) {
    if (text.empty() || text.front() != '(') return std::nullopt;
    Reader reader(text, limits);
    SexpNode root;
    if (!reader.list(&root, 1)) return std::nullopt;
    *consumed = reader.position();
    return root;
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
