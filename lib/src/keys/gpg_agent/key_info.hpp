// What gpg-agent says of a private key (its KEYINFO status line), and whether the agent can
// use that key without asking anyone: no passphrase prompt, no smartcard, no confirmation.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sopskit::detail::gpg_agent {

struct KeyInfo {
    std::string keygrip;  // 40 hex digits, upper case as the agent writes them
    char type = '-';      // 'D' on disk, 'T' on a smartcard, 'X' unknown, '-' missing
    bool cached = false;  // the passphrase is in the agent's cache
    char protection = '-';  // 'P' passphrase, 'C' clear, '-' unknown
    std::string flags;    // "-" for none; 'D' disabled, 'c' confirm each use, 'S' in sshcontrol
};

// A keygrip as sent to the agent: exactly 40 hex digits.
bool is_keygrip(std::string_view text);

// The arguments of "S KEYINFO": "<grip> <type> <serialno> <idstr> <cached> <protection>
// [<fpr> <ttl> <flags> ...]" (the last three since GnuPG 2.1.x; later fields ignored). nullopt
// when a field is malformed.
std::optional<KeyInfo> parse_keyinfo(std::string_view args);

// Usable with no prompt of any kind: on disk, not protected or its passphrase cached, no flags.
bool usable_without_prompt(const KeyInfo& info);

}  // namespace sopskit::detail::gpg_agent
