#include "keys/gpg_status.hpp"

#include <charconv>

namespace sopskit::detail {

namespace {

constexpr std::string_view kPrefix = "[GNUPG:] ";

// The word at `index` (0: the keyword) of a space-separated status line; empty past the end.
std::string_view word(std::string_view line, int index) {
    for (int i = 0;; ++i) {
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        std::size_t end = line.find(' ');
        std::string_view w = line.substr(0, end);
        if (i == index || w.empty()) return w;
        if (end == std::string_view::npos) return {};
        line.remove_prefix(end);
    }
}

// An ERROR/FAILURE code: a decimal gpg_error_t (32 bits).
std::uint32_t error_of(std::string_view number) {
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    return ec == std::errc() && end == number.data() + number.size() ? value : 0;
}

}  // namespace

GpgStatus parse_gpg_status(std::string_view text) {
    GpgStatus status;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, kPrefix.size()) != kPrefix) continue;
        line.remove_prefix(kPrefix.size());
        std::string_view keyword = word(line, 0);
        if (keyword == "DECRYPTION_OKAY") status.decryption_okay = true;
        else if (keyword == "END_ENCRYPTION") status.end_encryption = true;
        else if (keyword == "NO_SECKEY") ++status.no_seckey;
        else if (keyword == "BAD_PASSPHRASE") status.bad_passphrase = true;
        else if (keyword == "INV_RECP") status.invalid_recipient = true;
        else if ((keyword == "ERROR" || keyword == "FAILURE") && status.error == 0) status.error = error_of(word(line, 2));
    }
    return status;
}

}  // namespace sopskit::detail
