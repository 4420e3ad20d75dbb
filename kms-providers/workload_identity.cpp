// Workload identity for a Flux decryption key set (kustomize-controller's SetAuthOptions with
// fluxcd/pkg/auth): a provider the decryption Secret gives no credential for exchanges the
// service account's token (AWS AssumeRoleWithWebIdentity, GCP STS + impersonation, Azure
// client assertion), or else uses the process's own identity; Vault logs in with the token.
#include <nlohmann/json.hpp>

#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "common/codec.hpp"
#include "common/env.hpp"
#include "common/subprocess.hpp"
#include "common/untrusted.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/secure.hpp"
#include "sopskit/kms.hpp"
#include "vault/vault.hpp"
#include "workload_identity.hpp"

namespace sopskit::kms {

namespace {

constexpr const char* kAwsAudience = "sts.amazonaws.com";
constexpr const char* kAzureAudience = "api://AzureADTokenExchange";
constexpr const char* kRoleArnAnnotation = "eks.amazonaws.com/role-arn";
constexpr const char* kGcpServiceAccountAnnotation = "iam.gke.io/gcp-service-account";
constexpr const char* kGcpProviderAnnotation = "gcp.auth.fluxcd.io/workload-identity-provider";
constexpr const char* kAzureTenantAnnotation = "azure.workload.identity/tenant-id";
constexpr const char* kAzureClientAnnotation = "azure.workload.identity/client-id";

bool all_of(std::string_view s, bool (*ok)(char)) {
    for (char c : s)
        if (!ok(c)) return false;
    return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }
bool is_label(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }
bool no_slash(char c) { return c != '/'; }

bool consume(std::string_view& s, std::string_view prefix) {
    if (s.substr(0, prefix.size()) != prefix) return false;
    s.remove_prefix(prefix.size());
    return true;
}

}  // namespace

namespace workload {

// Flux's patterns, checked by hand (no regex on annotation text):
// ^arn:aws[\w-]*:iam::[0-9]{1,30}:role/.{1,200}$
bool valid_role_arn(std::string_view s) {
    if (!consume(s, "arn:aws")) return false;
    std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || !all_of(s.substr(0, colon), is_word)) return false;
    s.remove_prefix(colon);
    if (!consume(s, ":iam::")) return false;
    colon = s.find(':');
    if (colon == std::string_view::npos || colon < 1 || colon > 30 || !all_of(s.substr(0, colon), is_digit)) return false;
    s.remove_prefix(colon);
    if (!consume(s, ":role/")) return false;
    return !s.empty() && s.size() <= 200 && s.find('\n') == std::string_view::npos;
}

// ^[a-zA-Z0-9-]{1,100}@[a-zA-Z0-9-]{1,100}\.iam\.gserviceaccount\.com$
bool valid_gcp_email(std::string_view s) {
    std::size_t at = s.find('@');
    if (at == std::string_view::npos || at < 1 || at > 100 || !all_of(s.substr(0, at), is_label)) return false;
    s.remove_prefix(at + 1);
    constexpr std::string_view suffix = ".iam.gserviceaccount.com";
    if (s.size() <= suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
    s.remove_suffix(suffix.size());
    return s.size() <= 100 && all_of(s, is_label);
}

// ^projects/\d{1,30}/locations/global/workloadIdentityPools/[^/]{1,100}/providers/[^/]{1,100}$
bool valid_workload_identity_provider(std::string_view s) {
    if (!consume(s, "projects/")) return false;
    std::size_t slash = s.find('/');
    if (slash == std::string_view::npos || slash < 1 || slash > 30 || !all_of(s.substr(0, slash), is_digit)) return false;
    s.remove_prefix(slash);
    if (!consume(s, "/locations/global/workloadIdentityPools/")) return false;
    slash = s.find('/');
    if (slash == std::string_view::npos || slash < 1 || slash > 100) return false;
    s.remove_prefix(slash);
    if (!consume(s, "/providers/")) return false;
    return !s.empty() && s.size() <= 100 && all_of(s, no_slash);
}

// "system:serviceaccount:<ns>:<name>" of a Kubernetes token's sub claim, as <ns>_<name>.
std::string vault_role_from_token(const std::string& jwt) {
    std::size_t a = jwt.find('.'), b = a == std::string::npos ? a : jwt.find('.', a + 1);
    if (b == std::string::npos || jwt.find('.', b + 1) != std::string::npos) throw std::runtime_error("failed to derive Vault role for authentication: not a JWT");
    auto payload = b64url_decode(std::string_view(jwt).substr(a + 1, b - a - 1));
    auto claims = payload ? nlohmann::json::parse(*payload, nullptr, false) : nlohmann::json();
    std::string sub = claims.is_object() && claims.contains("sub") && claims["sub"].is_string() ? claims["sub"].get<std::string>() : "";
    std::string_view rest = sub;
    std::size_t colon = std::string_view::npos;
    if (consume(rest, "system:serviceaccount:")) colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= rest.size() || rest.find(':', colon + 1) != std::string_view::npos)
        throw std::runtime_error("failed to derive Vault role for authentication: unexpected token subject '" + excerpt(sub, 200) + "'");
    return std::string(rest.substr(0, colon)) + "_" + std::string(rest.substr(colon + 1));
}

}  // namespace workload

