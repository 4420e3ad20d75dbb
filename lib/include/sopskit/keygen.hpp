// Keys for a cluster in one step: a PGP or age key pair and the Flux decryption Secret.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sopskit/age.hpp"
#include "sopskit/secure.hpp"

namespace sopskit {

struct GeneratedPgpKey {
    std::string fingerprint;
    std::string armored_public;
    SecureBytes armored_secret;  // no passphrase: a controller has nobody to type one
};

// Generates a passphrase-less key (primary + encryption subkey) in a private temporary
// keyring. `algorithm` is "rsa4096" (Flux's guide) or "ed25519" (with a cv25519 subkey).
// Nothing is written to the user's keyring. Throws Error.
GeneratedPgpKey generate_pgp_key(const std::string& user_id, const std::string& algorithm = "rsa4096");

// Imports public key material into the user's own keyring ($GNUPGHOME or ~/.gnupg), so the
// admin can encrypt to it with --pgp.
void import_public_key_to_user_keyring(const std::string& armored_public);

// A Kubernetes Secret manifest (as `kubectl create secret generic --dry-run=client -o yaml`
// prints it) holding `entries` base64-encoded under `data`, keys sorted.
std::string secret_manifest(const std::string& name, const std::string& ns,
                            const std::vector<std::pair<std::string, std::string_view>>& entries);

// The keys.txt text age-keygen writes for an identity.
std::string age_keys_file(const age::X25519Identity& id);
// The same from an identity's text and its recipient (any kind, e.g. a hybrid key).
std::string age_keys_file(std::string_view identity, std::string_view recipient);

}  // namespace sopskit
