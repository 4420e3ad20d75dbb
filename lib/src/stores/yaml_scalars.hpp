// How go-yaml v3 (which sops uses) types a plain scalar, and the timestamp forms it accepts.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "sopskit/tree.hpp"

namespace sopskit::detail {

// The value an untagged plain scalar decodes to in go-yaml v3 (null, bool, int, float,
// timestamp, or string).
Value resolve_plain_scalar(std::string_view text);
// The same when the scalar is not a string (null, bool, number, timestamp); nullopt for a
// string, which the caller keeps without a copy.
std::optional<Value> resolve_plain_non_string(std::string_view text);

// The value of a scalar with an explicit tag such as !!str, !!int, !!binary; unknown tags give
// strings, as go-yaml does when decoding into an interface.
Value resolve_tagged_scalar(std::string_view text, std::string_view tag, bool plain);

// A YAML timestamp (2006-1-2, 2006-1-2T15:4:5.999Z07:00, "2006-1-2 15:4:5.999") as
// Go's time.MarshalText writes it (RFC 3339 with nanoseconds, trailing zeros trimmed).
std::optional<std::string> parse_yaml_timestamp(std::string_view text);

// Whether go-yaml's encoder must quote a string so it does not read back as another type.
bool plain_string_would_change_type(std::string_view s);

}  // namespace sopskit::detail
