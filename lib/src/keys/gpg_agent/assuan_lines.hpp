// The lines of the Assuan protocol as a client sees them: the server's answer lines, percent
// decoding of their data and arguments, and the client's percent-encoded D lines.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sopskit::detail::gpg_agent {

// Assuan's line limit: 1000 bytes, plus the line ending. Longer lines are a protocol error.
inline constexpr std::size_t kAssuanLineMax = 1000;

enum class AnswerKind {
    Ok,       // "OK [text]": the command succeeded
    Err,      // "ERR <code> [text]": it failed
    Status,   // "S <keyword> [args]"
    Data,     // "D <percent-encoded bytes>"
    Inquire,  // "INQUIRE <keyword> [args]": the server asks for data
    Comment,  // "# ..."
    End,      // "END": the server's end of a data part
};

struct AnswerLine {
    AnswerKind kind = AnswerKind::Comment;
    std::string_view keyword;  // Status, Inquire: the keyword
    std::string_view rest;     // Ok, Err: the text; Status, Inquire: the arguments; Data: the encoded bytes
    std::uint32_t error = 0;   // Err: the gpg-error code (source and code)
};

// One answer line, without its line ending (a trailing CR is dropped). nullopt for anything
// else: an unknown word, "D" without its one space, an ERR without a decimal code, a status
// keyword not starting with a letter or underscore, a line over kAssuanLineMax bytes.
std::optional<AnswerLine> parse_answer_line(std::string_view line);

// The error code part (low 16 bits) of a gpg-error value: GPG_ERR_NOT_FOUND is 27.
inline std::uint32_t error_code_of(std::uint32_t error) { return error & 0xFFFF; }

// Decodes percent escapes (%XX, either case) of `encoded` into out[0..capacity), appending at
// out + *used. False on a bad escape (a '%' not followed by two hex digits) or when the bytes
// do not fit; *used then stays as it was.
bool percent_decode_into(std::string_view encoded, std::uint8_t* out, std::size_t capacity, std::size_t* used);

// The same into a string, for status arguments (no secrets); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view encoded);

// `data` as client D lines, "D " and the bytes with %, CR and LF escaped (%25 %0D %0A), each
// line at most kAssuanLineMax bytes before its LF (an escape never split), LF included.
std::vector<std::string> data_lines(std::string_view data);

}  // namespace sopskit::detail::gpg_agent
