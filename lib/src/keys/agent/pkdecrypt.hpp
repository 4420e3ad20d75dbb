// The one private-key step of a PGP decrypt, asked of gpg-agent: SETKEY <keygrip>, then
// PKDECRYPT with the PKESK's ciphertext as the agent's S-expression. The agent never prompts
// here (pinentry-mode cancel): a key whose passphrase is not cached, or a smartcard that
// wants its PIN, fails with an AgentError and the caller runs gpg, which may prompt.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "keys/agent/assuan.hpp"
#include "keys/openpgp/message.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::detail::agent {

struct AgentDecryption {
    SecureBytes value;             // ECDH: the shared point; RSA: the decrypted block
    bool padding_removed = false;  // "S PADDING 0": the RSA block's PKCS#1 padding is gone
};

// The canonical S-expression gpg sends for `pkesk`: (enc-val(ecdh(s ...)(e ...))) or
// (enc-val(rsa(a ...))). Error for other algorithms.
std::string agent_ciphertext(const openpgp::Pkesk& pkesk);

// The value in the agent's answer, "(5:value<length>:<octets>)" (trailing NULs allowed).
SecureBytes agent_value(std::string_view answer);

// Runs the exchange on a fresh connection. Throws AgentError when the agent refuses (no such
// key, passphrase needed, card missing), Error for an answer it cannot read.
AgentDecryption agent_pkdecrypt(AssuanConnection& agent, const std::array<std::uint8_t, 20>& keygrip, const openpgp::Pkesk& pkesk);

}  // namespace sopskit::detail::agent
