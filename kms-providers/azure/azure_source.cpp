// The Azure Key Vault master key (`azure_kv` entries): encrypt/decrypt with RSA-OAEP-256,
// challenge-based authentication (the first, unauthenticated request learns tenant and scope).
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <algorithm>
#include <cctype>
#include <string_view>

#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "common/untrusted.hpp"
#include "sopskit/error.hpp"

namespace sopskit::kms {

namespace azure {

namespace {

// Key Vault object names and versions: letters, digits and hyphens (Azure's own rule).
bool is_object_name(std::string_view s, bool may_be_empty) {
    if (s.size() > 127 || (s.empty() && !may_be_empty)) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

// A tenant from a challenge goes into the token URL's path: a GUID or a domain name only.
bool is_tenant(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }) &&
           s.find("..") == std::string_view::npos && s.front() != '.';
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// The name="value" pairs of a challenge, found as a search for [A-Za-z_]+\s*=\s*"[^"]*" would
// find them, in one linear pass. Names are lower-cased.
std::map<std::string, std::string> challenge_params(std::string_view h) {
    std::map<std::string, std::string> params;
    std::size_t i = 0;
    auto is_name_char = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
    while (i < h.size()) {
        if (!is_name_char(h[i])) {
            ++i;
            continue;
        }
        std::size_t name_start = i;
        while (i < h.size() && is_name_char(h[i])) ++i;
        std::size_t name_end = i, j = i;
        while (j < h.size() && is_space(h[j])) ++j;
        if (j >= h.size() || h[j] != '=') continue;
        ++j;
        while (j < h.size() && is_space(h[j])) ++j;
        if (j >= h.size() || h[j] != '"') continue;
        std::size_t close = h.find('"', j + 1);
        if (close == std::string_view::npos) break;
        std::string name(h.substr(name_start, name_end - name_start));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        params[name] = std::string(h.substr(j + 1, close - j - 1));
        i = close + 1;
    }
    return params;
}

}  // namespace

std::optional<KeyRef> parse_key_url(std::string_view url) {
    // sops: ^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$, with the host checked as a DNS name or
    // address (optional port), names as Key Vault allows them, and a length cap.
    constexpr std::string_view scheme = "https://";
    if (url.size() > kMaxKeyUrlLength || url.substr(0, scheme.size()) != scheme) return std::nullopt;
    std::string_view rest = url.substr(scheme.size());
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string host, port;
    if (!split_authority(rest.substr(0, slash), host, port)) return std::nullopt;
    std::string vault_url = std::string(url.substr(0, scheme.size() + slash));
    rest.remove_prefix(slash);
    constexpr std::string_view keys = "/keys/";
    if (rest.substr(0, keys.size()) != keys) return std::nullopt;
    rest.remove_prefix(keys.size());
    std::size_t next = rest.find('/');
    std::string_view name = rest.substr(0, next);
    std::string_view version = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
    if (!is_object_name(name, false) || !is_object_name(version, true)) return std::nullopt;
    return KeyRef{vault_url, std::string(name), std::string(version)};
}

std::optional<Challenge> parse_challenge(const std::string& header) {
    // A real challenge is a few hundred bytes; a huge one is refused unread.
    if (header.size() > kMaxChallengeLength) return std::nullopt;
    auto lower = header.substr(0, 6);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "bearer") return std::nullopt;
    std::map<std::string, std::string> params = challenge_params(header);
    std::string auth = params.count("authorization") ? params["authorization"] : params["authorization_uri"];
    Challenge ch;
    UrlParts a;
    if (!auth.empty() && parse_url(auth, a)) {
        std::string p = a.path;
        while (!p.empty() && p.front() == '/') p.erase(p.begin());
        std::string tenant = p.substr(0, p.find_first_of("/?#"));
        if (is_tenant(tenant)) ch.tenant = tenant;
    }
    std::string resource;
    if (params.count("scope") && !params["scope"].empty()) {
        ch.scope = params["scope"];
        resource = ch.scope.substr(0, ch.scope.rfind("/.default"));
    } else if (params.count("resource") && !params["resource"].empty()) {
        resource = params["resource"];
        while (!resource.empty() && resource.back() == '/') resource.pop_back();
        ch.scope = resource + "/.default";
    } else {
        return std::nullopt;
    }
    UrlParts r;
    ch.resource_host = parse_url(resource, r) ? r.host : resource;
    return ch;
}

bool is_key_vault_host(const std::string& host, const std::string& extra_domains) {
    // Azure's public, China and US Government clouds (vaults and managed HSMs), and the retired
    // German cloud, as the Azure SDKs list them.
    static const char* known[] = {"vault.azure.net",       "vault.azure.cn",       "vault.usgovcloudapi.net",
                                  "vault.microsoftazure.de", "managedhsm.azure.net", "managedhsm.azure.cn",
                                  "managedhsm.usgovcloudapi.net"};
    for (const char* domain : known)
        if (host_matches_resource(host, domain) && host != domain) return true;
    std::size_t start = 0;
    while (start < extra_domains.size()) {
        std::size_t end = extra_domains.find(',', start);
        if (end == std::string::npos) end = extra_domains.size();
        std::string domain = trim(std::string_view(extra_domains).substr(start, end - start));
        start = end + 1;
        while (!domain.empty() && domain.front() == '.') domain.erase(domain.begin());
        if (!domain.empty() && host_matches_resource(host, domain)) return true;
    }
    return false;
}

bool host_matches_resource(const std::string& vault_host, const std::string& resource_host) {
    if (resource_host.empty()) return false;
    if (vault_host == resource_host) return true;
    std::string suffix = "." + resource_host;
    return vault_host.size() > suffix.size() && vault_host.compare(vault_host.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string error_text(const HttpResponse& resp) {
    std::string out = "HTTP " + std::to_string(resp.status);
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_object() && j.contains("error")) {
        const auto& e = j["error"];
        if (e.is_object()) {
            if (e.contains("code") && e["code"].is_string()) out += " " + one_line(e["code"].get<std::string>(), 100);
            if (e.contains("message") && e["message"].is_string()) out += ": " + one_line(e["message"].get<std::string>());
        } else if (e.is_string()) {
            out += " " + one_line(e.get<std::string>(), 100);
            if (j.contains("error_description") && j["error_description"].is_string())
                out += ": " + one_line(j["error_description"].get<std::string>());
        }
    } else if (!resp.body.empty()) {
        out += ": " + one_line(resp.body, kBodyExcerpt);
    }
    return out;
}

}  // namespace azure

namespace {

using nlohmann::json;

class AzureKvSource final : public KeySource {
public:
    explicit AzureKvSource(const KmsSettings& s) : env_(env_of(s)), creds_(s.azure), isolated_(s.isolated) {
        if (s.federated && !s.federated->azure_client_id.empty()) federated_ = s.federated;
        http_ = http_options_from(env_);
    }