namespace {

using namespace workload;

std::string annotation(const ServiceAccount& sa, const char* key) {
    auto it = sa.annotations.find(key);
    return it == sa.annotations.end() ? std::string() : it->second;
}

std::string account_name(const ServiceAccount& sa) { return sa.namespace_name + "/" + sa.name; }

// Asks the source for a token and says whose it is when that fails.
std::string token_for(const TokenSource& source, const std::string& audience) {
    if (!source) throw std::runtime_error("no service account token source was given");
    std::string token = trim(source(audience));
    if (token.empty()) throw std::runtime_error("the service account token source gave an empty token");
    return token;
}

void object_level_aws(KmsSettings& s, const ServiceAccount& sa, const TokenSource& source) {
    std::string arn = annotation(sa, kRoleArnAnnotation);
    FederatedToken f;
    f.aws_role_arn = arn.empty() ? std::string("-") : arn;  // checked when first used, as Flux does
    f.token = [source, arn, who = account_name(sa)] {
        if (!valid_role_arn(arn))
            throw std::runtime_error("failed to get provider identity from service account '" + who + "' annotations: invalid " +
                                     kRoleArnAnnotation + " annotation: '" + excerpt(arn, 250) + "'");
        return token_for(source, kAwsAudience);
    };
    f.aws_role_session_name_for_region = [name = sa.name, ns = sa.namespace_name](const std::string& region) {
        return name + "." + ns + "." + region + ".fluxcd.io";
    };
    s.federated = std::move(f);
}

void object_level_gcp(KmsSettings& s, const ServiceAccount& sa, const TokenSource& source) {
    std::string provider = annotation(sa, kGcpProviderAnnotation), email = annotation(sa, kGcpServiceAccountAnnotation);
    bool ok = valid_workload_identity_provider(provider) && (email.empty() || valid_gcp_email(email));
    std::string audience = "//iam.googleapis.com/" + provider;
    nlohmann::json doc = {{"type", "external_account"},
                          {"audience", ok ? audience : std::string()},
                          {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                          {"token_url", "https://sts.googleapis.com/v1/token"},
                          {"universe_domain", "googleapis.com"}};
    if (ok && !email.empty())
        doc["service_account_impersonation_url"] =
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/" + email + ":generateAccessToken";
    FederatedToken f;
    f.gcp_external_account = doc.dump();
    f.token = [source, audience, provider, email, who = account_name(sa)] {
        if (provider.empty())
            throw std::runtime_error("service account '" + who + "' has no " + std::string(kGcpProviderAnnotation) +
                                     " annotation (the GKE metadata server's pool is not read; name the provider)");
        if (!valid_workload_identity_provider(provider))
            throw std::runtime_error("invalid " + std::string(kGcpProviderAnnotation) + " annotation: '" + excerpt(provider, 250) + "'");
        if (!email.empty() && !valid_gcp_email(email))
            throw std::runtime_error("invalid " + std::string(kGcpServiceAccountAnnotation) + " annotation: '" + excerpt(email, 250) + "'");
        return token_for(source, audience);
    };
    s.federated = std::move(f);
}

void object_level_azure(KmsSettings& s, const ServiceAccount& sa, const TokenSource& source) {
    std::string tenant = annotation(sa, kAzureTenantAnnotation), client = annotation(sa, kAzureClientAnnotation);
    FederatedToken f;
    f.azure_tenant_id = tenant.empty() ? std::string("-") : tenant;
    f.azure_client_id = client.empty() ? std::string("-") : client;
    f.token = [source, tenant, client] {
        if (tenant.empty()) throw std::runtime_error(std::string("azure tenant ID is not set in the service account annotation ") + kAzureTenantAnnotation);
        if (client.empty()) throw std::runtime_error(std::string("azure client ID is not set in the service account annotation ") + kAzureClientAnnotation);
        return token_for(source, kAzureAudience);
    };
    s.federated = std::move(f);
}

// Vault logins, one per address for the life of the key set (as Flux keeps them).
struct VaultLogins {
    std::mutex mu;
    std::map<std::string, std::string> tokens;
    ~VaultLogins() {
        for (auto& [address, token] : tokens) wipe(token);
    }
};

}  // namespace

void add_flux_kms_sources(DecryptionKeys& keys, const WorkloadIdentity& identity) {
    KmsSettings base = settings_from_flux_entries(keys.aws_kms, keys.gcp_kms, keys.azure_kv, keys.vault_token, keys.vault_allowlist);
    base.env = identity.env;
    base.home = identity.home;
    const auto& sa = identity.service_account;
    // A provider without a Secret credential: the service account's (object level), else the
    // process's own (controller level), else none.
    KmsSettings aws = base, gcp = base, azure = base, vault = base;
    if (!base.aws) {
        if (sa) object_level_aws(aws, *sa, identity.token);
        else if (identity.process_identity) aws.isolated = false;
    }
    if (!base.gcp_credentials_json) {
        if (sa) object_level_gcp(gcp, *sa, identity.token);
        else if (identity.process_identity) gcp.isolated = false;
    }
    if (!base.azure) {
        if (sa) object_level_azure(azure, *sa, identity.token);
        else if (identity.process_identity) azure.isolated = false;
    }
    if (!base.vault_token && !identity.vault_login_paths.empty()) {
        // The login map is also the list of servers the token may go to (Flux's ConfigMap).
        auto logins = std::make_shared<VaultLogins>();
        Env env = env_of(base);
        vault.vault_login = [logins, paths = identity.vault_login_paths, source = identity.token, env](const std::string& address) {
            std::lock_guard lock(logins->mu);
            if (auto it = logins->tokens.find(address); it != logins->tokens.end()) return it->second;
            auto path = paths.find(address);
            if (path == paths.end() || path->second.empty())
                throw std::runtime_error("no Vault login path configured for address '" + excerpt(address, 200) + "'");
            std::string jwt;
            try {
                jwt = token_for(source, address);
            } catch (const std::exception& e) {
                throw std::runtime_error(std::string("failed to issue Kubernetes token for Vault authentication: ") + e.what());
            }
            std::string token = vault::kubernetes_login(env, address, path->second, vault_role_from_token(jwt), jwt);
            wipe(jwt);
            return logins->tokens[address] = token;
        };
    }
    keys.ring.add(make_aws_kms_source(aws));
    keys.ring.add(make_gcp_kms_source(gcp));
    keys.ring.add(make_azure_kv_source(azure));
    keys.ring.add(make_vault_transit_source(vault));
    keys.ring.add(make_hckms_source(base));
}

TokenSource token_source_from_file(const std::string& path) {
    return [path](const std::string&) {
        auto text = read_text_file(path);
        if (!text) throw std::runtime_error("cannot read the service account token file " + path);
        std::string token = trim(*text);
        wipe(*text);
        return token;
    };
}

TokenSource token_source_from_command(std::vector<std::string> argv) {
    if (argv.empty()) throw Error(ErrorCode::Generic, "the service account token command is empty");
    return [argv = std::move(argv)](const std::string& audience) {
        std::vector<std::string> args = argv;
        for (auto& a : args)
            for (std::size_t at = a.find("{audience}"); at != std::string::npos; at = a.find("{audience}", at + audience.size()))
                a.replace(at, 10, audience);
        ProgramResult r = run_program(args, {{"SOPSKIT_TOKEN_AUDIENCE", audience}}, 30000);
        if (r.timed_out) throw std::runtime_error("the service account token command " + argv[0] + " took longer than 30 s");
        if (r.exit_code != 0)  // its output is not shown: it may hold a token
            throw std::runtime_error("the service account token command " + argv[0] + " failed (exit code " + std::to_string(r.exit_code) + ")");
        std::string token = trim(r.out);
        wipe(r.out);
        return token;
    };
}

ServiceAccount service_account_from_manifest(std::string_view yaml) {
    Branches docs = load_plain(Format::Yaml, yaml);
    if (docs.empty()) throw Error(ErrorCode::Generic, "the ServiceAccount manifest is empty");
    Value root = Value::empty_map();
    root.map = docs.front();
    const Value* kind = root.find("kind");
    if (!kind || kind->text != "ServiceAccount") throw Error(ErrorCode::Generic, "the service account manifest is not a ServiceAccount");
    ServiceAccount sa;
    if (const Value* md = root.find("metadata"); md && md->kind == Kind::Map) {
        if (const Value* ns = md->find("namespace")) sa.namespace_name = ns->text;
        if (const Value* name = md->find("name")) sa.name = name->text;
        if (const Value* ann = md->find("annotations"); ann && ann->kind == Kind::Map)
            for (const auto& item : ann->map)
                if (!item.is_comment() && item.value.kind == Kind::String) sa.annotations[item.key.text] = item.value.text;
    }
    if (sa.name.empty() || sa.namespace_name.empty())
        throw Error(ErrorCode::Generic, "the ServiceAccount manifest needs metadata.name and metadata.namespace");
    return sa;
}

std::map<std::string, std::string> vault_login_paths_from(std::string_view yaml) {
    Branches docs = load_plain(Format::Yaml, yaml);
    if (docs.empty()) throw Error(ErrorCode::Generic, "the Vault login configuration is empty");
    Value root = Value::empty_map();
    root.map = docs.front();
    if (const Value* kind = root.find("kind"); kind && kind->text == "ConfigMap") {
        const Value* data = root.find("data");
        const Value* config = data && data->kind == Kind::Map ? data->find("config.yaml") : nullptr;
        if (!config || config->kind != Kind::String) throw Error(ErrorCode::Generic, "Vault ConfigMap is missing the 'config.yaml' key");
        return vault_login_paths_from(config->text);
    }
    std::map<std::string, std::string> out;
    const Value* instances = root.find("instances");
    if (instances && instances->kind == Kind::List)
        for (const auto& item : instances->list) {
            if (item.kind != Kind::Map) continue;
            const Value* address = item.find("address");
            const Value* path = item.find("loginPath");
            if (address && path) out[address->text] = path->text;
        }
    return out;
}

}  // namespace sopskit::kms
