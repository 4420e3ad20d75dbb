// INI as sops reads and writes it through go-ini: sections are top-level keys holding string
// values; comments before a section or key belong to it; output aligns '=' per section.
#include <algorithm>

#include "sopskit/error.hpp"
#include "core/text.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit::detail {

namespace {

std::string trim_ini(std::string_view s) { return trim(s, " \t\r"); }

constexpr const char* kDefaultSection = "DEFAULT";


// sops' stripCommentChar: drop leading ';'/'#' and spaces.
std::string strip_comment_char(const std::string& c) {
    if (c.empty() || (c[0] != ';' && c[0] != '#')) return c;
    char mark = c[0];
    std::size_t i = 0;
    while (i < c.size() && (c[i] == mark || c[i] == ' ')) ++i;
    return c.substr(i);
}

// go-ini's value reading: surrounding quotes are removed; unquoted values end at '#' or ';'.
std::string read_value(std::string v) {
    if (v.size() >= 6 && v.rfind("\"\"\"", 0) == 0 && v.substr(v.size() - 3) == "\"\"\"") return v.substr(3, v.size() - 6);
    if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'') ||
                          (v.front() == '`' && v.back() == '`')))
        return v.substr(1, v.size() - 2);
    auto hash = v.find_first_of("#;");
    if (hash != std::string::npos) v = trim_ini(v.substr(0, hash));
    return v;
}

struct Section {
    std::string name;
    std::string comment;
    std::vector<std::pair<std::string, std::string>> keys;  // name, value
    std::vector<std::string> key_comments;
};

