// The Azure Key Vault master key (`azure_kv` entries): encrypt/decrypt with RSA-OAEP-256,
// challenge-based authentication (the first, unauthenticated request learns tenant and scope).
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <regex>

#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "sopskit/error.hpp"

namespace sopskit::kms {

namespace azure {

std::optional<KeyRef> parse_key_url(const std::string& url) {
    static const std::regex re(R"(^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$)");
    std::smatch m;
    if (!std::regex_match(url, m, re)) return std::nullopt;
    std::string version = m[3].str();
    if (!version.empty()) version = version.substr(1);
    return KeyRef{m[1].str(), m[2].str(), version};
}

std::optional<Challenge> parse_challenge(const std::string& header) {
    auto lower = header;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("bearer", 0) != 0) return std::nullopt;
    std::map<std::string, std::string> params;
    static const std::regex kv(R"re(([A-Za-z_]+)\s*=\s*"([^"]*)")re");
    for (std::sregex_iterator it(header.begin(), header.end(), kv), end; it != end; ++it) {
        std::string k = (*it)[1].str();
        for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        params[k] = (*it)[2].str();
    }
    std::string auth = params.count("authorization") ? params["authorization"] : params["authorization_uri"];
    Challenge ch;
    UrlParts a;
    if (!auth.empty() && parse_url(auth, a)) {
        std::string p = a.path;
        while (!p.empty() && p.front() == '/') p.erase(p.begin());
        ch.tenant = p.substr(0, p.find('/'));
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
            if (e.contains("code") && e["code"].is_string()) out += " " + e["code"].get<std::string>();
            if (e.contains("message") && e["message"].is_string()) out += ": " + one_line(e["message"].get<std::string>());
        } else if (e.is_string()) {
            out += " " + e.get<std::string>();
            if (j.contains("error_description") && j["error_description"].is_string())
                out += ": " + one_line(j["error_description"].get<std::string>());
        }
    } else if (!resp.body.empty()) {
        out += ": " + one_line(resp.body, 200);
    }
    return out;
}

}  // namespace azure

namespace {

using nlohmann::json;

class AzureKvSource final : public KeySource {
public:
    explicit AzureKvSource(const KmsSettings& s) : env_(env_of(s)), creds_(s.azure), isolated_(s.isolated) {
        http_ = http_options_from(env_);
    }

    std::string_view kind() const override { return "azure_kv"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        azure::KeyRef key = key_of(r);
        const std::string what = "failed to encrypt sops data key with Azure Key Vault key '" + r.id + "'";
        if (key.version.empty()) {
            json info = call(key.vault_url, "GET", "/keys/" + key.name + "/", "", what);
            std::string kid = info.contains("key") && info["key"].is_object() ? info["key"].value("kid", "") : "";
            if (kid.empty()) throw Error(ErrorCode::Generic, what + ": the vault returned no key id");
            key.version = kid.substr(kid.rfind('/') + 1);
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
        const std::string what = "failed to decrypt sops data key with Azure Key Vault key '" + describe(k) + "'";
        try {
            std::string vault = k.field("vault_url");
            while (!vault.empty() && vault.back() == '/') vault.pop_back();
            if (vault.rfind("https://", 0) != 0) return UnwrapOutcome::failed(what + ": only https:// vault URLs are supported");
            std::string payload = json{{"alg", "RSA-OAEP-256"}, {"value", k.field("enc")}}.dump();
            json resp = call(vault, "POST", "/keys/" + k.field("name") + "/" + k.field("version") + "/decrypt", payload, what);
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
            throw Error(ErrorCode::Generic, "invalid Azure Key Vault key '" + url + "': expected https://<vault>/keys/<name>[/<version>]");
        }
        if (auto k = azure::parse_key_url(r.id)) return *k;
        throw Error(ErrorCode::Generic, "invalid Azure Key Vault key URL '" + r.id + "': expected https://<vault>/keys/<name>[/<version>]");
    }

    // Sends one Key Vault request with challenge authentication; returns the JSON reply.
    json call(const std::string& vault, const std::string& method, const std::string& path, const std::string& payload,
              const std::string& what) {
        UrlParts vu;
        if (!parse_url(vault, vu) || vu.scheme != "https") throw Error(ErrorCode::Generic, what + ": only https:// vault URLs are supported");
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
                        throw std::runtime_error("the challenge resource '" + ch->resource_host + "' does not match the vault host '" +
                                                 vu.host + "'");
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
        azure::Token t = azure::acquire_token(creds_, env_, isolated_, ch->second.scope, ch->second.tenant, http_);
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
