// The shell-words splitter of $EDITOR and the age key commands (lib/src/core/command_words.cpp). Besides not crashing: quoting each word it
// returns and splitting again gives the same words back, and error text escaping leaves no
// control byte.
#include "core/command_words.hpp"
#include "fuzz_support.hpp"

using namespace sopskit;

namespace {
std::string single_quoted(const std::string& word) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = fuzz::text_of(data, size);
    auto words = detail::split_command_words(text);
    if (words) {
        std::string again;
        for (const auto& w : *words) again += single_quoted(w) + " ";
        auto round = detail::split_command_words(again);
        if (!round || *round != *words) __builtin_trap();
    }
    for (char c : escape_control_chars(text))
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
    return 0;
}
