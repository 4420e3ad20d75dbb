#include "keys/gpg_agent/assuan_lines.hpp"

#include <cstring>

namespace sopskit::detail::gpg_agent {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// `line` starts with `word`, then ends or goes on after one space; `rest` is what follows.
bool starts_with_word(std::string_view line, std::string_view word, std::string_view* rest) {
    if (line.substr(0, word.size()) != word) return false;
    if (line.size() == word.size()) {
        *rest = {};
        return true;
    }
    if (line[word.size()] != ' ') return false;
    *rest = line.substr(word.size() + 1);
    return true;
}

// "<keyword> [args]" of S and INQUIRE lines.
bool split_keyword(std::string_view text, AnswerLine* out) {
    std::size_t space = text.find(' ');
    out->keyword = text.substr(0, space);
    out->rest = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    return !out->keyword.empty() && (is_letter(out->keyword.front()) || out->keyword.front() == '_');
}

}  // namespace

std::optional<AnswerLine> parse_answer_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kAssuanLineMax) return std::nullopt;
    AnswerLine out;
    std::string_view rest;
    if (!line.empty() && line.front() == '#') {
        out.kind = AnswerKind::Comment;
        out.rest = line.substr(1);
        return out;
    }
    if (line == "D") {  // an empty data line
        out.kind = AnswerKind::Data;
        return out;
    }
    if (line.substr(0, 2) == "D ") {
        out.kind = AnswerKind::Data;
        out.rest = line.substr(2);
        return out;
    }
    if (starts_with_word(line, "OK", &rest)) {
        out.kind = AnswerKind::Ok;
        out.rest = rest;
        return out;
    }
    if (starts_with_word(line, "END", &rest) && rest.empty()) {
        out.kind = AnswerKind::End;
        return out;
    }
    if (starts_with_word(line, "S", &rest)) {
        out.kind = AnswerKind::Status;
        if (!split_keyword(rest, &out)) return std::nullopt;
        return out;
    }
    if (starts_with_word(line, "INQUIRE", &rest)) {
        out.kind = AnswerKind::Inquire;
        if (!split_keyword(rest, &out)) return std::nullopt;
        return out;
    }
    if (starts_with_word(line, "ERR", &rest)) {
        out.kind = AnswerKind::Err;
        std::size_t digits = 0;
        std::uint64_t code = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            code = code * 10 + static_cast<std::uint64_t>(rest[digits] - '0');
            if (code > 0xFFFFFFFFu) return std::nullopt;
            ++digits;
        }
        if (digits == 0 || (digits < rest.size() && rest[digits] != ' ')) return std::nullopt;
        out.error = static_cast<std::uint32_t>(code);
        out.rest = digits < rest.size() ? rest.substr(digits + 1) : std::string_view();
        return out;
    }
    return std::nullopt;
}

bool percent_decode_into(std::string_view encoded, std::uint8_t* out, std::size_t capacity, std::size_t* used) {
    std::size_t at = *used;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        int byte = static_cast<unsigned char>(encoded[i]);
        if (encoded[i] == '%') {
            if (i + 2 >= encoded.size()) return false;
            int hi = hex_value(encoded[i + 1]), lo = hex_value(encoded[i + 2]);
            if (hi < 0 || lo < 0) return false;
            byte = hi * 16 + lo;
            i += 2;
        }
        if (at >= capacity) return false;
        out[at++] = static_cast<std::uint8_t>(byte);
    }
    *used = at;
    return true;
}

std::optional<std::string> percent_decode(std::string_view encoded) {
    std::string out(encoded.size(), '\0');
    std::size_t used = 0;
    if (!percent_decode_into(encoded, reinterpret_cast<std::uint8_t*>(out.data()), out.size(), &used)) return std::nullopt;
    out.resize(used);
    return out;
}

std::vector<std::string> data_lines(std::string_view data) {
    std::vector<std::string> lines;
    std::string line = "D ";
    for (unsigned char c : data) {
        bool escape = c == '%' || c == '\r' || c == '\n';
        if (line.size() + (escape ? 3 : 1) > kAssuanLineMax) {
            lines.push_back(line + "\n");
            line = "D ";
        }
        if (escape) {
            static constexpr char kHex[] = "0123456789ABCDEF";
            line += '%';
            line += kHex[c >> 4];
            line += kHex[c & 15];
        } else {
            line += static_cast<char>(c);
        }
    }
    if (line.size() > 2) lines.push_back(line + "\n");
    return lines;
}

}  // namespace sopskit::detail::gpg_agent
