// YAML -> tree. libfyaml supplies the events; comments, which it does not hand over as
// events, are found in the text between events and placed the way sops' go-yaml store places
// them (head/line/foot comments become Comment entries of the enclosing map or list).
#include <libfyaml.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/text.hpp"
#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"
#include "stores/yaml_scalars.hpp"

namespace sopskit::detail {

namespace {

constexpr std::size_t kMaxDepth = 10000;
constexpr std::size_t kMaxAliasExpansion = 1'000'000;  // nodes copied through aliases

struct ParserDeleter {
    void operator()(fy_parser* p) const { fy_parser_destroy(p); }
};
struct DiagDeleter {
    void operator()(fy_diag* d) const { fy_diag_destroy(d); }
};

// A line ends at LF, CR LF or a lone CR, as for libfyaml, whose marks give the values' lines.
bool ends_line_at(std::string_view s, std::size_t i) {
    return s[i] == '\n' || (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n'));
}

struct Comment {
    std::size_t pos;
    int line;
    int column;
    bool inline_;  // other text stands before it on its line
    std::string text;  // without the leading '#'
};

// An open map or list being filled. `slot` says where the frame's value lives.
struct Frame {
    Value value;
    int column = -1;  // column of the entries (the '-' for lists); -1 until known
    bool is_map = false;
    bool expecting_key = true;
    int last_key_line = -1;
    int last_value_end_line = -1;  // line where the last scalar entry ended
    int start_line = -1;           // line where it opened (a block list: its first '-')
    std::string anchor;
    std::vector<Value> deferred;  // comments that follow the child being built
    std::unordered_map<std::string, int> key_lines;  // each key of a mapping, with its line
    int merge_key_line = -1;  // line of a merge key (`<<`) whose value is awaited; -1: none

    bool holds_nothing() const { return value.map.empty() && value.list.empty(); }
};

// A key as an error line shows it: control characters escaped, long keys cut.
std::string one_line_key(const std::string& key) {
    std::string out;
    for (unsigned char c : key.substr(0, 200)) {
        if (c < 0x20 || c == 0x7f) {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return key.size() > 200 ? out + "..." : out;
}

std::size_t count_nodes(const Value& v) {
    std::size_t n = 1;
    for (const auto& item : v.map) n += count_nodes(item.value);
    for (const auto& e : v.list) n += count_nodes(e);
    return n;
}

class Reader {
public:
    Reader(std::string_view text, bool timestamps) : text_(text), timestamps_(timestamps) {}

    Branches read() {
        std::unique_ptr<fy_diag, DiagDeleter> diag(make_diag());
        diag_ = diag.get();
        fy_parse_cfg cfg{};
        cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DISABLE_DEPTH_LIMIT);
        cfg.diag = diag.get();
        std::unique_ptr<fy_parser, ParserDeleter> parser(fy_parser_create(&cfg));
        if (!parser) throw Error(ErrorCode::Generic, "cannot create the YAML parser");
        if (fy_parser_set_string(parser.get(), text_.data(), text_.size()) != 0)
            throw Error(ErrorCode::Generic, "cannot read the YAML input");
        parser_ = parser.get();
        while (fy_event* ev = fy_parser_parse(parser_)) {
            try {
                handle(ev);
            } catch (...) {
                fy_parser_event_free(parser_, ev);
                throw;
            }
            fy_parser_event_free(parser_, ev);
        }
        if (fy_parser_get_stream_error(parser_)) throw syntax_error();
        return std::move(docs_);
    }

private:
    // libfyaml reports errors through its diagnostic object. Errors are collected there with
    // their place: printed instead, each comes with a display of its source line, which in
    // libfyaml 0.7.12 overruns its buffer on lines of tabs (found by fuzzing). Other messages go to
    // the output function; the first one is kept.
    fy_diag* make_diag() {
        fy_diag_cfg dcfg;
        fy_diag_cfg_default(&dcfg);
        dcfg.fp = nullptr;
        dcfg.user = &diag_text_;
        dcfg.output_fn = [](fy_diag*, void* user, const char* buf, size_t len) {
            auto* text = static_cast<std::string*>(user);
            if (text->empty()) text->assign(buf, len);
        };
        dcfg.colorize = false;
        dcfg.show_source = false;
        dcfg.show_position = true;
        dcfg.show_type = false;
        dcfg.show_module = false;
        fy_diag* diag = fy_diag_create(&dcfg);
        if (diag) fy_diag_set_collect_errors(diag, true);
        return diag;
    }

    // "<memory>:3:1: error: flow sequence without a closing bracket" -> "line 3, column 1: ..."
    Error syntax_error() const {
        void* iter = nullptr;
        if (const fy_diag_error* e = diag_ ? fy_diag_errors_iterate(diag_, &iter) : nullptr) {
            std::string msg = e->msg ? e->msg : "";
            if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
            if (msg.empty()) msg = "invalid YAML";
            std::string where;
            if (e->line > 0 && e->column > 0)
                where = "line " + std::to_string(e->line) + ", column " + std::to_string(e->column) + ": ";
            return Error(ErrorCode::Generic, "Error unmarshaling input YAML: " + where + msg);
        }
        std::string msg = diag_text_;
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
        std::string where;
        auto colon = msg.find(':');
        if (colon != std::string::npos) {
            std::size_t line_end = msg.find(':', colon + 1);
            std::size_t col_end = line_end == std::string::npos ? line_end : msg.find(':', line_end + 1);
            if (col_end != std::string::npos) {
                where = "line " + msg.substr(colon + 1, line_end - colon - 1) + ", column " +
                        msg.substr(line_end + 1, col_end - line_end - 1) + ": ";
                msg = msg.substr(col_end + 1);
                if (msg.rfind(" error: ", 0) == 0) msg = msg.substr(8);
                while (!msg.empty() && msg.front() == ' ') msg.erase(0, 1);
            }
        }
        if (msg.empty()) msg = "invalid YAML";
        return Error(ErrorCode::Generic, "Error unmarshaling input YAML: " + where + msg);
    }

    void handle(fy_event* ev) {
        switch (ev->type) {
            case FYET_DOCUMENT_START: start_document(); break;
            case FYET_DOCUMENT_END: end_document(); break;
            case FYET_STREAM_END: flush_comments_before(text_.size()); break;
            case FYET_MAPPING_START: start_collection(ev, true); break;
            case FYET_SEQUENCE_START: start_collection(ev, false); break;
            case FYET_MAPPING_END:
            case FYET_SEQUENCE_END: end_collection(ev); break;
            case FYET_SCALAR: scalar(ev); break;
            case FYET_ALIAS: alias(ev); break;
            default: break;
        }
    }

    // --- documents -------------------------------------------------------------------------
    void start_document() {
        in_document_ = true;
        root_ = Value::null();
        has_root_ = false;
        doc_comments_.clear();
    }

    void end_document() {
        if (!in_document_) return;
        Branch branch;
        if (has_root_) {
            if (root_.kind == Kind::List) throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: YAML documents that are sequences are not supported");
            if (root_.kind == Kind::Map) {
                branch = std::move(root_.map);
            } else if (root_.kind != Kind::Null) {
                throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: YAML documents that are values are not supported");
            }
        }
        // Comments before the root mapping started, or in an empty document.
        if (!doc_comments_.empty()) {
            Branch head;
            for (auto& c : doc_comments_) head.push_back(Item{std::move(c), Value::null()});
            head.insert(head.end(), std::make_move_iterator(branch.begin()), std::make_move_iterator(branch.end()));
            branch = std::move(head);
        }
        for (auto& c : trailing_comments_) branch.push_back(Item{std::move(c), Value::null()});
        trailing_comments_.clear();
        docs_.push_back(std::move(branch));
        in_document_ = false;
    }

    // --- collections -----------------------------------------------------------------------
    void start_collection(fy_event* ev, bool is_map) {
        if (frames_.size() >= kMaxDepth)
            throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: nesting deeper than " + std::to_string(kMaxDepth) + " levels");
        Frame f;
        f.is_map = is_map;
        f.value = is_map ? Value::empty_map() : Value::empty_list();
        f.anchor = token_text(fy_event_get_anchor_token(ev));
        const fy_mark* m = fy_event_start_mark(ev);
        // A block list's start mark sits on its first '-'; a map's column comes from its first key.
        fy_token* tok = fy_event_get_token(ev);
        bool flow = tok && (fy_token_get_type(tok) == FYTT_FLOW_SEQUENCE_START ||
                            fy_token_get_type(tok) == FYTT_FLOW_MAPPING_START);
        if (!is_map && m && !flow) f.column = m->column;
        if (m) f.start_line = m->line;
        frames_.push_back(std::move(f));
    }

    void end_collection(fy_event* ev) {
        const fy_mark* m = fy_event_start_mark(ev);
        flush_comments_before(m ? m->input_pos : text_.size());
        Frame f = std::move(frames_.back());
        frames_.pop_back();
        // Growth by doubling leaves up to half of each vector unused: in a file of many small
        // mappings that slack was a quarter of the tree (an Item is 208 bytes).
        f.value.map.shrink_to_fit();
        f.value.list.shrink_to_fit();
        if (!f.anchor.empty()) remember_anchor(f.anchor, f.value);
        place(std::move(f.value), -1);
    }

    // --- scalars and aliases -----------------------------------------------------------------
    void scalar(fy_event* ev) {
        fy_token* tok = fy_event_get_token(ev);
        const fy_mark* start = fy_event_start_mark(ev);
        const fy_mark* end = fy_event_end_mark(ev);
        enum fy_scalar_style style = fy_token_scalar_style(tok);
        if (!frames_.empty() && frames_.back().column < 0 && start) frames_.back().column = scalar_column(start, style);
        // A block scalar's marks start at its content, after a comment on the indicator line
        // (`key: |- # c`): that comment is the value's line comment, as the writer puts it.
        block_scalar_next_ = style == FYSS_LITERAL || style == FYSS_FOLDED;
        flush_comments_before(start ? start->input_pos : 0);
        block_scalar_next_ = false;
        std::string text = style == FYSS_SINGLE_QUOTED && start && end ? single_quoted_text(start, end)
                           : tok && is_one_line_plain(style, start, end) ? std::string(source_between(start, end))
                                                                    : token_text(tok);
        // A block scalar that runs to the end of an input with no final line break has no final
        // line break either (go-yaml); libfyaml adds one.
        if ((style == FYSS_LITERAL || style == FYSS_FOLDED) && end && end->input_pos >= text_.size() && !text_.empty() &&
            text_.back() != '\n' && !text.empty() && text.back() == '\n')
            text.pop_back();
        std::string tag = tag_of(fy_event_get_tag_token(ev));
        // A mapping key is its source text, as sops reads keys (yaml.Node.Value): `1.50`, `0x10`
        // and `+.INF` stay as written instead of going through a number.
        const bool is_key = !frames_.empty() && frames_.back().is_map && frames_.back().expecting_key;
        Value v;
        if (!tok) v = Value::null();  // an empty document or value: no token at all
        else if (is_key) v = Value::string(std::move(text));
        else if (!tag.empty() && tag != "!") v = resolve_tagged_scalar(text, tag, style == FYSS_PLAIN);
        else if (style == FYSS_PLAIN && tag.empty()) {
            if (auto resolved = resolve_plain_non_string(text)) v = std::move(*resolved);
            else v = Value::string(std::move(text));
        }
        else v = Value::string(std::move(text));  // not read again: only resolved kinds can be Time
        if (!timestamps_ && v.kind == Kind::Time) v = Value::string(std::string(text));
        std::string anchor = token_text(fy_event_get_anchor_token(ev));
        if (!anchor.empty()) remember_anchor(anchor, v);
        if (end) scan_pos_ = std::max(scan_pos_, end->input_pos);
        // A block scalar's content runs to the end of its last line, so no line comment follows
        // it; its end mark is on the next line, where `- |- # c` of the next entry may stand.
        const bool block = style == FYSS_LITERAL || style == FYSS_FOLDED;
        const bool merge = is_key && is_merge_key(v.text, tag, style == FYSS_PLAIN);
        place(std::move(v), end && !block ? end->line : -1, start ? start->line : -1);
        if (merge) frames_.back().merge_key_line = start ? start->line : 0;
    }

    void alias(fy_event* ev) {
        const fy_mark* start = fy_event_start_mark(ev);
        const fy_mark* end = fy_event_end_mark(ev);
        if (!frames_.empty() && frames_.back().column < 0 && start) frames_.back().column = start->column;
        flush_comments_before(start ? start->input_pos : 0);
        std::string name = token_text(fy_event_get_token(ev));
        auto it = anchors_.find(name);
        if (it == anchors_.end()) throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: unknown anchor '" + name + "' referenced");
        alias_nodes_ += count_nodes(it->second);
        if (alias_nodes_ > kMaxAliasExpansion)
            throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: document contains excessive aliasing");
        if (end) scan_pos_ = std::max(scan_pos_, end->input_pos);
        place(Value(it->second), end ? end->line : -1, start ? start->line : -1);
    }

    void remember_anchor(const std::string& name, const Value& v) { anchors_[name] = v; }

    // Puts a finished value where it belongs: a map key or value, a list entry or the root.
    void place(Value v, int end_line, int start_line = -1) {
        if (frames_.empty()) {
            root_ = std::move(v);
            has_root_ = true;
            return;
        }
        Frame& f = frames_.back();
        if (f.is_map) {
            if (f.expecting_key) {
                Value key = v.kind == Kind::String ? std::move(v) : Value::string(key_text(v));
                // go-yaml (sops' YAML store) refuses a mapping with a key written twice; its text,
                // on one line (go-yaml breaks it in two).
                auto [at, fresh] = f.key_lines.emplace(key.text, start_line);
                if (!fresh)
                    throw Error(ErrorCode::Generic, "yaml: unmarshal errors: line " + std::to_string(start_line + 1) +
                                                        ": mapping key \"" + one_line_key(key.text) + "\" already defined at line " +
                                                        std::to_string(at->second + 1));
                f.value.map.push_back(Item{std::move(key), Value::null()});
                f.last_key_line = start_line;
                f.expecting_key = false;
                return;
            }
            if (f.merge_key_line >= 0) {
                check_merge_value(v, f.merge_key_line);
                f.merge_key_line = -1;
            }
            f.value.map.back().value = std::move(v);
            f.expecting_key = true;
        } else {
            f.value.list.push_back(std::move(v));
        }
        f.last_value_end_line = end_line;
        for (auto& c : f.deferred) append_comment(f, std::move(c));
        f.deferred.clear();
    }

    // go-yaml's isMerge: a key `<<` written plain (untagged or tagged `!`), or tagged !!merge.
    static bool is_merge_key(const std::string& text, const std::string& tag, bool plain) {
        if (text != "<<") return false;
        return tag == "tag:yaml.org,2002:merge" || (plain && (tag.empty() || tag == "!"));
    }

    // sops first decodes the first document into a Go map (to have go-yaml refuse duplicate
    // keys), which applies merge keys: their value must be a mapping, an alias of one, or a list
    // of those, else go-yaml fails and sops refuses the file. Aliases are already copies here.
    void check_merge_value(const Value& v, int key_line) const {
        if (!docs_.empty()) return;  // only the first document goes through that decoding
        bool maps = v.kind == Kind::Map;
        if (v.kind == Kind::List) {
            maps = true;
            for (const auto& e : v.list)
                if (!e.is_comment() && e.kind != Kind::Map) maps = false;
        }
        if (!maps)
            throw Error(ErrorCode::Generic, "yaml: map merge requires map or sequence of maps as the value (the merge key at line " +
                                                std::to_string(key_line + 1) + ")");
    }

    // A single-quoted scalar's value, read from the source between its marks (which span the
    // text inside the quotes): two quotes are one, and line breaks fold as YAML says. libfyaml's
    // token iterator doubles a quote in runs of escaped quotes, and fy_token_get_text() leaks.
    std::string single_quoted_text(const fy_mark* start, const fy_mark* end) const {
        std::size_t from = std::min(start->input_pos, text_.size());
        std::size_t to = std::min(std::max(end->input_pos, from), text_.size());
        std::string_view raw = text_.substr(from, to - from);
        std::string out;
        out.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size();) {
            char c = raw[i];
            if (c == '\'' && i + 1 < raw.size() && raw[i + 1] == '\'') {
                out.push_back('\'');
                i += 2;
            } else if (c == '\n' || c == '\r') {
                // Fold: trailing blanks go, one break is a space, each further (empty) line a newline.
                while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
                std::size_t breaks = 0;
                for (; i < raw.size() && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r'); ++i)
                    if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n'))) ++breaks;
                out.append(breaks <= 1 ? std::string(" ") : std::string(breaks - 1, '\n'));
            } else {
                out.push_back(c);
                ++i;
            }
        }
        return out;
    }

    // A plain scalar on one line is its source text as written: no escapes and no folding
    // (trailing blanks are not part of the token). Copying it from the input is much cheaper
    // than libfyaml's token iterator, the reader's largest cost on a file of envelopes.
    bool is_one_line_plain(enum fy_scalar_style style, const fy_mark* start, const fy_mark* end) const {
        return style == FYSS_PLAIN && start && end && start->line == end->line && start->input_pos < end->input_pos &&
               end->input_pos <= text_.size();
    }
    std::string_view source_between(const fy_mark* start, const fy_mark* end) const {
        return text_.substr(start->input_pos, end->input_pos - start->input_pos);
    }

    // libfyaml marks a quoted scalar from just inside its opening quote; the entry's column is
    // the quote's (found by fuzzing: comments after a "quoted": key moved one level out).
    int scalar_column(const fy_mark* start, enum fy_scalar_style style) const {
        bool quoted = style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED;
        std::size_t at = start->input_pos;
        if (quoted && at > 0 && at <= text_.size() && (text_[at - 1] == '"' || text_[at - 1] == '\'') && start->column > 0)
            return start->column - 1;
        return start->column;
    }

    // Keys that are not scalars written in place (an alias to a number, an empty key).
    static std::string key_text(const Value& v) {
        switch (v.kind) {
            case Kind::Null: return "null";
            case Kind::Bool: return v.boolean ? "true" : "false";
            case Kind::Int: return std::to_string(v.integer);
            default: return v.text;
        }
    }

    // The token's text, copied out chunk by chunk. Not fy_token_get_text(): that caches a
    // copy inside the token, and libfyaml 0.7.12 leaks the copy when a parse error follows
    // (found by fuzzing; tests/fuzz_regressions_test.cpp).
    static std::string token_text(fy_token* t) {
        if (!t) return {};
        std::unique_ptr<fy_token_iter, void (*)(fy_token_iter*)> iter(fy_token_iter_create(t), fy_token_iter_destroy);
        if (!iter) throw std::bad_alloc();
        std::string out;
        int error = 0;
        for (const fy_iter_chunk* c = nullptr; (c = fy_token_iter_chunk_next(iter.get(), c, &error)) != nullptr;) out.append(c->str, c->len);
        if (error) throw Error(ErrorCode::Generic, "cannot read a YAML scalar");
        return out;
    }

    // The resolved tag: `!!x` -> tag:yaml.org,2002:x; a lone `!` forces a string.
    static std::string tag_of(fy_token* t) {
        if (!t) return {};
        std::size_t hlen = 0, slen = 0;
        const char* h = fy_tag_token_handle(t, &hlen);
        const char* s = fy_tag_token_suffix(t, &slen);
        std::string handle = h ? std::string(h, hlen) : std::string();
        std::string suffix = s ? std::string(s, slen) : std::string();
        if (handle == "!!") return "tag:yaml.org,2002:" + suffix;
        if (handle == "!" && suffix.empty()) return "!";
        return handle + suffix;
    }

    // --- comments ----------------------------------------------------------------------------
    // Finds comments in text_[scan_pos_, end) and files each one.
    void flush_comments_before(std::size_t end) {
        end = std::min(end, text_.size());
        std::size_t pos = scan_pos_;
        std::string_view window = text_.substr(0, end);  // searching past `end` made loading quadratic
        while (pos < end) {
            std::size_t hash = window.find('#', pos);
            if (hash == std::string_view::npos) break;
            bool starts_comment = hash == 0 || text_[hash - 1] == ' ' || text_[hash - 1] == '\t' ||
                                  text_[hash - 1] == '\n' || text_[hash - 1] == '\r';
            // A lone CR ends a comment too, as it ends a line for the YAML scanners.
            std::size_t eol = text_.find_first_of("\r\n", hash);
            if (eol == std::string_view::npos) eol = text_.size();
            if (!starts_comment) {
                pos = hash + 1;
                continue;
            }
            file_comment(make_comment(hash, eol));
            pos = eol;
        }
        scan_pos_ = std::max(scan_pos_, end);
    }

    Comment make_comment(std::size_t hash, std::size_t eol) const {
        std::size_t line_start = hash;
        while (line_start > 0 && !ends_line_at(text_, line_start - 1)) --line_start;
        bool inline_ = false;
        for (std::size_t i = line_start; i < hash; ++i)
            if (text_[i] != ' ' && text_[i] != '\t') inline_ = true;
        std::size_t text_end = eol;
        if (text_end > hash && text_[text_end - 1] == '\r') --text_end;
        int line = 0;
        for (std::size_t i = line_counted_pos_; i < hash; ++i)
            if (ends_line_at(text_, i)) ++line_count_;
        line_counted_pos_ = hash;
        line = line_count_;
        return Comment{hash, line, static_cast<int>(hash - line_start), inline_,
                       std::string(text_.substr(hash + 1, text_end - hash - 1))};
    }

    void file_comment(Comment c) {
        if (!in_document_ && frames_.empty()) {
            // Between documents: belongs to the previous document's end.
            if (!docs_.empty()) docs_.back().push_back(Item{Value::comment(std::move(c.text)), Value::null()});
            return;
        }
        if (frames_.empty()) {
            (has_root_ ? trailing_comments_ : doc_comments_).push_back(Value::comment(std::move(c.text)));
            return;
        }
        Frame& inner = frames_.back();
        if (c.inline_ && file_inline_comment(inner, c)) return;
        // Full-line comment: the innermost open collection whose entries are not to the right of it.
        std::size_t target = frames_.size() - 1;
        while (target > 0 && frames_[target].column > c.column) --target;
        Value comment = Value::comment(std::move(c.text));
        // Collections opened inside the target that hold nothing yet start after the comment, so
        // it goes in now, before them (`- a\n# c\n- k: v`: before the `k: v` entry; deferring it
        // put it after that entry). Otherwise it follows the child being built.
        bool children_empty = true;
        for (std::size_t i = target + 1; i < frames_.size(); ++i)
            if (!frames_[i].holds_nothing()) children_empty = false;
        if (children_empty) append_comment(frames_[target], std::move(comment));
        else frames_[target].deferred.push_back(std::move(comment));
    }

    // `key: value # c` and `- value # c`: sops puts the comment, marked inline, before the entry.
    // `key: # c` before a nested collection: a plain comment before the entry.
    bool file_inline_comment(Frame& inner, const Comment& c) {
        // `- |- # c`: the coming entry's line comment. A comment on the previous entry's line
        // (`- a # c`) is flushed here too, as no event comes between: that one stays with `a`.
        if (block_scalar_next_ && !inner.is_map && inner.last_value_end_line != c.line && c.line >= inner.start_line) {
            inner.value.list.push_back(Value::comment(c.text, true));
            return true;
        }
        bool after_value = inner.is_map ? inner.expecting_key : true;
        if (inner.last_value_end_line == c.line && after_value) {
            Value comment = Value::comment(c.text, true);
            if (inner.is_map && !inner.value.map.empty()) {
                inner.value.map.insert(inner.value.map.end() - 1, Item{std::move(comment), Value::null()});
                return true;
            }
            if (!inner.is_map && !inner.value.list.empty()) {
                inner.value.list.insert(inner.value.list.end() - 1, std::move(comment));
                return true;
            }
        }
        if (inner.is_map && !inner.expecting_key && inner.last_key_line == c.line && !inner.value.map.empty()) {
            inner.value.map.insert(inner.value.map.end() - 1, Item{Value::comment(c.text, block_scalar_next_), Value::null()});
            return true;
        }
        // Collections that hold nothing yet were opened after the comment's text: it was flushed
        // at their first scalar. Walk out through them to the entry it belongs to.
        for (std::size_t i = frames_.size() - 1; i > 0; --i) {
            Frame& child = frames_[i];
            Frame& parent = frames_[i - 1];
            if (parent.is_map && !parent.expecting_key && parent.last_key_line == c.line && !parent.value.map.empty()) {
                parent.value.map.insert(parent.value.map.end() - 1, Item{Value::comment(c.text), Value::null()});
                return true;
            }
            if (!child.holds_nothing()) break;
            // `- a # c` before a list entry that is a collection is a's line comment; `- # c`
            // opening that entry is its own line comment, as the writer puts one.
            if (!parent.is_map && c.line >= parent.start_line) {
                auto at = parent.last_value_end_line == c.line && !parent.value.list.empty() ? parent.value.list.end() - 1
                                                                                              : parent.value.list.end();
                parent.value.list.insert(at, Value::comment(c.text, true));
                return true;
            }
        }
        return false;
    }

    // A key waiting for its value stays the map's last item, where place() puts the value: a
    // comment between them (`a:\n  # c\n  x`) goes before the key. Appending it made the value
    // the comment's and the key's value null (found by fuzzing).
    static void append_comment(Frame& f, Value comment) {
        if (!f.is_map) {
            f.value.list.push_back(std::move(comment));
            return;
        }
        bool key_waits = !f.expecting_key && !f.value.map.empty();
        f.value.map.insert(key_waits ? f.value.map.end() - 1 : f.value.map.end(), Item{std::move(comment), Value::null()});
    }

    std::string_view text_;
    bool timestamps_ = true;
    std::string diag_text_;
    fy_parser* parser_ = nullptr;
    fy_diag* diag_ = nullptr;
    bool block_scalar_next_ = false;  // comments being filed precede a block scalar's content
    Branches docs_;
    std::vector<Frame> frames_;
    Value root_;
    bool has_root_ = false;
    bool in_document_ = false;
    std::vector<Value> doc_comments_;
    std::vector<Value> trailing_comments_;
    std::map<std::string, Value> anchors_;
    std::size_t alias_nodes_ = 0;
    std::size_t scan_pos_ = 0;
    mutable std::size_t line_counted_pos_ = 0;
    mutable int line_count_ = 0;
};

}  // namespace

namespace {

// "line N, column M" of a byte offset, counting line breaks as libfyaml does.
std::string place_of(std::string_view s, std::size_t at) {
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < at && i < s.size(); ++i)
        if (ends_line_at(s, i)) line++, line_start = i + 1;
    return "line " + std::to_string(line) + ", column " + std::to_string(at - line_start + 1);
}

// go-yaml's reader accepts only valid UTF-8 made of printable characters (tab, line breaks,
// NEL and the YAML-printable ranges). Checking first gives its errors, with the place, and
// keeps bytes that libfyaml 0.7.12 loops on (found by fuzzing: "%" followed by such bytes) away
// from it.
void check_yaml_characters(std::string_view s) {
    // The place is counted only on failure: valid input is scanned once, without line counting.
    auto fail = [&](std::size_t at, const char* what) {
        throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: " + place_of(s, at) + ": " + what);
    };
    for (std::size_t i = 0; i < s.size();) {
        // Printable ASCII (most of any file) needs no look.
        i += ascii_run(s.substr(i), 0x20);
        if (i == s.size()) break;
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 ? (c != '\t' && c != '\r' && c != '\n') : c == 0x7F) fail(i, "control characters are not allowed");
            ++i;
            continue;
        }
        std::size_t width = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (width == 0) fail(i, "invalid leading UTF-8 octet");
        if (i + width > s.size()) fail(i, "incomplete UTF-8 octet sequence");
        std::uint32_t cp = c & (0x7F >> width);
        for (std::size_t k = 1; k < width; ++k) {
            auto t = static_cast<unsigned char>(s[i + k]);
            if ((t & 0xC0) != 0x80) fail(i, "invalid trailing UTF-8 octet");
            cp = (cp << 6) | (t & 0x3F);
        }
        bool overlong = (width == 2 && cp < 0x80) || (width == 3 && cp < 0x800) || (width == 4 && cp < 0x10000);
        if (overlong) fail(i, "invalid length of a UTF-8 sequence");
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) fail(i, "invalid Unicode character");
        bool printable = cp == 0x85 || (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
        if (!printable) fail(i, "control characters are not allowed");
        i += width;
    }
}

// True if the text may hold an explicit key: '?' and a blank, where a node can begin: at the start
// of a line or after an indicator ("- ", ": ", "? ", a flow collection's "[", "{" or ",").
// After ": " (a key's value, `: ? h`) was missed at first (found by fuzzing: `: ? h:\t?`).
bool has_explicit_key(std::string_view s) {
    for (std::size_t i = s.find('?'); i != std::string_view::npos; i = s.find('?', i + 1)) {
        bool blank_after = i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t' || s[i + 1] == '\n' || s[i + 1] == '\r';
        std::size_t j = i;
        while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t' || s[j - 1] == '-')) --j;
        if (blank_after && (j == 0 || std::string_view("\n\r:?[{,").find(s[j - 1]) != std::string_view::npos)) return true;
    }
    return false;
}

// libfyaml 0.7.12 crashes in fy_parser_destroy() after it reports a tab before a block indicator
// inside an explicit key (`? y:\t-`, 6 bytes, and `a:\n: ? h:\t?`; found by fuzzing). In a
// document that may hold an explicit key (has_explicit_key), a ':' followed by blanks with a tab
// and then one of -?:|> is refused first, with libfyaml's own message. Elsewhere libfyaml reports
// the same error without crashing.
void refuse_tab_before_block_indicator_in_explicit_keys(std::string_view s) {
    if (!has_explicit_key(s)) return;
    for (std::size_t i = s.find(':'); i != std::string_view::npos; i = s.find(':', i + 1)) {
        std::size_t j = i + 1, tab = std::string_view::npos;
        for (; j < s.size() && (s[j] == ' ' || s[j] == '\t'); ++j)
            if (s[j] == '\t' && tab == std::string_view::npos) tab = j;
        if (tab != std::string_view::npos && j < s.size() && std::string_view("-?:|>").find(s[j]) != std::string_view::npos)
            throw Error(ErrorCode::Generic, "Error unmarshaling input YAML: " + place_of(s, tab) +
                                                ": cannot use tab for indentation of block entry");
    }
}

}  // namespace

Branches yaml_load(std::string_view bytes, bool timestamps) {
    if (bytes.empty()) return {};
    check_yaml_characters(bytes);
    refuse_tab_before_block_indicator_in_explicit_keys(bytes);
    return Reader(bytes, timestamps).read();
}

}  // namespace sopskit::detail
