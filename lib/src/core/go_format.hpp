// Number formatting and parsing exactly as Go's strconv does it, since sops' bytes depend on it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::detail {

// strconv.FormatFloat(d, fmt, -1, 64) for fmt 'f', 'e' or 'g': the shortest digits that
// round-trip. 'g' uses the exponent form when exp < -4 || exp >= 6, as Go does for -1 precision.
std::string go_format_float(double d, char fmt);

// strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/leading-0 octal prefixes, no underscores.
std::optional<std::int64_t> go_parse_int(std::string_view s);
// strconv.ParseFloat(s, 64) for decimal forms, plus Inf/NaN spellings Go accepts.
std::optional<double> go_parse_float(std::string_view s);

}  // namespace sopskit::detail
