#include "sopskit/tree_path.hpp"

#include <charconv>

#include "sopskit/error.hpp"

namespace sopskit {

TreePath parse_tree_path(std::string_view text) {
    TreePath path;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t next = text.find('[', pos);
        std::string_view component = text.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        pos = next == std::string_view::npos ? text.size() : next + 1;
        if (component.empty()) continue;
        if (component.back() != ']')
            throw Error(ErrorCode::InvalidTreePathFormat, "component " + std::string(component) + " doesn't end with ]");
        component.remove_suffix(1);
        if (!component.empty() && (component.front() == '"' || component.front() == '\'')) {
            if (component.size() < 2) throw Error(ErrorCode::InvalidTreePathFormat, "unterminated quoted path component");
            path.emplace_back(std::string(component.substr(1, component.size() - 2)));
            continue;
        }
        std::int64_t index = 0;
        auto res = std::from_chars(component.data(), component.data() + component.size(), index);
        if (component.empty() || res.ec != std::errc() || res.ptr != component.data() + component.size())
            throw Error(ErrorCode::InvalidTreePathFormat,
                        "Invalid tree path format: '" + std::string(component) + "' is neither a quoted key nor an index");
        path.emplace_back(index);
    }
    return path;
}

const Value& value_at(const Branch& doc, const TreePath& path) {
    static const Value root_marker;
    const std::vector<Item>* map = &doc;
    const Value* current = nullptr;
    for (const auto& component : path) {
        if (const auto* key = std::get_if<std::string>(&component)) {
            if (current && current->kind != Kind::Map) map = nullptr;
            else if (current) map = &current->map;
            const Value* found = nullptr;
            if (map)
                for (const auto& item : *map)
                    if (!item.is_comment() && item.key.text == *key) {
                        found = &item.value;
                        break;
                    }
            if (!found) throw Error(ErrorCode::Generic, "error truncating tree: component ['" + *key + "'] not found");
            current = found;
        } else {
            std::int64_t index = std::get<std::int64_t>(component);
            if (!current || current->kind != Kind::List)
                throw Error(ErrorCode::Generic, "error truncating tree: component [" + std::to_string(index) +
                                                    "] is integer, but tree part is not a slice");
            if (index < 0 || static_cast<std::size_t>(index) >= current->list.size())
                throw Error(ErrorCode::Generic,
                            "error truncating tree: component [" + std::to_string(index) + "] accesses out of bounds");
            current = &current->list[static_cast<std::size_t>(index)];
        }
    }
    if (!current) return root_marker;
    return *current;
}

}  // namespace sopskit
