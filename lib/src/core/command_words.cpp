#include "core/command_words.hpp"

namespace sopskit::detail {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
}  // namespace

std::optional<std::vector<std::string>> split_command_words(std::string_view line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    const std::size_t n = line.size();
    while (i < n) {
        if (is_space(line[i])) {
            ++i;
            continue;
        }
        if (line[i] == '#') {  // a comment runs to the end of the line
            while (i < n && line[i] != '\n') ++i;
            continue;
        }
        std::string word;  // one word, possibly empty ("" is a word)
        while (i < n && !is_space(line[i])) {
            char c = line[i++];
            if (c == '\\') {
                if (i == n) return std::nullopt;
                word += line[i++];
            } else if (c == '\'') {
                std::size_t close = line.find('\'', i);
                if (close == std::string_view::npos) return std::nullopt;
                word.append(line.substr(i, close - i));
                i = close + 1;
            } else if (c == '"') {
                while (true) {
                    if (i == n) return std::nullopt;
                    char q = line[i++];
                    if (q == '"') break;
                    if (q == '\\') {
                        if (i == n) return std::nullopt;
                        q = line[i++];
                    }
                    word += q;
                }
            } else {
                word += c;
            }
        }
        words.push_back(std::move(word));
    }
    return words;
}

}  // namespace sopskit::detail
