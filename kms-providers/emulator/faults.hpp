// Injected failures: the next N calls to a service answer a given status, then calls succeed.
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sopskit::kms_emulator {

// REQUIRES: nothing; thread-safe.
class Faults {
public:
    // service: aws, sts, gcp, azure, vault, token (both token endpoints), or "*" for all.
    void add(const std::string& service, int status, int count);
    // Parses "service:status[:count]" (count defaults to 1); throws on a malformed spec.
    void add_spec(const std::string& spec);
    // Consumes one pending fault for the service and returns its status.
    std::optional<int> take(const std::string& service);
    void clear();

private:
    struct Pending {
        int status = 0;
        int count = 0;
    };
    std::mutex mu_;
    std::map<std::string, Pending> pending_;
};

}  // namespace sopskit::kms_emulator
