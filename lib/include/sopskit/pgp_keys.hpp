// PGP as a master key kind, through the user's GnuPG: the gpg program encrypts and decrypts data
// keys (with gpg-agent and its pinentry); GPGME imports and generates keys.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/keys.hpp"
#include "sopskit/private_dir.hpp"

namespace sopskit {

// A private, temporary GnuPG home (0700) for keys handed over in memory, as a controller gets
// them from a decryption Secret. Nothing touches the user's ~/.gnupg. The home is a
// PrivateDir: its gpg-agent is stopped and its files are wiped and removed on every way out,
// a fatal signal or SIGKILL included. It never asks for a passphrase (pinentry mode "cancel"):
// a key that needs one fails instead of waiting for a prompt no one can answer.
class GnupgHome {
public:
    // Creates the folder under $TMPDIR (or /tmp). Throws Error on failure.
    static std::shared_ptr<GnupgHome> create_temporary();
    ~GnupgHome();
    GnupgHome(const GnupgHome&) = delete;
    GnupgHome& operator=(const GnupgHome&) = delete;

    // Imports armored (or binary) public/secret keys. Returns the fingerprints imported.
    // Throws Error when nothing could be imported.
    std::vector<std::string> import_keys(std::string_view key_data);
    const std::string& path() const { return path_; }

private:
    explicit GnupgHome(std::unique_ptr<PrivateDir> dir) : dir_(std::move(dir)), path_(dir_->path()) {}
    std::unique_ptr<PrivateDir> dir_;
    std::string path_;
};

// Removes spaces, as sops does with --pgp / SOPS_PGP_FP fingerprints.
std::string normalize_fingerprint(std::string_view fp);

// PGP key source using the user's GnuPG ($GNUPGHOME or ~/.gnupg, with gpg-agent and its
// pinentry for passphrases).
std::unique_ptr<KeySource> make_pgp_key_source();
// PGP key source over an isolated home; keeps the home alive while the source exists.
std::unique_ptr<KeySource> make_pgp_key_source(std::shared_ptr<GnupgHome> home);

}  // namespace sopskit
