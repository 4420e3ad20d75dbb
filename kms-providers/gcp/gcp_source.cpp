// The GCP Cloud KMS master key (`gcp_kms` entries): REST v1 :encrypt / :decrypt.
#include <nlohmann/json.hpp>

#include <mutex>
#include <cctype>
#include <string_view>

#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "common/untrusted.hpp"
#include "gcp/gcp.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"

namespace sopskit::kms {

namespace gcp {

bool valid_resource_id(std::string_view id) {
    // sops: ^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$. The id becomes
    // the request path, so each name is narrowed to what GCP allows in it (letters, digits,
    // - _ . and the ':' of domain-scoped projects), never "." or "..", and the whole is capped.
    if (id.size() > kMaxResourceIdLength) return false;
    static constexpr std::string_view collections[] = {"projects", "locations", "keyRings", "cryptoKeys"};
    for (std::size_t i = 0; i < std::size(collections); ++i) {
        std::size_t slash = id.find('/');
        if (slash == std::string_view::npos || id.substr(0, slash) != collections[i]) return false;
        id.remove_prefix(slash + 1);
        std::size_t end = id.find('/');
        std::string_view name = id.substr(0, end);
        bool last = i + 1 == std::size(collections);
        if (last != (end == std::string_view::npos)) return false;
        if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
        for (char c : name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != ':') return false;
        if (!last) id.remove_prefix(end + 1);
    }
    return true;
}

std::string endpoint(const Env& env) {
    std::string e = env_or(env, "SOPS_GCP_KMS_ENDPOINT");
    if (e.empty()) {
        if (auto u = env("SOPS_GCP_KMS_UNIVERSE_DOMAIN")) return "https://cloudkms." + *u;
        return "https://cloudkms.googleapis.com";
    }
    return endpoint_url(std::move(e));
}

std::string endpoint_url(std::string e) {
    if (e.find("://") == std::string::npos) {
        if (e.size() > 4 && e.compare(e.size() - 4, 4, ":443") == 0) e.resize(e.size() - 4);
        e = "https://" + e;
    }
    while (!e.empty() && e.back() == '/') e.pop_back();
    return e;
}

std::string error_text(const HttpResponse& resp) {
    std::string out = "HTTP " + std::to_string(resp.status);
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        const auto& e = j["error"];
        if (e.contains("status") && e["status"].is_string()) out += " " + one_line(e["status"].get<std::string>(), 100);
        if (e.contains("message") && e["message"].is_string()) out += ": " + one_line(e["message"].get<std::string>());
    } else if (!resp.body.empty()) {
        out += ": " + one_line(resp.body, kBodyExcerpt);
    }
    return out;
}

}  // namespace gcp

namespace {

using nlohmann::json;

class GcpKmsSource final : public KeySource {
public:
    explicit GcpKmsSource(const KmsSettings& s, std::string scope = gcp::kScope)
        : env_(env_of(s)), home_(home_of(s)), creds_json_(s.gcp_credentials_json), isolated_(s.isolated), scope_(std::move(scope)) {
        if (s.federated && s.federated->gcp_external_account) federated_ = s.federated;
        http_ = http_options_from(env_);
    }

    // The chain's token, for another Google API (a GCS upload) asked with this source's scope.
    std::string bearer_token() { return access_token(); }

    std::string_view kind() const override { return "gcp_kms"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        const std::string& id = r.id;
        const std::string what = "failed to encrypt sops data key with GCP KMS key " + excerpt(id, 200);
        std::string b64 = b64_encode(data_key.view());
        json body = {{"name", id}, {"plaintext", b64}};
        wipe(b64);
        std::string payload = body.dump();
        body.clear();
        json resp = call(id, "encrypt", payload, what);
        wipe(payload);
        if (!resp.contains("ciphertext") || !resp["ciphertext"].is_string())
            throw Error(ErrorCode::Generic, what + ": response has no ciphertext");
        auto raw = b64url_decode(resp["ciphertext"].get<std::string>());
        if (!raw) throw Error(ErrorCode::Generic, what + ": ciphertext is not base64");
        StoredKey k{"gcp_kms", Value::empty_map()};
        k.set_field("resource_id", Value::string(id));
        k.set_field("created_at", Value::string(now_rfc3339()));
        k.set_field("enc", Value::string(b64_encode(*raw)));
        return k;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string id = key.field("resource_id");
        const std::string what = "failed to decrypt sops data key with GCP KMS key " + excerpt(id, 200);
        try {
            json resp = call(id, "decrypt", json{{"name", id}, {"ciphertext", key.field("enc")}}.dump(), what);
            return data_key_from_response(resp, "plaintext", b64url_decode, what);
        } catch (const std::exception& e) {
            return UnwrapOutcome::failed(e.what());
        }
    }