    std::string_view kind() const override { return "azure_kv"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        azure::KeyRef key = key_of(r);
        const std::string what = "failed to encrypt sops data key with Azure Key Vault key '" + excerpt(r.id, 200) + "'";
        if (key.version.empty()) {
            json info = call(key.vault_url, "GET", "/keys/" + key.name + "/", "", what);
            std::string kid = info.contains("key") && info["key"].is_object() ? info["key"].value("kid", "") : "";
            if (kid.empty()) throw Error(ErrorCode::Generic, what + ": the vault returned no key id");
            key.version = kid.substr(kid.rfind('/') + 1);
            if (!azure::parse_key_url(key.vault_url + "/keys/" + key.name + "/" + key.version))
                throw Error(ErrorCode::Generic, what + ": the vault returned an invalid key id '" + excerpt(kid, 200) + "'");
        }
        std::string value = b64url_encode(data_key.view());
        std::string payload = json{{"alg", "RSA-OAEP-256"}, {"value", value}}.dump();
        wipe(value);
        json resp = call(key.vault_url, "POST", "/keys/" + key.name + "/" + key.version + "/encrypt", payload, what);
        wipe(payload);
        auto raw = resp.contains("value") && resp["value"].is_string() ? b64url_decode(resp["value"].get<std::string>()) : std::nullopt;
        if (!raw) throw Error(ErrorCode::Generic, what + ": the response has no base64url value");
        StoredKey k{"azure_kv", Value::empty_map()};
        k.set_field("vault_url", Value::string(key.vault_url));
        k.set_field("name", Value::string(key.name));
        k.set_field("version", Value::string(key.version));
        k.set_field("created_at", Value::string(now_rfc3339()));
        k.set_field("enc", Value::string(b64url_encode(*raw)));
        return k;
    }

