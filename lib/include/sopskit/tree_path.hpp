// sops' tree paths: '["data"]["password"]', '["list"][0]'.
#pragma once
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sopskit/tree.hpp"

namespace sopskit {

using PathComponent = std::variant<std::string, std::int64_t>;
using TreePath = std::vector<PathComponent>;

// Parses sops' syntax; throws Error(InvalidTreePathFormat) for a malformed path.
TreePath parse_tree_path(std::string_view text);

// The value at `path` in a document (sops' TreeBranch.Truncate; list indexes count comment
// entries, as upstream's do). Throws Error when a component is missing.
const Value& value_at(const Branch& doc, const TreePath& path);

}  // namespace sopskit
