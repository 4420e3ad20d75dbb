#include <algorithm>
#include <map>

#include "core/shamir.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keys.hpp"

namespace sopskit {

struct KeyRing::Impl {
    std::vector<std::unique_ptr<KeySource>> sources;
    std::vector<std::string> order{"age", "pgp"};
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

namespace {

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

SecureBytes KeyRing::unwrap_data_key(const Metadata& md) const {
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
            std::string name = escape_control_chars(source ? key->kind + " " + source->describe(*key) : key->kind);
            if (!source) {
                report += "\n    " + name + ": no support for this key kind in this build";
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