    UnwrapOutcome unwrap(const StoredKey& k) override {
        const std::string what = "failed to decrypt sops data key with Azure Key Vault key '" + excerpt(describe(k), 200) + "'";
        try {
            std::string vault = k.field("vault_url");
            while (!vault.empty() && vault.back() == '/') vault.pop_back();
            if (vault.rfind("https://", 0) != 0) return UnwrapOutcome::failed(what + ": only https:// vault URLs are supported");
            // The three stored fields must make a valid key URL together, with a version.
            auto key = azure::parse_key_url(vault + "/keys/" + k.field("name") + "/" + k.field("version"));
            if (!key || key->version.empty())
                return UnwrapOutcome::failed(what + ": not a valid Key Vault key (https://<vault>/keys/<name>/<version>)");
            std::string payload = json{{"alg", "RSA-OAEP-256"}, {"value", k.field("enc")}}.dump();
            json resp = call(key->vault_url, "POST", "/keys/" + key->name + "/" + key->version + "/decrypt", payload, what);
            return data_key_from_response(resp, "value", b64url_decode, what);
        } catch (const std::exception& e) {
            return UnwrapOutcome::failed(e.what());
        }
    }

    std::string describe(const StoredKey& k) const override {
        return k.field("vault_url") + "/keys/" + k.field("name") + "/" + k.field("version");
    }
    Recipient recipient_of(const StoredKey& k) const override { return {"azure_kv", describe(k), {}}; }

private:
    static azure::KeyRef key_of(const Recipient& r) {
        const Value* name = r.params.find("key");
        if (name && name->kind == Kind::String) {  // .sops.yaml key_groups form: vaultUrl/key/version
            const Value* version = r.params.find("version");
            const Value* vault_url = r.params.find("vaultUrl");
            std::string vault = vault_url && vault_url->kind == Kind::String ? vault_url->text : r.id;
            while (!vault.empty() && vault.back() == '/') vault.pop_back();
            std::string url = vault + "/keys/" + name->text + (version && version->kind == Kind::String && !version->text.empty() ? "/" + version->text : "");
            if (auto k = azure::parse_key_url(url)) return *k;
            throw Error(ErrorCode::Generic, "invalid Azure Key Vault key '" + excerpt(url, 200) + "': expected https://<vault>/keys/<name>[/<version>]");
        }
        if (auto k = azure::parse_key_url(r.id)) return *k;
        throw Error(ErrorCode::Generic, "invalid Azure Key Vault key URL '" + excerpt(r.id, 200) + "': expected https://<vault>/keys/<name>[/<version>]");
    }

