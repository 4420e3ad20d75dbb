#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/shamir.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keys.hpp"

namespace sopskit {

struct KeyRing::Impl {
    std::vector<std::unique_ptr<KeySource>> sources;
    std::vector<std::string> order{"age", "pgp"};
    UnwrapLimits limits = UnwrapLimits::from_environment();
};

KeyRing::KeyRing() : impl_(std::make_unique<Impl>()) {}
KeyRing::~KeyRing() = default;
KeyRing::KeyRing(KeyRing&&) noexcept = default;
KeyRing& KeyRing::operator=(KeyRing&&) noexcept = default;

void KeyRing::add(std::unique_ptr<KeySource> source) {
    auto& sources = impl_->sources;
    std::erase_if(sources, [&](const auto& s) { return s->kind() == source->kind(); });
    sources.push_back(std::move(source));
}

KeySource* KeyRing::find(std::string_view kind) const {
    for (const auto& s : impl_->sources)
        if (s->kind() == kind) return s.get();
    return nullptr;
}

void KeyRing::set_decryption_order(std::vector<std::string> kinds) { impl_->order = std::move(kinds); }
void KeyRing::set_unwrap_limits(UnwrapLimits limits) { impl_->limits = limits; }

namespace {

// A positive whole number from the environment, or nullopt.
std::optional<long long> positive_env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (*end != '\0' || n <= 0) return std::nullopt;
    return n;
}

thread_local std::optional<std::chrono::steady_clock::time_point> current_deadline;

// Sets this thread's unwrap deadline for one scope (nested unwraps keep the earlier one).
class DeadlineScope {
public:
    explicit DeadlineScope(std::chrono::steady_clock::time_point deadline) : saved_(current_deadline) {
        if (!current_deadline || deadline < *current_deadline) current_deadline = deadline;
    }
    ~DeadlineScope() { current_deadline = saved_; }
    DeadlineScope(const DeadlineScope&) = delete;
    DeadlineScope& operator=(const DeadlineScope&) = delete;

private:
    std::optional<std::chrono::steady_clock::time_point> saved_;
};

// Names and reasons in the report may come from the file or a server: one line, bounded.
std::string printable(const std::string& s, std::size_t limit = 300) {
    std::string out = escape_control_chars(std::string_view(s).substr(0, limit));
    return s.size() > limit ? out + "..." : out;
}

// sops' sortKeyGroupIndices: kinds named in the order first (in that order), then the rest
// as stored.
std::vector<const StoredKey*> in_decryption_order(const KeyGroup& group, const std::vector<std::string>& order) {
    std::vector<const StoredKey*> sorted;
    for (const auto& kind : order)
        for (const auto& k : group)
            if (k.kind == kind) sorted.push_back(&k);
    for (const auto& k : group)
        if (std::find(order.begin(), order.end(), k.kind) == order.end()) sorted.push_back(&k);
    return sorted;
}

}  // namespace

UnwrapLimits UnwrapLimits::from_environment() {
    UnwrapLimits l;
    if (auto n = positive_env("SOPSKIT_MAX_KEY_ENTRIES")) l.max_key_entries = static_cast<std::size_t>(*n);
    if (auto s = positive_env("SOPSKIT_UNWRAP_BUDGET_S"))
        l.time_budget = std::chrono::milliseconds(std::min<long long>(*s, 365LL * 24 * 3600) * 1000);
    return l;
}

std::optional<std::chrono::steady_clock::time_point> unwrap_deadline() { return current_deadline; }

SecureBytes KeyRing::unwrap_data_key(const Metadata& md) const {
    const UnwrapLimits& limits = impl_->limits;
    std::size_t entries = 0;
    for (const auto& group : md.key_groups) entries += group.size();
    if (entries > limits.max_key_entries)
        throw Error(ErrorCode::CouldNotRetrieveKey,
                    "Failed to get the data key required to decrypt the SOPS file: it lists " + std::to_string(entries) +
                        " master keys, more than the limit of " + std::to_string(limits.max_key_entries) +
                        " (SOPSKIT_MAX_KEY_ENTRIES)");
    const auto deadline = std::chrono::steady_clock::now() + limits.time_budget;
    DeadlineScope scope(deadline);
    std::string report;
    std::vector<SecureBytes> parts;
    int group_index = 0;
    for (const auto& group : md.key_groups) {
        bool opened = false;
        report += "\n  group " + std::to_string(group_index) + ":";
        for (const StoredKey* key : in_decryption_order(group, impl_->order)) {
            KeySource* source = find(key->kind);
            // One line per key: the key's name (from the file) and the reason (maybe a server's
            // text) cannot add lines of their own.
            std::string name = printable(source ? key->kind + " " + source->describe(*key) : key->kind);
            if (!source) {
                report += "\n    " + name + ": no support for this key kind in this build";
                continue;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                report += "\n    " + name + ": skipped: the unwrap time budget of " +
                          std::to_string(limits.time_budget.count() / 1000) + " s is spent (SOPSKIT_UNWRAP_BUDGET_S)";
                continue;
            }
            UnwrapOutcome out = source->unwrap(*key);
            if (out.status == UnwrapOutcome::Status::Ok) {
                parts.push_back(std::move(out.data_key));
                opened = true;
                break;
            }
            report += "\n    " + name + ": " + escape_control_chars(out.reason);
        }
        ++group_index;
        if (md.key_groups.size() == 1 && opened) return std::move(parts.front());
    }
    if (md.key_groups.size() > 1) {
        std::size_t threshold = md.shamir_threshold > 0 ? static_cast<std::size_t>(md.shamir_threshold) : md.key_groups.size();
        if (parts.size() >= threshold) return detail::shamir_combine(parts);
    }
    throw Error(ErrorCode::CouldNotRetrieveKey,
                "Failed to get the data key required to decrypt the SOPS file:" + report);
}

}  // namespace sopskit
