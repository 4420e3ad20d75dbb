// The age master key: the data key as an armored age file to one recipient.
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/error.hpp"

namespace sopskit {

namespace {

class AgeKeySource final : public KeySource {
public:
    explicit AgeKeySource(age::IdentitySet ids) : ids_(std::move(ids)) {}

    std::string_view kind() const override { return "age"; }

    StoredKey wrap(std::string_view recipient, const SecureBytes& data_key) override {
        std::string r(recipient);
        if (!age::is_valid_recipient(r)) throw Error(ErrorCode::Generic, "failed to parse input as Bech32-encoded age public key: " + r);
        StoredKey stored{"age", Value::empty_map()};
        stored.set_field("recipient", Value::string(r));
        stored.set_field("enc", Value::string(age::encrypt(data_key.view(), {r}, true)));
        return stored;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string enc = key.field("enc");
        if (ids_.size() == 0) return UnwrapOutcome::not_mine("no age identity found (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, keys.txt)");
        try {
            auto plain = age::decrypt(enc, ids_);
            if (!plain) return UnwrapOutcome::not_mine("no identity matched any of the recipients");
            return UnwrapOutcome::ok(std::move(*plain));
        } catch (const Error& e) {
            return UnwrapOutcome::failed(std::string("failed to decrypt the age data key: ") + e.what());
        }
    }

    std::string describe(const StoredKey& key) const override { return key.field("recipient"); }

private:
    age::IdentitySet ids_;
};

}  // namespace

std::unique_ptr<KeySource> make_age_key_source(age::IdentitySet identities) {
    return std::make_unique<AgeKeySource>(std::move(identities));
}

std::unique_ptr<KeySource> make_age_key_source_from_environment() {
    return make_age_key_source(age::load_identities_from_environment());
}

}  // namespace sopskit
