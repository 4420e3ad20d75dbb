// The HashiCorp Vault / OpenBao transit master key (`hc_vault` entries).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "common/env.hpp"
#include "common/http.hpp"
#include "common/untrusted.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "vault/vault.hpp"

namespace sopskit::kms {

namespace vault {

namespace {

// A path segment of an engine mount or a key name: letters, digits and - _ . + @ ~, never
// "." or ".." (it is pasted into the request path).
bool is_path_segment(std::string_view s) {
    if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+' || c == '@' || c == '~';
    });
}

}  // namespace

std::optional<KeyUri> parse_key_uri(std::string_view uri) {
    // sops: ^(https?://[^/]+)/v1/(.+)/keys/([^/]+)/?$, with the host[:port] checked, the engine
    // path and key name made of plain segments, and a length cap.
    if (uri.size() > kMaxKeyUriLength) return std::nullopt;
    std::size_t scheme_end = uri.rfind("https://", 0) == 0 ? 8 : uri.rfind("http://", 0) == 0 ? 7 : 0;
    if (scheme_end == 0) return std::nullopt;
    std::string_view rest = uri.substr(scheme_end);
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string host, port;
    if (!split_authority(rest.substr(0, slash), host, port)) return std::nullopt;
    KeyUri out;
    out.address = std::string(uri.substr(0, scheme_end + slash));
    rest.remove_prefix(slash);
    if (rest.substr(0, 4) != "/v1/") return std::nullopt;
    rest.remove_prefix(4);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    std::size_t last = rest.rfind('/');
    if (last == std::string_view::npos) return std::nullopt;
    std::string_view name = rest.substr(last + 1);
    rest = rest.substr(0, last);
    if (rest.size() < 6 || rest.substr(rest.size() - 5) != "/keys") return std::nullopt;
    std::string_view engine = rest.substr(0, rest.size() - 5);
    if (!is_path_segment(name)) return std::nullopt;
    for (std::string_view e = engine;;) {
        std::size_t sep = e.find('/');
        if (!is_path_segment(e.substr(0, sep))) return std::nullopt;
        if (sep == std::string_view::npos) break;
        e.remove_prefix(sep + 1);
    }
    out.engine_path = std::string(engine);
    out.key_name = std::string(name);
    return out;
}

std::string error_text(const HttpResponse& resp) {
    std::string out = "HTTP " + std::to_string(resp.status);
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
        std::string msgs;
        for (const auto& e : j["errors"])
            if (e.is_string()) msgs += (msgs.empty() ? "" : "; ") + e.get<std::string>();
        if (!msgs.empty()) out += ": " + one_line(msgs);
    } else if (!resp.body.empty()) {
        out += ": " + one_line(resp.body, kBodyExcerpt);
    }
    return out;
}

namespace {

// The address with one trailing slash, so that "https://a:8200" never matches "https://a:82".
std::string with_slash(std::string s) {
    if (s.empty() || s.back() != '/') s += '/';
    return s;
}

bool matches_prefix_list(const std::string& list, const std::string& address) {
    std::string addr = with_slash(address);
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find_first_of(",\n", start);
        if (end == std::string::npos) end = list.size();
        std::string prefix = trim(std::string_view(list).substr(start, end - start));
        start = end + 1;
        // Only absolute URL prefixes count (the keywords all/none are handled by the callers).
        if (prefix.rfind("https://", 0) != 0 && prefix.rfind("http://", 0) != 0) continue;
        if (addr.rfind(with_slash(prefix), 0) == 0) return true;
    }
    return false;
}

}  // namespace

bool address_allowed(const std::string& allowlist, const std::string& address) {
    if (allowlist.empty() || allowlist == "all") return true;
    if (allowlist == "none") return false;
    return matches_prefix_list(allowlist, address);
}

std::optional<std::string> tenant_address_refusal(const std::optional<std::string>& operator_allowlist,
                                                  const std::optional<std::string>& tenant_allowlist,
                                                  const std::string& address) {
    std::string op = operator_allowlist ? trim(*operator_allowlist) : std::string();
    if (op == "none") return "SOPS_HC_VAULT_ALLOWLIST is none";
    if (matches_prefix_list(op, address)) return std::nullopt;
    if (tenant_allowlist && matches_prefix_list(*tenant_allowlist, address)) return std::nullopt;
    // The operator's explicit "all" opens every https address, never plain http.
    if (op == "all" && address.rfind("https://", 0) == 0) return std::nullopt;
    return "it is not named in the decryption Secret's sops.vault-allowlist nor in the operator's "
           "SOPS_HC_VAULT_ALLOWLIST (plain http:// only when named with http://)";
}

