// The PGP master key: the data key encrypted to a fingerprint, stored armored with the
// fingerprint and a creation time, as sops writes it. Decrypt first asks the running gpg-agent
// for the private-key step and does the rest itself (keys/pgp_agent_decrypt.hpp); anything
// outside that simple case, and encrypt, run gpg itself (see keys/gpg_program.hpp); GPGME only
// explains a key gpg refused.
#include <cstring>
#include <string>

#include "keys/gpg_program.hpp"
#include "keys/gpgme_util.hpp"
#include "keys/pgp_agent_decrypt.hpp"
#include "core/text.hpp"
#include "sopskit/error.hpp"
#include "sopskit/pgp_keys.hpp"

namespace sopskit {

std::string normalize_fingerprint(std::string_view fp) {
    std::string out;
    for (char c : fp)
        if (c != ' ') out += c;
    return out;
}

namespace {

constexpr std::size_t kMaxDataKey = 64;  // 32-byte keys, 33-byte Shamir shares
constexpr std::size_t kMaxArmoredDataKey = 64 << 10;  // a few hundred bytes per recipient key

class PgpKeySource final : public KeySource {
public:
    explicit PgpKeySource(std::shared_ptr<GnupgHome> home) : home_(std::move(home)) {}

    std::string_view kind() const override { return "pgp"; }

    StoredKey wrap(const Recipient& recipient, const SecureBytes& data_key) override {
        std::string fp = normalize_fingerprint(recipient.id);
        std::string armored;
        detail::GpgRun run;
        if (!fp.empty() && fp.front() != '-') {  // never an option to gpg
            run = detail::run_gpg(home_path(), {"--armor", "--trust-model", "always", "--no-encrypt-to", "--encrypt", "--recipient", fp},
                                  data_key.view(), [&](const char* data, std::size_t size) {
                                      if (armored.size() + size > kMaxArmoredDataKey) return false;
                                      armored.append(data, size);
                                      return true;
                                  });
        }
        if (run.exit_code != 0 || !run.status.end_encryption || armored.empty()) {
            // gpg says only "unusable"; GPGME's key listing says why, in the words used so far.
            explain_refused_key(fp);
            throw Error(ErrorCode::Generic, "could not encrypt data key with PGP key " + fp + ": " + gpg_failure(run));
        }
        StoredKey stored{"pgp", Value::empty_map()};
        stored.set_field("created_at", Value::string(now_rfc3339()));
        stored.set_field("enc", Value::string(detail::trim(armored)));
        stored.set_field("fp", Value::string(fp));
        return stored;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string enc = key.field("enc");
        if (enc.empty()) return UnwrapOutcome::failed("the entry has no encrypted data key");
        if (auto key = detail::decrypt_data_key_with_agent(home_path(), enc, kMaxDataKey)) return UnwrapOutcome::ok(std::move(*key));
        SecureBytes buffer(kMaxDataKey);
        std::size_t used = 0;
        detail::GpgRun run = detail::run_gpg(home_path(), {"--decrypt"}, enc, [&](const char* data, std::size_t size) {
            if (used + size > buffer.size()) return false;  // a data key is 32 bytes, a Shamir share 33
            std::memcpy(buffer.data() + used, data, size);
            used += size;
            return true;
        });
        const detail::GpgStatus& st = run.status;
        if (st.decryption_okay && run.exit_code == 0) {
            if (used == 0) return UnwrapOutcome::failed("gpg returned zero bytes");
            return UnwrapOutcome::ok(SecureBytes(buffer.data(), used));
        }
        if (st.bad_passphrase || st.error_code() == GPG_ERR_BAD_PASSPHRASE) return UnwrapOutcome::failed("bad passphrase");
        if (st.error_code() == GPG_ERR_CANCELED || st.error_code() == GPG_ERR_FULLY_CANCELED)
            return UnwrapOutcome::failed("passphrase entry cancelled");
        if (st.no_seckey > 0 && st.error == 0 && run.exit_code >= 0)
            return UnwrapOutcome::not_mine("no secret key for it in the GnuPG keyring");
        return UnwrapOutcome::failed("gpg could not decrypt it: " + gpg_failure(run));
    }

    std::string describe(const StoredKey& key) const override { return key.field("fp"); }
    Recipient recipient_of(const StoredKey& key) const override { return {"pgp", key.field("fp"), {}}; }

private:
    std::string home_path() const { return home_ ? home_->path() : std::string(); }

    // Throws the error for a key gpg would not encrypt to (missing, revoked, expired, disabled,
    // no encryption subkey); returns when GPGME finds nothing wrong with it.
    void explain_refused_key(const std::string& fp) const {
        detail::GpgmeCtx ctx = detail::new_gpgme_context(home_path());
        gpgme_key_t raw = nullptr;
        if (gpgme_error_t err = detail::gpgme().gpgme_get_key(ctx.get(), fp.c_str(), &raw, 0))
            throw Error(ErrorCode::Generic, "could not encrypt data key with PGP key " + fp + ": key not found in the keyring (" +
                                                detail::gpgme_error_text(err) + ")");
        detail::GpgmeKey key(raw);
        if (key->revoked) throw Error(ErrorCode::Generic, "PGP key " + fp + " is revoked");
        if (key->expired) throw Error(ErrorCode::Generic, "PGP key " + fp + " has expired");
        if (key->disabled) throw Error(ErrorCode::Generic, "PGP key " + fp + " is disabled");
        if (key->invalid || !key->can_encrypt) throw Error(ErrorCode::Generic, "PGP key " + fp + " cannot encrypt (no valid encryption subkey)");
    }

    // Why a gpg run failed, in one line: GnuPG's text for the error it reported, else its exit.
    static std::string gpg_failure(const detail::GpgRun& run) {
        if (run.status.error != 0) {
            try {
                return detail::gpgme_error_text(run.status.error);
            } catch (const Error&) {  // no GPGME: the number still identifies it
            }
            return "GnuPG error " + std::to_string(run.status.error);
        }
        if (run.exit_code < 0) return "gpg was stopped (killed, or more output than a data key)";
        return "gpg exited with status " + std::to_string(run.exit_code) + last_line(run.errors);
    }

    // ": <gpg's last stderr line>", control characters escaped; empty when it wrote nothing.
    static std::string last_line(std::string_view text) {
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
        if (text.empty()) return {};
        std::size_t nl = text.rfind('\n');
        std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
        return ": " + escape_control_chars(line.substr(0, 200));
    }

    std::shared_ptr<GnupgHome> home_;
};

}  // namespace

std::unique_ptr<KeySource> make_pgp_key_source() { return std::make_unique<PgpKeySource>(nullptr); }

std::unique_ptr<KeySource> make_pgp_key_source(std::shared_ptr<GnupgHome> home) {
    return std::make_unique<PgpKeySource>(std::move(home));
}

}  // namespace sopskit
