// dotenv: KEY=value lines, '#' comments, "\n" escapes; values are strings (sops' dotenv store).
#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit::detail {

namespace {
std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}
}  // namespace

Branch dotenv_load(std::string_view bytes) {
    Branch branch;
    std::size_t start = 0, line_no = 0;
    while (start <= bytes.size()) {
        std::size_t nl = bytes.find('\n', start);
        std::string_view line = bytes.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        ++line_no;
        start = nl == std::string_view::npos ? bytes.size() + 1 : nl + 1;
        if (line.empty()) continue;
        if (line[0] == '#') {
            branch.push_back(Item{Value::comment(std::string(line.substr(1))), Value::null()});
            continue;
        }
        std::size_t eq = line.find('=');
        // The line itself may hold a secret, so the error names only its number.
        if (eq == std::string_view::npos)
            throw Error(ErrorCode::Generic, "invalid dotenv input line " + std::to_string(line_no) + ": no '=' in it");
        branch.push_back(Item{Value::string(std::string(line.substr(0, eq))),
                              Value::string(replace_all(std::string(line.substr(eq + 1)), "\\n", "\n"))});
    }
    return branch;
}

std::string dotenv_emit(const Branch& doc) {
    std::string out;
    for (const auto& item : doc) {
        if (item.is_comment()) {
            out += '#';
            out += item.key.text;
            out += '\n';
            continue;
        }
        if (item.value.kind == Kind::Map || item.value.kind == Kind::List)
            throw Error(ErrorCode::ErrorDumpingTree, "cannot use complex value in dotenv file; offending key " + item.key.text);
        out += item.key.text;
        out += '=';
        out += item.value.kind == Kind::String ? replace_all(item.value.text, "\n", "\\n") : value_to_string(item.value);
        out += '\n';
    }
    return out;
}

}  // namespace sopskit::detail
