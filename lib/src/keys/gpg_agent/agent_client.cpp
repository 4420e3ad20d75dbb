#include "keys/gpg_agent/agent_client.hpp"

#include <strings.h>

#include <cstring>

#include "keys/gpg_agent/agent_socket.hpp"
#include "keys/gpg_agent/assuan_connection.hpp"
#include "keys/gpg_agent/assuan_lines.hpp"
#include "keys/gpg_agent/canonical_sexp.hpp"
#include "keys/gpg_agent/key_info.hpp"
#include "keys/gpg_agent/socket_dir.hpp"

namespace sopskit::detail::gpg_agent {

namespace {

// gpg-error codes the agent answers with (libgpg-error's err-codes.h).
constexpr std::uint32_t kErrNoSecretKey = 17;
constexpr std::uint32_t kErrNotFound = 27;
constexpr std::uint32_t kErrCanceled = 99;
constexpr std::uint32_t kErrFullyCanceled = 198;
constexpr std::uint32_t kErrNoPinentry = 85;

// PKDECRYPT's ciphertext is at most this large in gpg-agent (its MAXLEN_CIPHERTEXT).
constexpr std::size_t kMaxCiphertext = 4096;

NotAvailable not_available(Unavailable reason, std::string detail) { return NotAvailable{reason, std::move(detail)}; }

// What an ERR answer means for the caller.
NotAvailable from_reply(const AssuanReply& reply, std::string_view command) {
    std::string what = std::string(command) + ": " + reply.problem;
    if (reply.broken) return not_available(Unavailable::Broken, what);
    switch (error_code_of(reply.error)) {
        case kErrNoSecretKey:
        case kErrNotFound:
            return not_available(Unavailable::KeyMissing, what);
        case kErrCanceled:
        case kErrFullyCanceled:
        case kErrNoPinentry:
            return not_available(Unavailable::NeedsPrompt, what);
        default:
            return not_available(Unavailable::Refused, what);
    }
}

}  // namespace

std::optional<std::string> find_agent_socket(const std::string& homedir) {
    std::optional<std::string> dir = agent_socket_dir(socket_dir_inputs(homedir));
    if (!dir) return std::nullopt;
    return resolve_agent_socket(*dir + "/S.gpg-agent");
}

AgentSession::AgentSession(std::unique_ptr<AssuanConnection> conn) : conn_(std::move(conn)) {}
AgentSession::~AgentSession() = default;

std::unique_ptr<AgentSession> AgentSession::open(const AgentOptions& options, NotAvailable* why) {
    std::optional<std::string> socket = find_agent_socket(options.homedir);
    if (!socket) {
        *why = not_available(Unavailable::NoAgent, "no gpg-agent socket for the GnuPG home");
        return nullptr;
    }
    return open_socket(*socket, options.timeout, why);
}

std::unique_ptr<AgentSession> AgentSession::open_socket(const std::string& socket, std::chrono::milliseconds timeout,
                                                        NotAvailable* why) {
    std::string problem;
    auto conn = AssuanConnection::connect(socket, std::chrono::steady_clock::now() + timeout, &problem);
    if (!conn) {
        *why = not_available(Unavailable::NoAgent, "gpg-agent at " + socket + ": " + problem);
        return nullptr;
    }
    // Any passphrase or confirmation the agent would ask for fails at once instead of opening
    // a pinentry on some terminal or display. An agent without the option is not used.
    AssuanReply option = conn->transact("OPTION pinentry-mode=cancel");
    if (!option.ok) {
        *why = from_reply(option, "OPTION pinentry-mode=cancel");
        if (!option.broken) why->reason = Unavailable::NoAgent;
        return nullptr;
    }
    return std::unique_ptr<AgentSession>(new AgentSession(std::move(conn)));
}

std::optional<NotAvailable> AgentSession::check_key(std::string_view keygrip) {
    if (!is_keygrip(keygrip)) return not_available(Unavailable::Broken, "not a keygrip");
    AssuanReply reply = conn_->transact("KEYINFO " + std::string(keygrip));
    if (!reply.ok) return from_reply(reply, "KEYINFO");
    const StatusLine* line = reply.find_status("KEYINFO");
    std::optional<KeyInfo> info = line ? parse_keyinfo(line->args) : std::nullopt;
    if (!info) return not_available(Unavailable::Broken, "KEYINFO: no readable KEYINFO status");
    if (strncasecmp(info->keygrip.c_str(), std::string(keygrip).c_str(), 40) != 0)
        return not_available(Unavailable::Broken, "KEYINFO: the agent described another key");
    if (info->type == '-') return not_available(Unavailable::KeyMissing, "KEYINFO: the key is missing");
    if (!usable_without_prompt(*info))
        return not_available(Unavailable::NeedsPrompt, std::string("KEYINFO: type ") + info->type + ", protection " + info->protection +
                                                           (info->cached ? ", cached" : ", not cached") + ", flags " + info->flags);
    return std::nullopt;
}

PkDecryption AgentSession::pkdecrypt(std::string_view keygrip, std::string_view ciphertext) {
    PkDecryption out;
    std::size_t consumed = 0;
    if (!is_keygrip(keygrip)) {
        out.not_available = not_available(Unavailable::Broken, "not a keygrip");
        return out;
    }
    if (ciphertext.size() > kMaxCiphertext || !parse_canonical_sexp(ciphertext, &consumed) || consumed != ciphertext.size()) {
        out.not_available = not_available(Unavailable::Broken, "the ciphertext is no canonical S-expression the agent takes");
        return out;
    }
    AssuanReply setkey = conn_->transact("SETKEY " + std::string(keygrip));
    if (!setkey.ok) {
        out.not_available = from_reply(setkey, "SETKEY");
        return out;
    }
    AssuanReply reply = conn_->transact("PKDECRYPT", {{"CIPHERTEXT", ciphertext}});
    if (!reply.ok) {
        out.not_available = from_reply(reply, "PKDECRYPT");
        return out;
    }
    std::optional<std::string_view> value = pkdecrypt_value(reply.data_view());
    if (!value || value->empty()) {
        out.not_available = not_available(Unavailable::Broken, "PKDECRYPT: the answer is no (value ...) S-expression");
        return out;
    }
    if (const StatusLine* padding = reply.find_status("PADDING")) {
        if (padding->args == "0" || padding->args == "1") {
            out.padding = padding->args[0] - '0';
        } else {
            out.not_available = not_available(Unavailable::Broken, "PKDECRYPT: an unreadable PADDING status");
            return out;
        }
    }
    out.value = SecureBytes(reinterpret_cast<const std::uint8_t*>(value->data()), value->size());
    return out;
}

PkDecryption agent_pkdecrypt(const AgentOptions& options, std::string_view keygrip, std::string_view ciphertext) {
    PkDecryption out;
    NotAvailable why;
    std::unique_ptr<AgentSession> session = AgentSession::open(options, &why);
    if (!session) {
        out.not_available = std::move(why);
        return out;
    }
    if (std::optional<NotAvailable> refused = session->check_key(keygrip)) {
        out.not_available = std::move(refused);
        return out;
    }
    return session->pkdecrypt(keygrip, ciphertext);
}

}  // namespace sopskit::detail::gpg_agent