    // Sends one Key Vault request with challenge authentication; returns the JSON reply.
    json call(const std::string& vault, const std::string& method, const std::string& path, const std::string& payload,
              const std::string& what) {
        UrlParts vu;
        if (!parse_url(vault, vu) || vu.scheme != "https") throw Error(ErrorCode::Generic, what + ": only https:// vault URLs are supported");
        // A decryption Secret's credentials (and even the unauthenticated probe) go only to Key
        // Vault's own domains, or to those the operator adds.
        if (isolated_ && !azure::is_key_vault_host(vu.host, env_or(env_, "SOPSKIT_AZURE_KEYVAULT_DOMAINS")))
            throw Error(ErrorCode::Generic, what + ": the vault host " + vu.host +
                                                " is not a Key Vault domain (SOPSKIT_AZURE_KEYVAULT_DOMAINS adds others)");
        std::string url = vault + path + "?api-version=" + azure::kApiVersion;
        try {
            for (int attempt = 0; attempt < 2; ++attempt) {
                std::optional<std::string> token = cached_token(vault);
                HttpRequest req{method, url, {}, ""};
                if (token) {
                    req.headers = {{"Authorization", "Bearer " + *token}, {"Content-Type", "application/json"}};
                    req.body = payload;
                } else if (method == "POST") {
                    req.headers = {{"Content-Type", "application/json"}};  // the unauthenticated probe: no body
                }
                HttpResponse resp = http_send(std::move(req), http_);
                if (resp.status == 401) {
                    auto ch = azure::parse_challenge(resp.header("www-authenticate"));
                    if (!ch) throw std::runtime_error(azure::error_text(resp) + " without a usable WWW-Authenticate challenge");
                    bool skip_check = env_or(env_, "SOPSKIT_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION") == "true";
                    if (!skip_check && !azure::host_matches_resource(vu.host, ch->resource_host))
                        throw std::runtime_error("the challenge resource '" + excerpt(ch->resource_host, 100) +
                                                 "' does not match the vault host '" + vu.host + "'");
                    learn(vault, *ch, /*drop_token=*/token.has_value());
                    continue;
                }
                if (resp.status != 200) throw std::runtime_error(azure::error_text(resp));
                json j = json::parse(resp.body, nullptr, false);
                wipe(resp.body);
                if (!j.is_object()) throw std::runtime_error("HTTP 200 with a body that is not JSON");
                return j;
            }
            throw std::runtime_error("HTTP 401: the vault refused the token");
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {
            throw Error(ErrorCode::Generic, what + ": " + e.what());
        }
    }

    std::optional<std::string> cached_token(const std::string& vault) {
        std::lock_guard lock(mu_);
        auto ch = challenges_.find(vault);
        if (ch == challenges_.end()) return std::nullopt;
        std::string id = ch->second.tenant + "|" + ch->second.scope;
        auto it = tokens_.find(id);
        std::time_t now = std::time(nullptr);
        if (it != tokens_.end() && (it->second.expires == 0 || it->second.expires - 60 > now)) return it->second.access_token;
        azure::Token t = azure::acquire_token(creds_, federated_, env_, isolated_, ch->second.scope, ch->second.tenant, http_);
        tokens_[id] = t;
        return t.access_token;
    }

    void learn(const std::string& vault, const azure::Challenge& ch, bool drop_token) {
        std::lock_guard lock(mu_);
        auto old = challenges_.find(vault);
        if (drop_token && old != challenges_.end()) {
            if (old->second.tenant == ch.tenant && old->second.scope == ch.scope)
                throw std::runtime_error("HTTP 401: the vault refused the token");
            tokens_.erase(old->second.tenant + "|" + old->second.scope);
        }
        challenges_[vault] = ch;
    }

    Env env_;
    std::optional<AzureCredentials> creds_;
    std::optional<FederatedToken> federated_;
    bool isolated_;
    HttpOptions http_;
    std::mutex mu_;
    std::map<std::string, azure::Challenge> challenges_;
    std::map<std::string, azure::Token> tokens_;
};

}  // namespace

std::unique_ptr<KeySource> make_azure_kv_source(const KmsSettings& settings) {
    return std::make_unique<AzureKvSource>(settings);
}

}  // namespace sopskit::kms
