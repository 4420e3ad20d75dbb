// The PGP master key: the data key encrypted to a fingerprint, stored armored with the
// fingerprint and a creation time, as sops writes it.
#include <algorithm>
#include <cctype>
#include <map>

#include "keys/gpgme_util.hpp"
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



class PgpKeySource final : public KeySource {
public:
    explicit PgpKeySource(std::shared_ptr<GnupgHome> home) : home_(std::move(home)) {}

    std::string_view kind() const override { return "pgp"; }

    StoredKey wrap(const Recipient& recipient, const SecureBytes& data_key) override {
        std::string fp = normalize_fingerprint(recipient.id);
        detail::GpgmeCtx ctx = detail::new_gpgme_context(home_path());
        gpgme_key_t raw = nullptr;
        if (gpgme_error_t err = detail::gpgme().gpgme_get_key(ctx.get(), fp.c_str(), &raw, 0))
            throw Error(ErrorCode::Generic, "could not encrypt data key with PGP key " + fp + ": key not found in the keyring (" +
                                                detail::gpgme_error_text(err) + ")");
        detail::GpgmeKey key(raw);
        check_usable(*key, fp);
        gpgme_key_t recipients[] = {key.get(), nullptr};
        detail::GpgmeData in = detail::data_from(data_key.view());
        detail::GpgmeData out = detail::empty_data();
        auto flags = static_cast<gpgme_encrypt_flags_t>(GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO);
        if (gpgme_error_t err = detail::gpgme().gpgme_op_encrypt(ctx.get(), recipients, flags, in.get(), out.get()))
            throw Error(ErrorCode::Generic, "could not encrypt data key with PGP key " + fp + ": " + detail::gpgme_error_text(err));
        StoredKey stored{"pgp", Value::empty_map()};
        stored.set_field("created_at", Value::string(now_rfc3339()));
        stored.set_field("enc", Value::string(detail::trim(detail::take_data(std::move(out)))));
        stored.set_field("fp", Value::string(fp));
        return stored;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string enc = key.field("enc");
        if (enc.empty()) return UnwrapOutcome::failed("the entry has no encrypted data key");
        gpgme_ctx_t ctx = thread_context();
        detail::GpgmeData in = detail::data_from(enc);
        detail::SecureSink sink(kMaxDataKey);
        gpgme_error_t err = detail::gpgme().gpgme_op_decrypt(ctx, in.get(), sink.data());
        if (err) {
            switch (gpgme_err_code(err)) {
                case GPG_ERR_NO_SECKEY: return UnwrapOutcome::not_mine("no secret key for it in the GnuPG keyring");
                case GPG_ERR_BAD_PASSPHRASE: return UnwrapOutcome::failed("bad passphrase");
                case GPG_ERR_CANCELED: return UnwrapOutcome::failed("passphrase entry cancelled");
                default: return UnwrapOutcome::failed("gpg could not decrypt it: " + detail::gpgme_error_text(err));
            }
        }
        SecureBytes data = sink.take();
        if (data.empty()) return UnwrapOutcome::failed("gpg returned zero bytes");
        return UnwrapOutcome::ok(std::move(data));
    }

    std::string describe(const StoredKey& key) const override { return key.field("fp"); }
    Recipient recipient_of(const StoredKey& key) const override { return {"pgp", key.field("fp"), {}}; }

private:
    std::string home_path() const { return home_ ? home_->path() : std::string(); }

    // Setting up a GPGME context queries the engine; reuse one per thread and home.
    gpgme_ctx_t thread_context() const {
        thread_local std::map<std::string, detail::GpgmeCtx> contexts;
        auto& ctx = contexts[home_path()];
        if (!ctx) ctx = detail::new_gpgme_context(home_path());
        return ctx.get();
    }

    static void check_usable(const _gpgme_key& key, const std::string& fp) {
        if (key.revoked) throw Error(ErrorCode::Generic, "PGP key " + fp + " is revoked");
        if (key.expired) throw Error(ErrorCode::Generic, "PGP key " + fp + " has expired");
        if (key.disabled) throw Error(ErrorCode::Generic, "PGP key " + fp + " is disabled");
        if (key.invalid || !key.can_encrypt) throw Error(ErrorCode::Generic, "PGP key " + fp + " cannot encrypt (no valid encryption subkey)");
    }

    std::shared_ptr<GnupgHome> home_;
};

}  // namespace

std::unique_ptr<KeySource> make_pgp_key_source() { return std::make_unique<PgpKeySource>(nullptr); }

std::unique_ptr<KeySource> make_pgp_key_source(std::shared_ptr<GnupgHome> home) {
    return std::make_unique<PgpKeySource>(std::move(home));
}

}  // namespace sopskit
