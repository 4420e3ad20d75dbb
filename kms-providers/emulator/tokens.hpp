// Bearer tokens and temporary AWS credentials the emulator issued; in memory only.
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sopskit::kms_emulator {

struct IssuedToken {
    std::string service;  // "gcp", "azure"
    std::string subject;  // service account, client id…
    std::string tenant;   // Azure only
    long long expires_at = 0;
};

struct TemporaryAwsCredentials {
    std::string access_key_id, secret, session_token, role_arn;
    long long expires_at = 0;
};

// REQUIRES: nothing; every method is thread-safe.
class TokenRegistry {
public:
    std::string issue(const IssuedToken& t);
    // nullopt when unknown or expired.
    std::optional<IssuedToken> find(const std::string& token) const;
    TemporaryAwsCredentials issue_aws(const std::string& role_arn, long long ttl);
    std::optional<TemporaryAwsCredentials> find_aws(const std::string& access_key_id) const;
    // Every issued token and credential counts as expired from now on.
    void expire_all();
    // Overrides the state file's token lifetime for tokens issued from now on (0: no override).
    void set_ttl_override(long long seconds);
    long long ttl_override() const;

private:
    mutable std::mutex mu_;
    std::map<std::string, IssuedToken> tokens_;
    std::map<std::string, TemporaryAwsCredentials> aws_;
    long long ttl_override_ = 0;
};

}  // namespace sopskit::kms_emulator
