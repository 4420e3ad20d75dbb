// What gpg-agent sends the client (lib/src/keys/gpg_agent/): the input is the whole stream a
// hostile or confused agent writes on the socket, read by the real connection code (greeting,
// then a PKDECRYPT with its inquiry), and, line by line, by the answer, KEYINFO and
// S-expression parsers; the redirect-file parser reads it too. Besides not crashing: nothing
// read escapes its bounds, a decoded answer stays within the data limit, and the client's own
// D lines round-trip whatever bytes they carry.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "fuzz_support.hpp"
#include "keys/gpg_agent/agent_socket.hpp"
#include "keys/gpg_agent/assuan_connection.hpp"
#include "keys/gpg_agent/assuan_lines.hpp"
#include "keys/gpg_agent/canonical_sexp.hpp"
#include "keys/gpg_agent/key_info.hpp"

using namespace sopskit::detail::gpg_agent;

namespace {

bool within(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_value(std::string_view answer) {
    std::size_t consumed = 0;
    if (parse_canonical_sexp(answer, &consumed) && consumed > answer.size()) __builtin_trap();
    if (auto value = pkdecrypt_value(answer); value && !within(*value, answer)) __builtin_trap();
}

void read_lines(std::string_view text) {
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        std::optional<AnswerLine> parsed = parse_answer_line(line);
        if (!parsed) continue;
        if (!within(parsed->keyword, line) || !within(parsed->rest, line)) __builtin_trap();
        if (parsed->kind == AnswerKind::Data) {
            if (auto decoded = percent_decode(parsed->rest)) {
                if (decoded->size() > parsed->rest.size()) __builtin_trap();
                check_value(*decoded);
            }
        } else if (parsed->kind == AnswerKind::Status && parsed->keyword == "KEYINFO") {
            if (auto info = parse_keyinfo(parsed->rest); info && usable_without_prompt(*info) && info->type != 'D') __builtin_trap();
        }
    }
}

// The stream through the real connection: written to one end of a socket pair, closed, and
// read at the other (the end of input ends the exchange; the deadline is a backstop).
void converse(std::string_view stream) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return;
    int sndbuf = 1 << 20;
    ::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    std::string_view rest = stream;
    while (!rest.empty()) {
        ssize_t n = ::send(sv[1], rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::shutdown(sv[1], SHUT_WR);
    std::string why;
    auto conn = AssuanConnection::adopt(sv[0], std::chrono::steady_clock::now() + std::chrono::seconds(1), &why);
    if (conn) {
        AssuanReply reply = conn->transact("PKDECRYPT", {{"CIPHERTEXT", "(7:enc-val(3:rsa(1:a1:x)))"}});
        if (reply.data_size > kMaxAnswerData || reply.data_size > reply.data.size()) __builtin_trap();
        if (reply.ok) check_value(reply.data_view());
    }
    ::close(sv[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = sopskit::fuzz::text_of(data, size);
    read_lines(text);
    check_value(text);
    auto env = [](const std::string& var) -> std::optional<std::string> { return "/env/" + var; };
    if (auto target = parse_assuan_redirect(text, env); target && (target->empty() || target->size() > kMaxSocketPath)) __builtin_trap();
    // The client's own D lines carry any bytes and decode back to them.
    std::string back;
    for (const std::string& line : data_lines(text)) {
        if (line.size() - 1 > kAssuanLineMax || line.compare(0, 2, "D ") != 0) __builtin_trap();
        auto decoded = percent_decode(std::string_view(line).substr(2, line.size() - 3));
        if (!decoded) __builtin_trap();
        back += *decoded;
    }
    if (back != text) __builtin_trap();
    converse(text);
    return 0;
}
