// Environment views for the KMS key sources.
#include "common/env.hpp"

#include <array>
#include <cstdlib>
#include <string_view>

namespace sopskit::kms {

Env process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v || !*v) return std::nullopt;
        return std::string(v);
    };
}

Env transport_only_env(Env parent) {
    return [parent = std::move(parent)](const std::string& name) -> std::optional<std::string> {
        static constexpr std::array<std::string_view, 17> allowed = {
            "AWS_ENDPOINT_URL",       "AWS_ENDPOINT_URL_KMS",   "AWS_ENDPOINT_URL_STS", "AWS_CA_BUNDLE",
            "SSL_CERT_FILE",          "SSL_CERT_DIR",           "SOPS_GCP_KMS_ENDPOINT", "VAULT_CACERT",
            "SOPSKIT_KMS_RETRY_BASE_MS", "SOPSKIT_KMS_TIMEOUT_S", "AWS_MAX_ATTEMPTS",   "VAULT_AGENT_ADDR",
            "SOPS_HC_VAULT_ALLOWLIST", "AZURE_AUTHORITY_HOST", "SOPSKIT_KMS_RESOLVE",
            "SOPSKIT_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION", "SOPSKIT_AZURE_KEYVAULT_DOMAINS"};
        for (auto a : allowed)
            if (a == name) return parent(name);
        return std::nullopt;
    };
}

Env map_env(std::function<std::optional<std::string>(const std::string&)> f) { return f; }

std::string env_or(const Env& env, const std::string& name, const std::string& fallback) {
    auto v = env(name);
    return v ? *v : fallback;
}

}  // namespace sopskit::kms

#include "sopskit/kms.hpp"

namespace sopskit::kms {

Env env_of(const KmsSettings& settings) {
    Env base = settings.env ? Env(settings.env) : process_env();
    return settings.isolated ? transport_only_env(base) : base;
}

std::string home_of(const KmsSettings& settings) {
    if (!settings.home.empty()) return settings.home;
    if (settings.isolated) return {};
    Env base = settings.env ? Env(settings.env) : process_env();
    return env_or(base, "HOME");
}

}  // namespace sopskit::kms