std::string kubernetes_login(const Env& env, const std::string& address, const std::string& login_path,
                             const std::string& role, const std::string& jwt) {
    std::string where = "Vault '" + address + "' at login path '" + excerpt(login_path, 200) + "' as role '" + excerpt(role, 200) + "'";
    bool plain = !login_path.empty() && login_path.size() <= 512;
    std::size_t start = 0;
    while (plain && start <= login_path.size()) {
        std::size_t end = login_path.find('/', start);
        if (end == std::string::npos) end = login_path.size();
        std::string_view seg(login_path.data() + start, end - start);
        plain = !seg.empty() && seg != "." && seg != "..";
        for (char c : seg) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
        start = end + 1;
    }
    if (!plain) throw std::runtime_error("invalid login path for " + where);
    HttpOptions http = http_options_from(env, env_or(env, "VAULT_CACERT"));
    http.max_retries = 2;
    std::string base = address;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string body = nlohmann::json{{"role", role}, {"jwt", jwt}}.dump();
    HttpRequest req{"PUT", base + "/v1/" + login_path,
                    {{"X-Vault-Request", "true"}, {"Content-Type", "application/json"}}, body};
    wipe(body);
    if (auto ns = env("VAULT_NAMESPACE")) req.headers.emplace_back("X-Vault-Namespace", *ns);
    HttpResponse resp = http_send(std::move(req), http);
    if (resp.status != 200) throw std::runtime_error("failed to authenticate with " + where + ": " + error_text(resp));
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    wipe(resp.body);
    if (!j.is_object() || !j.contains("auth") || !j["auth"].is_object() || !j["auth"].contains("client_token") ||
        !j["auth"]["client_token"].is_string() || j["auth"]["client_token"].get<std::string>().empty())
        throw std::runtime_error(where + " returned no token");
    return j["auth"]["client_token"].get<std::string>();
}

}  // namespace vault

namespace {

using nlohmann::json;

class VaultTransitSource final : public KeySource {
public:
    explicit VaultTransitSource(const KmsSettings& s)
        : env_(env_of(s)), home_(home_of(s)), token_(s.vault_token), tenant_allowlist_(s.vault_allowlist), isolated_(s.isolated), login_(s.vault_login) {
        http_ = http_options_from(env_, env_or(env_, "VAULT_CACERT"));
        http_.max_retries = 2;
        http_.retryable = [](const HttpResponse& r) { return r.status == 412 || (r.status >= 500 && r.status != 501); };
    }

    std::string_view kind() const override { return "hc_vault"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        auto key = vault::parse_key_uri(r.id);
        if (!key) throw Error(ErrorCode::Generic, "invalid Vault transit key URI '" + excerpt(r.id, 200) + "': expected https://host:port/v1/<engine path>/keys/<key name>");
        std::string plain_b64 = b64_encode(data_key.view());
        json body = {{"plaintext", plain_b64}};
        wipe(plain_b64);
        std::string payload = body.dump();
        body.clear();
        json data = call(*key, "encrypt", payload, "failed to encrypt sops data key to Vault transit backend '" + r.id + "'");
        wipe(payload);
        if (!data.contains("ciphertext") || !data["ciphertext"].is_string())
            throw Error(ErrorCode::Generic, "failed to encrypt sops data key to Vault transit backend '" + r.id + "': no ciphertext in the response");
        StoredKey k{"hc_vault", Value::empty_map()};
        k.set_field("vault_address", Value::string(key->address));
        k.set_field("engine_path", Value::string(key->engine_path));
        k.set_field("key_name", Value::string(key->key_name));
        k.set_field("created_at", Value::string(now_rfc3339()));
        k.set_field("enc", Value::string(data["ciphertext"].get<std::string>()));
        return k;
    }

