// The age plugin protocol (age-plugin-NAME over its stdin/stdout): names, the stanza stream,
// and the recipient-v1 / identity-v1 client state machines.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "age/age_internal.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::age::detail {

// The plugin name of an `age1NAME1...` recipient or `AGE-PLUGIN-NAME-1...` identity (lower
// case); nullopt when the text is not one (bad Bech32, or a name outside [a-zA-Z0-9+-._]).
std::optional<std::string> plugin_name_of_recipient(std::string_view text);
std::optional<std::string> plugin_name_of_identity(std::string_view text);

// One stanza from the plugin's output starting at `pos`. nullopt when `buffer` does not yet
// hold a whole stanza (read more and call again); on success `pos` moves past it. Throws
// Error for anything the protocol forbids.
std::optional<Stanza> read_plugin_stanza(std::string_view buffer, std::size_t& pos);

// recipient-v1: the stanzas age-plugin-NAME makes for `recipient`. Throws Error naming the
// plugin when it is missing, fails or breaks the protocol.
std::vector<Stanza> plugin_wrap(const std::string& name, const std::string& recipient, const SecureBytes& file_key);
// identity-v1: the file key if the plugin opens one of `stanzas` with `identity`; nullopt when
// it opens none. Throws Error as plugin_wrap does.
std::optional<SecureBytes> plugin_unwrap(const std::string& name, const SecureBytes& identity, const std::vector<Stanza>& stanzas);

}  // namespace sopskit::age::detail
