// Small text helpers shared across modules.
#pragma once
#include <string>
#include <string_view>

namespace sopskit::detail {

// `s` without leading and trailing characters from `chars` (whitespace by default).
inline std::string trim(std::string_view s, std::string_view chars = " \t\r\n") {
    auto b = s.find_first_not_of(chars);
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(chars) - b + 1));
}

}  // namespace sopskit::detail
