#include "common/token_expiry.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

namespace sopskit::kms {

namespace {

std::optional<double> lifetime_seconds(const nlohmann::json& value) {
    // As a double: a number of any size or sign converts without undefined behaviour, and the
    // clamp below brings it back into range.
    if (value.is_number()) return value.get<double>();
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        long long seconds = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        if (error == std::errc::result_out_of_range) return text.front() == '-' ? 0.0 : double(kMaxTokenLifetime);
        if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
        return double(seconds);
    }
    return std::nullopt;
}

}  // namespace

std::time_t token_expiry(const nlohmann::json& token_response, std::time_t now) {
    auto expires_in = token_response.find("expires_in");  // end() also when not an object
    if (expires_in == token_response.end()) return 0;
    auto seconds = lifetime_seconds(*expires_in);
    if (!seconds) return now;
    return now + static_cast<std::time_t>(std::clamp(*seconds, 0.0, double(kMaxTokenLifetime)));
}

std::time_t parse_rfc3339_utc(const std::string& s) {
    std::tm tm{};
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

}  // namespace sopskit::kms
