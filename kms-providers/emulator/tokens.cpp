// Issued tokens, looked up on every authenticated call.
#include "tokens.hpp"

#include "codec.hpp"

namespace sopskit::kms_emulator {

std::string TokenRegistry::issue(const IssuedToken& t) {
    std::string token = random_token(t.service == "gcp" ? "ya29.emu-" : "eyJ0eXAiOiJKV1QifQ.emu-");
    std::lock_guard lock(mu_);
    tokens_[token] = t;
    return token;
}

std::optional<IssuedToken> TokenRegistry::find(const std::string& token) const {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(token);
    if (it == tokens_.end() || it->second.expires_at <= now_seconds()) return std::nullopt;
    return it->second;
}

TemporaryAwsCredentials TokenRegistry::issue_aws(const std::string& role_arn, long long ttl) {
    TemporaryAwsCredentials c;
    c.access_key_id = "ASIA" + hex_encode(random_bytes(8)).substr(0, 16);
    for (char& ch : c.access_key_id) ch = char(toupper(ch));
    c.secret = random_token("");
    c.session_token = random_token("IQoJemu");
    c.role_arn = role_arn;
    c.expires_at = now_seconds() + ttl;
    std::lock_guard lock(mu_);
    aws_[c.access_key_id] = c;
    return c;
}

std::optional<TemporaryAwsCredentials> TokenRegistry::find_aws(const std::string& akid) const {
    std::lock_guard lock(mu_);
    auto it = aws_.find(akid);
    if (it == aws_.end()) return std::nullopt;
    return it->second;  // the caller reports expiry as the service does (ExpiredTokenException)
}

void TokenRegistry::expire_all() {
    std::lock_guard lock(mu_);
    long long now = now_seconds();
    for (auto& [_, t] : tokens_) t.expires_at = now;
    for (auto& [_, c] : aws_) c.expires_at = now;
}

void TokenRegistry::set_ttl_override(long long seconds) {
    std::lock_guard lock(mu_);
    ttl_override_ = seconds;
}

long long TokenRegistry::ttl_override() const {
    std::lock_guard lock(mu_);
    return ttl_override_;
}

}  // namespace sopskit::kms_emulator
