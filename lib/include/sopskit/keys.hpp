// Master keys: each kind wraps and unwraps the 32-byte data key; a key ring holds the kinds
// (and the identities each can use) for one run.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/metadata.hpp"
#include "sopskit/secure.hpp"

namespace sopskit {

// Result of asking a key source to unwrap one stored key. NotMine ("no identity for this
// key") is a normal outcome, distinct from Failed ("this key is broken or the service said no").
struct UnwrapOutcome {
    enum class Status { Ok, NotMine, Failed };
    Status status = Status::NotMine;
    SecureBytes data_key;
    std::string reason;  // for NotMine/Failed: why, without any secret

    static UnwrapOutcome ok(SecureBytes key) { return {Status::Ok, std::move(key), {}}; }
    static UnwrapOutcome not_mine(std::string why) { return {Status::NotMine, {}, std::move(why)}; }
    static UnwrapOutcome failed(std::string why) { return {Status::Failed, {}, std::move(why)}; }
};

// A recipient to wrap the data key for: kind is the metadata name ("age", "pgp", ...).
struct Recipient {
    std::string kind;
    std::string id;  // age1..., a fingerprint, an ARN, a resource ID, a URL
    Value params;    // kind-specific options (KMS role, context, aws_profile...); Null if none
    bool operator==(const Recipient& o) const { return kind == o.kind && id == o.id; }
};

// One master key kind (age, pgp, kms, ...). Implementations are registered in a KeyRing.
class KeySource {
public:
    virtual ~KeySource() = default;
    // The metadata name: "age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault".
    virtual std::string_view kind() const = 0;
    // Wraps the data key for one recipient, returning the stored entry with the fields sops
    // writes. Throws Error on failure.
    virtual StoredKey wrap(const Recipient& recipient, const SecureBytes& data_key) = 0;
    // The recipient a stored entry was made for (inverse of wrap), to re-wrap on rotation.
    virtual Recipient recipient_of(const StoredKey& key) const = 0;
    // Unwraps a stored entry of this kind.
    virtual UnwrapOutcome unwrap(const StoredKey& key) = 0;
    // The entry's identity as users know it (recipient, fingerprint, ARN), for messages.
    virtual std::string describe(const StoredKey& key) const = 0;
};

// Bounds on opening one file's data key: its metadata is written by whoever can commit, and
// each cloud entry may cost requests, retries and timeouts.
struct UnwrapLimits {
    std::size_t max_key_entries = 100;                   // over all key groups
    std::chrono::milliseconds time_budget{120'000};      // for all the entries of one file
    // The defaults, changed by SOPSKIT_MAX_KEY_ENTRIES and SOPSKIT_UNWRAP_BUDGET_S when set to
    // a positive number.
    static UnwrapLimits from_environment();
};

// The deadline of the unwrap running on this thread (KeyRing::unwrap_data_key sets it), so
// that a key source waiting on the network stops by then; nullopt outside an unwrap.
std::optional<std::chrono::steady_clock::time_point> unwrap_deadline();

// The key sources available to one run, tried in sops' decryption order.
class KeyRing {
public:
    KeyRing();
    ~KeyRing();
    KeyRing(KeyRing&&) noexcept;
    KeyRing& operator=(KeyRing&&) noexcept;

    void add(std::unique_ptr<KeySource> source);
    KeySource* find(std::string_view kind) const;
    // Kinds tried first within a group, in this order (sops: SOPS_DECRYPTION_ORDER, default age,pgp).
    void set_decryption_order(std::vector<std::string> kinds);
    // Default: UnwrapLimits::from_environment().
    void set_unwrap_limits(UnwrapLimits limits);

    // The data key from the file's key groups. Throws Error(CouldNotRetrieveKey) with one line
    // per key tried and its reason when no group can be opened, or when the file lists more
    // entries than the limit (none is tried then); entries left when the time budget is spent
    // are reported as skipped.
    SecureBytes unwrap_data_key(const Metadata& md) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sopskit
