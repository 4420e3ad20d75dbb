// The age master key: the data key as an armored age file to one recipient.
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/error.hpp"

#include <optional>

namespace sopskit {

namespace {

// Identities come either from the caller or, lazily at the first unwrap, from the environment
// (so encrypting never runs SOPS_AGE_KEY_CMD).
class AgeKeySource final : public KeySource {
public:
    explicit AgeKeySource(std::optional<age::IdentitySet> ids) : ids_(std::move(ids)) {}

    std::string_view kind() const override { return "age"; }

    StoredKey wrap(const Recipient& recipient, const SecureBytes& data_key) override {
        const std::string& r = recipient.id;
        // An SSH line gets age::encrypt's own, more precise, message (bad key, RSA too small).
        if (r.rfind("ssh-", 0) != 0 && !age::is_valid_recipient(r)) throw Error(ErrorCode::Generic, "failed to parse input as Bech32-encoded age public key: " + r);
        StoredKey stored{"age", Value::empty_map()};
        stored.set_field("recipient", Value::string(r));
        stored.set_field("enc", Value::string(age::encrypt(data_key.view(), {r}, true)));
        return stored;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string enc = key.field("enc");
        age::IdentitySet from_env;
        try {
            if (!ids_) from_env = age::load_identities_from_environment(key.field("recipient"));
        } catch (const Error& e) {
            return UnwrapOutcome::failed(e.what());
        }
        const age::IdentitySet& ids = ids_ ? *ids_ : from_env;
        const std::string skipped = load_problems(ids);
        if (ids.size() == 0)
            return UnwrapOutcome::not_mine("no age identity found (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, keys.txt, SSH keys)" + skipped);
        try {
            auto plain = age::decrypt(enc, ids);
            if (!plain) return UnwrapOutcome::not_mine("no identity matched any of the recipients" + skipped);
            return UnwrapOutcome::ok(std::move(*plain));
        } catch (const Error& e) {
            return UnwrapOutcome::failed(std::string("failed to decrypt the age data key: ") + e.what() + skipped);
        }
    }

    std::string describe(const StoredKey& key) const override { return key.field("recipient"); }
    Recipient recipient_of(const StoredKey& key) const override { return {"age", key.field("recipient"), {}}; }

private:
    // The keys that could not be loaded: the likely reason no identity matched (as sops'
    // "Errors while loading age identities").
    static std::string load_problems(const age::IdentitySet& ids) {
        std::string out;
        for (const auto& p : ids.problems()) out += (out.empty() ? ". Errors while loading age identities: " : "; ") + p;
        return out;
    }

    std::optional<age::IdentitySet> ids_;
};

}  // namespace

std::unique_ptr<KeySource> make_age_key_source(age::IdentitySet identities) {
    return std::make_unique<AgeKeySource>(std::move(identities));
}

std::unique_ptr<KeySource> make_age_key_source_from_environment() { return std::make_unique<AgeKeySource>(std::nullopt); }

}  // namespace sopskit
