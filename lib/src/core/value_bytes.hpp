// sops.ToBytes without a copy for the kinds that hold text, for the per-value hot paths
// (envelope encryption, the MAC walk).
#pragma once
#include <string>
#include <string_view>

#include "sopskit/tree.hpp"

namespace sopskit::detail {

// The bytes value_bytes() gives: a view of v.text for text kinds, else of `scratch`, which
// receives the formatted number or bool (the caller wipes it when it matters).
std::string_view value_bytes_view(const Value& v, std::string& scratch);

}  // namespace sopskit::detail
