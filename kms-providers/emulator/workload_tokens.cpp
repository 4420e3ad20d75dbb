// Kubernetes service-account tokens as the clouds check them in workload identity federation:
// an RS256 JWT whose issuer the state file trusts ("oidc_issuers": issuer -> public key PEM),
// signed by that issuer's key, unexpired, for the audience the service expects.
#include "workload_tokens.hpp"

#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "context.hpp"
#include "crypto.hpp"

namespace sopskit::kms_emulator {

namespace {

bool has_audience(const nlohmann::json& claims, const std::string& audience) {
    const nlohmann::json aud = claims.value("aud", nlohmann::json());
    if (aud.is_string()) return aud.get<std::string>() == audience;
    if (aud.is_array())
        for (const auto& a : aud)
            if (a.is_string() && a.get<std::string>() == audience) return true;
    return false;
}

}  // namespace

WorkloadTokenCheck verify_workload_token(Context& ctx, const std::string& token, const std::string& audience) {
    WorkloadTokenCheck out;
    auto peek = jwt_peek(token);
    if (!peek) return out.why = "not a JWT", out;
    std::string iss = peek->claims.value("iss", "");
    nlohmann::json issuers = ctx.keys.section("oidc_issuers");
    if (!issuers.is_object() || !issuers.contains(iss) || !issuers[iss].is_string())
        return out.why = "untrusted issuer", out;
    auto jwt = jwt_verify_rs256(token, issuers[iss].get<std::string>());
    if (!jwt) return out.why = "bad signature", out;
    double now = double(now_seconds());
    if (!jwt->claims.contains("exp") || !jwt->claims["exp"].is_number() || jwt->claims["exp"].get<double>() <= now)
        return out.why = "expired", out;
    if (!has_audience(jwt->claims, audience)) return out.why = "audience mismatch", out;
    out.ok = true;
    out.issuer = iss;
    out.subject = jwt->claims.value("sub", "");
    return out;
}

}  // namespace sopskit::kms_emulator
