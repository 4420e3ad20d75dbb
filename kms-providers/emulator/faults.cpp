// The fault queue behind --fail-next and POST /_emulator/faults.
#include "faults.hpp"

#include <stdexcept>

namespace sopskit::kms_emulator {

void Faults::add(const std::string& service, int status, int count) {
    if (status < 400 || status > 599 || count < 1) throw std::invalid_argument("a fault needs a 4xx/5xx status and a count >= 1");
    std::lock_guard lock(mu_);
    pending_[service] = {status, count};
}

void Faults::add_spec(const std::string& spec) {
    size_t a = spec.find(':');
    if (a == std::string::npos) throw std::invalid_argument("fault '" + spec + "': expected service:status[:count]");
    size_t b = spec.find(':', a + 1);
    try {
        int status = std::stoi(spec.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1));
        int count = b == std::string::npos ? 1 : std::stoi(spec.substr(b + 1));
        add(spec.substr(0, a), status, count);
    } catch (const std::logic_error& e) {
        throw std::invalid_argument("fault '" + spec + "': expected service:status[:count]");
    }
}

std::optional<int> Faults::take(const std::string& service) {
    std::lock_guard lock(mu_);
    for (const std::string& s : {service, std::string("*")}) {
        auto it = pending_.find(s);
        if (it == pending_.end()) continue;
        int status = it->second.status;
        if (--it->second.count <= 0) pending_.erase(it);
        return status;
    }
    return std::nullopt;
}

void Faults::clear() {
    std::lock_guard lock(mu_);
    pending_.clear();
}

}  // namespace sopskit::kms_emulator
