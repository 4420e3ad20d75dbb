// A PGP data key decrypted without running gpg: the message read here, its recipient's key
// found in the home's pubring.kbx, the private-key step asked of the running gpg-agent, the
// rest done here (keys/openpgp/, keys/gpg_agent/). About 1 ms where `gpg -d` takes 8.
// Before the agent: when the key's file in private-keys-v1.d holds an unprotected Curve25519
// or RSA key (no Confirm: attribute), the private-key step is done here too, with no agent
// running at all; any other key file (protected, a card's, unreadable, malformed) goes to the
// agent as below.
// Anything outside that simple case gives nullopt, and the caller runs gpg as before:
// SOPS_GPG_EXEC set, a gpg.conf or common.conf option that changes where keys are looked for
// or how a message is judged (keyring, compliance, use-keyboxd, ...), no agent running, no
// pubring.kbx (or a legacy pubring.gpg beside it), the key not found, a passphrase the agent
// has not cached (it is never asked to prompt), a smartcard wanting its PIN, an algorithm or
// packet this reader leaves to gpg, a malformed message (gpg then reports it in its own words).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::detail {

// `home`: the GnuPG home sopskit made (empty: $GNUPGHOME or ~/.gnupg). `message`: the
// armored data key as stored in the file. The data key, or nullopt for "ask gpg".
std::optional<SecureBytes> decrypt_data_key_with_agent(const std::string& home, std::string_view message, std::size_t max_size);

}  // namespace sopskit::detail
