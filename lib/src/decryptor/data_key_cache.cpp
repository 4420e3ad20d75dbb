#include "sopskit/decryptor.hpp"

namespace sopskit {

DataKeyCache::DataKeyCache(std::size_t max_entries, std::chrono::seconds ttl) : max_(max_entries), ttl_(ttl) {}

std::optional<SecureBytes> DataKeyCache::get(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() >= it->second.expires) {
        order_.erase(it->second.lru);
        entries_.erase(it);  // SecureBytes zeroes the key as it goes
        return std::nullopt;
    }
    order_.splice(order_.begin(), order_, it->second.lru);
    ++hits_;
    return it->second.key.clone();
}

void DataKeyCache::put(const std::string& id, const SecureBytes& key) {
    std::lock_guard<std::mutex> lock(mu_);
    if (max_ == 0) return;
    if (auto it = entries_.find(id); it != entries_.end()) {
        order_.erase(it->second.lru);
        entries_.erase(it);
    }
    while (entries_.size() >= max_) evict_oldest();
    order_.push_front(id);
    entries_.emplace(id, Entry{key.clone(), std::chrono::steady_clock::now() + ttl_, order_.begin()});
}

void DataKeyCache::evict_oldest() {
    entries_.erase(order_.back());
    order_.pop_back();
}

std::size_t DataKeyCache::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
}

}  // namespace sopskit