std::vector<Section> parse(std::string_view bytes) {
    std::vector<Section> sections(1);
    sections[0].name = kDefaultSection;
    std::string pending_comment;
    std::size_t start = 0, line_no = 0;
    while (start <= bytes.size()) {
        std::size_t nl = bytes.find('\n', start);
        std::string line = trim_ini(bytes.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        start = nl == std::string_view::npos ? bytes.size() + 1 : nl + 1;
        ++line_no;
        if (line.empty()) continue;
        if (line[0] == ';' || line[0] == '#') {
            pending_comment += (pending_comment.empty() ? "" : "\n") + line;
            continue;
        }
        if (line[0] == '[') {
            auto close = line.find(']');
            if (close == std::string::npos)
                throw Error(ErrorCode::Generic, "Could not unmarshal input data: unclosed section on line " + std::to_string(line_no));
            Section s;
            s.name = trim_ini(line.substr(1, close - 1));
            s.comment = std::move(pending_comment);
            pending_comment.clear();
            sections.push_back(std::move(s));
            continue;
        }
        auto delim = line.find_first_of("=:");
        std::string key = trim_ini(line.substr(0, delim));
        std::string value;
        std::string first = delim == std::string::npos ? std::string() : trim_ini(line.substr(delim + 1));
        if (first.rfind("\"\"\"", 0) == 0) {
            // go-ini's multi-line value: from after the opening """ to the last """ on a later
            // line, the line breaks between kept (as sops writes a value holding a newline).
            std::string rest = first.substr(3);
            if (auto close = rest.rfind("\"\"\""); close != std::string::npos) {
                value = rest.substr(0, close);
            } else {
                value = rest + "\n";
                std::size_t opened = line_no;
                while (true) {
                    if (start > bytes.size())
                        throw Error(ErrorCode::Generic, "Could not unmarshal input data: missing closing key quote from line " +
                                                            std::to_string(opened));
                    std::size_t next_nl = bytes.find('\n', start);
                    std::string_view next = bytes.substr(start, next_nl == std::string_view::npos ? std::string_view::npos : next_nl - start);
                    start = next_nl == std::string_view::npos ? bytes.size() + 1 : next_nl + 1;
                    ++line_no;
                    if (auto close = next.rfind("\"\"\""); close != std::string_view::npos) {
                        value.append(next.substr(0, close));
                        break;
                    }
                    value.append(next);
                    value += '\n';
                }
            }
        } else if (delim != std::string::npos) {
            value = read_value(first);
        }
        if (key.empty()) throw Error(ErrorCode::Generic, "Could not unmarshal input data: key-value delimiter not found on line " + std::to_string(line_no));
        Section& s = sections.back();
        s.keys.emplace_back(std::move(key), std::move(value));
        s.key_comments.push_back(std::move(pending_comment));
        pending_comment.clear();
    }
    return sections;
}

// go-ini's quoting of values that would not read back as written.
std::string quote_value(const std::string& v) {
    if (v.find_first_of("\n`") != std::string::npos) return "\"\"\"" + v + "\"\"\"";
    if (v.find_first_of("#;") != std::string::npos) return "`" + v + "`";
    if (!v.empty() && trim_ini(v).size() != v.size()) return "\"" + v + "\"";
    return v;
}

void write_comment(std::string& out, const std::string& comment) {
    std::size_t start = 0;
    while (start <= comment.size()) {
        std::size_t nl = comment.find('\n', start);
        std::string line = comment.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (line.empty() || (line[0] != ';' && line[0] != '#')) out += "; ";
        out += line;
        out += '\n';
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
}

}  // namespace

Branch ini_load(std::string_view bytes) {
    Branch branch;
    for (auto& s : parse(bytes)) {
        Value section = Value::empty_map();
        if (!s.comment.empty()) section.map.push_back(Item{Value::comment(strip_comment_char(s.comment)), Value::null()});
        for (std::size_t i = 0; i < s.keys.size(); ++i) {
            section.map.push_back(Item{Value::string(s.keys[i].first), Value::string(std::move(s.keys[i].second))});
            // sops puts a key's comment after the key (and writes it back before it).
            if (!s.key_comments[i].empty())
                section.map.push_back(Item{Value::comment(strip_comment_char(s.key_comments[i])), Value::null()});
        }
        branch.push_back(Item{Value::string(s.name), std::move(section)});
    }
    return branch;
}

std::string ini_emit(const Branch& doc) {
    std::string out;
    for (const auto& item : doc) {
        if (item.is_comment()) continue;
        if (item.value.kind != Kind::Map)
            throw Error(ErrorCode::ErrorDumpingTree, "Error encoding section: Section values should always be TreeBranches");
        const auto& entries = item.value.map;
        std::string section_comment;
        std::size_t first = 0;
        if (!entries.empty() && entries[0].is_comment()) {
            section_comment = entries[0].key.text;
            first = 1;
        }
        // Keys with the comment that follows each (go-ini keeps one comment per key).
        std::vector<std::pair<std::string, std::string>> keys;
        std::vector<std::string> comments;
        for (std::size_t i = first; i < entries.size(); ++i) {
            if (entries[i].is_comment()) {
                if (!comments.empty()) comments.back() = entries[i].key.text;
                continue;
            }
            if (entries[i].value.kind == Kind::Map || entries[i].value.kind == Kind::List)
                throw Error(ErrorCode::ErrorDumpingTree, "Error encoding key: INI values must be scalars");
            keys.emplace_back(entries[i].key.text, value_to_string(entries[i].value));
            comments.emplace_back();
        }
        bool is_default = item.key.text == kDefaultSection;
        if (is_default && keys.empty() && section_comment.empty()) continue;
        if (!section_comment.empty()) write_comment(out, section_comment);
        if (!is_default) out += "[" + item.key.text + "]\n";
        std::size_t width = 0;
        for (const auto& k : keys) width = std::max(width, k.first.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (!comments[i].empty()) write_comment(out, comments[i]);
            out += keys[i].first;
            out.append(width - keys[i].first.size(), ' ');
            out += " = ";
            out += quote_value(keys[i].second);
            out += '\n';
        }
        out += '\n';
    }
    // go-ini 1.67.3 (sops 3.13.2) puts the blank line between sections only, not after the last.
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) out.pop_back();
    return out;
}

}  // namespace sopskit::detail
