// The HashiCorp Vault / OpenBao transit master key (`hc_vault` entries).
#include <nlohmann/json.hpp>

#include <regex>

#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "common/env.hpp"
#include "common/http.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "vault/vault.hpp"

namespace sopskit::kms {

namespace vault {

std::optional<KeyUri> parse_key_uri(const std::string& uri) {
    static const std::regex re(R"(^(https?://[^/]+)/v1/(.+)/keys/([^/]+)/?$)");
    std::smatch m;
    if (!std::regex_match(uri, m, re)) return std::nullopt;
    return KeyUri{m[1].str(), m[2].str(), m[3].str()};
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
        out += ": " + one_line(resp.body, 200);
    }
    return out;
}

bool address_allowed(const std::string& allowlist, const std::string& address) {
    if (allowlist.empty() || allowlist == "all") return true;
    if (allowlist == "none") return false;
    std::string addr = address;
    if (addr.back() != '/') addr += '/';
    std::size_t start = 0;
    while (start <= allowlist.size()) {
        std::size_t end = allowlist.find(',', start);
        if (end == std::string::npos) end = allowlist.size();
        std::string prefix = trim(std::string_view(allowlist).substr(start, end - start));
        start = end + 1;
        if (prefix.empty()) continue;
        if (prefix.back() != '/') prefix += '/';
        if (addr.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

}  // namespace vault

namespace {

using nlohmann::json;

class VaultTransitSource final : public KeySource {
public:
    explicit VaultTransitSource(const KmsSettings& s) : env_(env_of(s)), home_(home_of(s)), token_(s.vault_token), isolated_(s.isolated) {
        http_ = http_options_from(env_, env_or(env_, "VAULT_CACERT"));
        http_.max_retries = 2;
        http_.retryable = [](const HttpResponse& r) { return r.status == 412 || (r.status >= 500 && r.status != 501); };
    }

    std::string_view kind() const override { return "hc_vault"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        auto key = vault::parse_key_uri(r.id);
        if (!key) throw Error(ErrorCode::Generic, "invalid Vault transit key URI '" + r.id + "': expected https://host:port/v1/<engine path>/keys/<key name>");
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
        vault::KeyUri key{stored.field("vault_address"), stored.field("engine_path"), stored.field("key_name")};
        const std::string what = "failed to decrypt sops data key from Vault transit backend '" + describe(stored) + "'";
        try {
            json data = call(key, "decrypt", json{{"ciphertext", stored.field("enc")}}.dump(), what);
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
        if (!vault::address_allowed(env_or(env_, "SOPS_HC_VAULT_ALLOWLIST"), key.address))
            throw Error(ErrorCode::Generic, what + ": address " + key.address + " is not allowed by SOPS_HC_VAULT_ALLOWLIST");
        auto tok = token();
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
    bool isolated_;
    HttpOptions http_;
};

}  // namespace

std::unique_ptr<KeySource> make_vault_transit_source(const KmsSettings& settings) {
    return std::make_unique<VaultTransitSource>(settings);
}

}  // namespace sopskit::kms