    std::string describe(const StoredKey& key) const override { return key.field("resource_id"); }
    Recipient recipient_of(const StoredKey& key) const override { return {"gcp_kms", key.field("resource_id"), {}}; }

private:
    std::string access_token() {
        std::lock_guard lock(mu_);
        std::time_t now = std::time(nullptr);
        if (!token_.access_token.empty() && (token_.expires == 0 || token_.expires - 60 > now)) return token_.access_token;
        // A tenant's document (isolated) may not make us read files, fetch URLs or run programs.
        gcp::LocalSources local{!isolated_, env_};
        auto from_json = [&](const std::string& text) { token_ = gcp::token_from_credentials_json(text, http_, now, local, scope_); };
        if (federated_) {
            auto config = json::parse(*federated_->gcp_external_account, nullptr, false);
            if (!config.is_object() || config.value("type", "") != "external_account")
                throw std::runtime_error("the federated GCP configuration is not an external_account JSON document");
            if (!federated_->token) throw std::runtime_error("external_account: no token provider was given");
            std::string subject = federated_->token();
            if (subject.empty()) throw std::runtime_error("external_account: the token provider handed an empty token");
            token_ = gcp::token_from_external_account(config, subject, http_, now);
            wipe(subject);
        } else if (creds_json_) {
            from_json(*creds_json_);
        } else if (isolated_) {
            throw std::runtime_error("no Google credentials were given (sops.gcp-kms)");
        } else if (auto gc = env_("GOOGLE_CREDENTIALS")) {
            auto file = read_text_file(*gc);
            from_json(file ? *file : *gc);
        } else if (auto tok = env_("GOOGLE_OAUTH_ACCESS_TOKEN")) {
            token_ = {*tok, 0};
        } else if (auto path = env_("GOOGLE_APPLICATION_CREDENTIALS")) {
            auto file = read_text_file(*path);
            if (!file) throw std::runtime_error("cannot read GOOGLE_APPLICATION_CREDENTIALS file " + *path);
            from_json(*file);
        } else {
            std::string dir = env_or(env_, "CLOUDSDK_CONFIG", home_.empty() ? "" : home_ + "/.config/gcloud");
            auto adc = dir.empty() ? std::nullopt : read_text_file(dir + "/application_default_credentials.json");
            if (adc) {
                from_json(*adc);
            } else if (auto t = gcp::token_from_metadata(env_, http_)) {
                token_ = *t;
            } else {
                throw std::runtime_error("no Google credentials found (GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, "
                                         "GOOGLE_APPLICATION_CREDENTIALS, gcloud application default credentials, metadata server)");
            }
        }
        return token_.access_token;
    }

    json call(const std::string& id, const char* op, const std::string& payload, const std::string& what) {
        if (!gcp::valid_resource_id(id)) throw Error(ErrorCode::Generic, what + ": no valid resource ID found in '" + excerpt(id, 200) + "'");
        HttpResponse resp;
        // A 401 with a token we minted ourselves: refresh it once and resend.
        for (int attempt = 0; attempt < 2; ++attempt) {
            bool refreshable = false;
            try {
                std::string token = access_token();
                {
                    std::lock_guard lock(mu_);
                    refreshable = token_.expires != 0;
                }
                HttpRequest req{"POST", gcp::endpoint(env_) + "/v1/" + id + ":" + op,
                                {{"Authorization", "Bearer " + token},
                                 {"Content-Type", "application/json"},
                                 {"x-goog-request-params", "name=" + url_encode(id)}},
                                payload};
                wipe(token);
                resp = http_send(std::move(req), http_);
            } catch (const std::exception& e) {
                throw Error(ErrorCode::Generic, what + ": " + e.what());
            }
            if (resp.status != 401) break;
            std::lock_guard lock(mu_);
            token_ = {};
            if (!refreshable) break;
        }
        if (resp.status != 200) throw Error(ErrorCode::Generic, what + ": " + gcp::error_text(resp));
        json j = json::parse(resp.body, nullptr, false);
        wipe(resp.body);
        if (!j.is_object()) throw Error(ErrorCode::Generic, what + ": HTTP 200 with a body that is not JSON");
        return j;
    }

    Env env_;
    std::string home_;
    std::optional<std::string> creds_json_;
    std::optional<FederatedToken> federated_;
    bool isolated_;
    std::string scope_;
    HttpOptions http_;
    std::mutex mu_;
    gcp::Token token_;
};

}  // namespace

std::string gcp::access_token(const KmsSettings& settings, const std::string& scope) {
    return GcpKmsSource(settings, scope).bearer_token();
}

std::unique_ptr<KeySource> make_gcp_kms_source(const KmsSettings& settings) {
    return std::make_unique<GcpKmsSource>(settings);
}

}  // namespace sopskit::kms