    UnwrapOutcome unwrap(const StoredKey& stored) override {
        const std::string what = "failed to decrypt sops data key from Vault transit backend '" + excerpt(describe(stored), 200) + "'";
        // The three stored fields must make a valid key URI together; no other shape is sent.
        auto key = vault::parse_key_uri(describe(stored));
        if (!key || key->address != stored.field("vault_address") || key->engine_path != stored.field("engine_path") ||
            key->key_name != stored.field("key_name"))
            return UnwrapOutcome::failed(what + ": not a valid Vault transit key (https://host[:port]/v1/<engine path>/keys/<key name>)");
        try {
            json data = call(*key, "decrypt", json{{"ciphertext", stored.field("enc")}}.dump(), what);
            return data_key_from_response(data, "plaintext", b64_decode, what);
        } catch (const std::exception& e) {
            return UnwrapOutcome::failed(e.what());
        }
    }

    std::string describe(const StoredKey& k) const override {
        return k.field("vault_address") + "/v1/" + k.field("engine_path") + "/keys/" + k.field("key_name");
    }
    Recipient recipient_of(const StoredKey& k) const override { return {"hc_vault", describe(k), {}}; }

private:
    std::optional<std::string> token() const {
        if (token_ && !token_->empty()) return token_;
        if (isolated_) return std::nullopt;
        if (auto t = env_("VAULT_TOKEN")) return trim(*t);
        if (!home_.empty())
            if (auto t = read_text_file(home_ + "/.vault-token"); t && !trim(*t).empty()) return trim(*t);
        return std::nullopt;
    }

    json call(const vault::KeyUri& key, const char* op, const std::string& payload, const std::string& what) {
        bool login = !(token_ && !token_->empty()) && static_cast<bool>(login_);
        if (login) {
            // Kubernetes login: the login map is the list of servers (login_ refuses others).
        } else if (isolated_) {
            // A decryption Secret's token goes only where the Secret or the operator allows.
            if (auto why = vault::tenant_address_refusal(env_("SOPS_HC_VAULT_ALLOWLIST"), tenant_allowlist_, key.address))
                throw Error(ErrorCode::Generic, what + ": address " + key.address + " is not allowed: " + *why);
        } else if (!vault::address_allowed(env_or(env_, "SOPS_HC_VAULT_ALLOWLIST"), key.address)) {
            throw Error(ErrorCode::Generic, what + ": address " + key.address + " is not allowed by SOPS_HC_VAULT_ALLOWLIST");
        }
        std::optional<std::string> tok;
        if (login) {
            try {
                tok = login_(key.address);
            } catch (const std::exception& e) {
                throw Error(ErrorCode::Generic, what + ": " + e.what());
            }
        } else {
            tok = token();
        }
        if (!tok) throw Error(ErrorCode::Generic, what + ": no Vault token (VAULT_TOKEN, ~/.vault-token)");
        std::string address = env_or(env_, "VAULT_AGENT_ADDR", key.address);
        while (!address.empty() && address.back() == '/') address.pop_back();
        HttpRequest req;
        req.method = "PUT";
        req.url = address + "/v1/" + key.engine_path + "/" + op + "/" + key.key_name;
        req.headers = {{"X-Vault-Token", *tok}, {"X-Vault-Request", "true"}, {"Content-Type", "application/json"}};
        if (auto ns = env_("VAULT_NAMESPACE")) req.headers.emplace_back("X-Vault-Namespace", *ns);
        req.body = payload;
        HttpResponse resp;
        try {
            resp = http_send(std::move(req), http_);
        } catch (const std::exception& e) {
            throw Error(ErrorCode::Generic, what + ": " + e.what());
        }
        if (resp.status != 200) throw Error(ErrorCode::Generic, what + ": " + vault::error_text(resp));
        json j = json::parse(resp.body, nullptr, false);
        wipe(resp.body);
        if (!j.is_object() || !j.contains("data") || !j["data"].is_object())
            throw Error(ErrorCode::Generic, what + ": transit backend is empty");
        return j["data"];
    }

    Env env_;
    std::string home_;
    std::optional<std::string> token_;
    std::optional<std::string> tenant_allowlist_;
    bool isolated_;
    std::function<std::string(const std::string&)> login_;
    HttpOptions http_;
};

}  // namespace

std::unique_ptr<KeySource> make_vault_transit_source(const KmsSettings& settings) {
    return std::make_unique<VaultTransitSource>(settings);
}

}  // namespace sopskit::kms
