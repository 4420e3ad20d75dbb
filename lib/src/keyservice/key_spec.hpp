// The protocol's Key for sopskit's stored keys and recipients, and back.
#pragma once
#include <optional>
#include <string>

#include "keyservice/module_abi.hpp"
#include "sopskit/keys.hpp"

namespace sopskit::keyservice_detail {

using keyservice_abi::KeySpec;

// The Key naming a stored entry (to decrypt its `enc`).
KeySpec spec_of(const StoredKey& key);
// The Key naming a recipient (to encrypt for it); nullopt when its form cannot be sent (an
// Azure or Vault key that is not a key URL).
std::optional<KeySpec> spec_of(const Recipient& recipient);
// The stored entry a key service's ciphertext makes: the kind's fields as sopskit writes them.
StoredKey stored_key_of(const KeySpec& spec, const std::string& ciphertext);
// The recipient a request's Key names (the server encrypts for it).
Recipient recipient_of(const KeySpec& spec);
// How a Key is shown in logs and errors: the kind and its identity, no key material.
std::string describe(const KeySpec& spec);

}  // namespace sopskit::keyservice_detail
