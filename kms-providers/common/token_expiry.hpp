// When an OAuth access token ends, from the token response of Google or Microsoft Entra ID.
#pragma once
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

namespace sopskit::kms {

// The longest lifetime taken from a server: Entra ID's longest tokens last a day, Google's an hour.
constexpr std::time_t kMaxTokenLifetime = 24 * 60 * 60;

// now + `expires_in` (RFC 6749 §5.1: seconds; a JSON number, or a string as some Microsoft
// endpoints send it). The lifetime is clamped to [0, kMaxTokenLifetime], so a broken or hostile
// answer can neither overflow the clock nor keep a token for ever. A value that is not a number
// gives `now`: the token serves this request and is fetched again for the next. 0 ("no expiry
// known") when `expires_in` is absent.
std::time_t token_expiry(const nlohmann::json& token_response, std::time_t now);

// "2026-11-24T11:15:00Z" (seconds and any fraction or offset after them ignored: every service
// here answers in UTC) -> time_t; 0 when it does not parse.
std::time_t parse_rfc3339_utc(const std::string& s);

}  // namespace sopskit::kms
