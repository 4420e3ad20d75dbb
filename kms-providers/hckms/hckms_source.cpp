// The HuaweiCloud KMS master key (`hckms` entries): EncryptData / DecryptData of the KMS v1.0
// API (POST /v1.0/{project_id}/kms/encrypt-data | decrypt-data), signed with SDK-HMAC-SHA256.
// As in sops, the KMS encrypts the base64 text of the data key, and hands that text back.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <mutex>

#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "common/untrusted.hpp"
#include "hckms/hckms.hpp"
#include "sopskit/error.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/kms/sdk_hmac.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/kms/sigv4.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::kms {

namespace {

using nlohmann::json;

// A project id goes into the request path: letters and digits only (HuaweiCloud's are 32 hex).
bool valid_project_id(const std::string& p) {
    return !p.empty() && p.size() <= 64 && std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isalnum(c); });
}

class HckmsSource final : public KeySource {
public:
    explicit HckmsSource(const KmsSettings& s) : env_(env_of(s)), home_(home_of(s)), isolated_(s.isolated) {
        http_ = http_options_from(env_);
    }

    std::string_view kind() const override { return "hckms"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        const std::string what = "failed to encrypt sops data key with HuaweiCloud KMS key " + excerpt(r.id, 200);
        hckms::KeyId id = key_id(r.id, what);
        std::string b64 = b64_encode(data_key.view());
        json body = {{"key_id", id.key_uuid}, {"plain_text", b64}, {"encryption_algorithm", "SYMMETRIC_DEFAULT"}};
        wipe(b64);
        std::string payload = body.dump();
        body.clear();
        json resp = call(id, "encrypt-data", payload, what);
        wipe(payload);
        if (!resp.contains("cipher_text") || !resp["cipher_text"].is_string() || resp["cipher_text"].get_ref<const std::string&>().empty())
            throw Error(ErrorCode::Generic, what + ": encryption response missing ciphertext");
        StoredKey k{"hckms", Value::empty_map()};
        k.set_field("key_id", Value::string(r.id));
        k.set_field("created_at", Value::string(now_rfc3339()));
        k.set_field("enc", Value::string(resp["cipher_text"].get<std::string>()));
        return k;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string raw = key.field("key_id");
        const std::string what = "failed to decrypt sops data key with HuaweiCloud KMS key " + excerpt(raw, 200);
        try {
            hckms::KeyId id = key_id(raw, what);
            json body = {{"cipher_text", key.field("enc")}, {"encryption_algorithm", "SYMMETRIC_DEFAULT"}, {"key_id", id.key_uuid}};
            json resp = call(id, "decrypt-data", body.dump(), what);
            return data_key_from_response(resp, "plain_text", b64_decode, what);
        } catch (const std::exception& e) {
            return UnwrapOutcome::failed(e.what());
        }
    }

    std::string describe(const StoredKey& key) const override { return key.field("key_id"); }
    Recipient recipient_of(const StoredKey& key) const override { return {"hckms", key.field("key_id"), {}}; }

private:
    static hckms::KeyId key_id(const std::string& raw, const std::string& what) {
        auto id = hckms::parse_key_id(raw);
        if (!id)
            throw Error(ErrorCode::Generic, what + ": invalid key ID, expected 'region:key-uuid' (a region such as tr-west-1 "
                                                   "and the key's UUID)");
        return *id;
    }

    // The SDK's basic chain: environment, the credentials file, then the ECS metadata service
    // (temporary keys, kept until a minute before they end).
    hckms::Credentials credentials() {
        if (isolated_) throw std::runtime_error("no HuaweiCloud credentials were given to this key set");
        if (auto c = hckms::credentials_from_env(env_)) return *c;
        std::string file = env_or(env_, "HUAWEICLOUD_SDK_CREDENTIALS_FILE", home_.empty() ? "" : home_ + "/.huaweicloud/credentials");
        if (!file.empty()) {
            if (auto text = read_text_file(file)) {
                auto c = hckms::credentials_from_ini(*text);
                wipe(*text);
                if (c) {
                    c->source = file;
                    return *c;
                }
            }
        }
        std::lock_guard lock(mu_);
        std::time_t now = std::time(nullptr);
        if (!metadata_ || metadata_->expires - 60 <= now) metadata_ = hckms::credentials_from_metadata(env_, http_, now);
        if (metadata_) return *metadata_;
        throw std::runtime_error("no HuaweiCloud credentials found (HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, the [basic] "
                                 "section of ~/.huaweicloud/credentials, or the ECS metadata service)");
    }

    // Signs (again before every try: X-Sdk-Date must stay inside the gateway's window) and sends.
    HttpResponse send_signed(const hckms::Credentials& creds, const std::string& method, const std::string& base,
                             const std::string& path, const std::string& query, const std::string& project_header,
                             const std::string& body) {
        UrlParts url;
        if (!parse_url(base, url) || (url.path != "" && url.path != "/"))
            throw std::runtime_error("invalid HuaweiCloud endpoint '" + excerpt(base, 200) + "'");
        std::string host = url.authority();
        HttpRequest req{method, url.scheme + "://" + host + path + (query.empty() ? "" : "?" + query), {}, body};
        return http_send(std::move(req), http_, [&](HttpRequest& r) {
            sdk_hmac::Request s;
            s.method = method;
            s.path = path;
            s.query = query;
            s.headers.push_back({"Host", host});
            if (!r.body.empty()) s.headers.push_back({"Content-Type", "application/json;charset=UTF-8"});
            if (!project_header.empty()) s.headers.push_back({"X-Project-Id", project_header});
            if (!creds.security_token.empty()) s.headers.push_back({"X-Security-Token", creds.security_token});
            s.body = r.body;
            sdk_hmac::sign(s, creds.access_key, creds.secret_key, sigv4::amz_date_now() /* the same basic ISO 8601 form */);
            r.headers.clear();
            for (const auto& h : s.headers) r.headers.emplace_back(h.name, h.value);
        });
    }

    // As the SDK does without a configured project id: the one IAM project named after the region
    // (KeystoneListProjects), remembered per access key and region.
    std::string project_id(const hckms::Credentials& creds, const std::string& region) {
        if (!creds.project_id.empty()) {
            if (!valid_project_id(creds.project_id)) throw std::runtime_error("the HuaweiCloud project id is not letters and digits");
            return creds.project_id;
        }
        std::string cache_key = creds.access_key + "\n" + region;
        {
            std::lock_guard lock(mu_);
            if (auto it = projects_.find(cache_key); it != projects_.end()) return it->second;
        }
        std::string base = hckms::iam_endpoint(env_, creds.iam_endpoint, region);
        HttpResponse resp = send_signed(creds, "GET", base, "/v3/projects", "name=" + url_encode(region), "", "");
        if (resp.status != 200)
            throw std::runtime_error("failed to get the project id of region '" + region + "' from IAM: " + hckms::error_text(resp));
        std::string id = hckms::project_id_from_answer(resp.body, region);
        std::lock_guard lock(mu_);
        projects_[cache_key] = id;
        return id;
    }

    json call(const hckms::KeyId& id, const char* op, const std::string& payload, const std::string& what) {
        HttpResponse resp;
        try {
            auto base = hckms::endpoint(env_, id.region);
            if (!base)
                throw std::runtime_error("region '" + excerpt(id.region, 64) + "' is not a HuaweiCloud KMS region (set HUAWEICLOUD_SDK_REGION_KMS_" +
                                         "<REGION> to its endpoint)");
            hckms::Credentials creds = credentials();
            std::string project = project_id(creds, id.region);
            resp = send_signed(creds, "POST", *base, "/v1.0/" + project + "/kms/" + op, "", project, payload);
            wipe(creds.secret_key);
        } catch (const std::exception& e) {
            throw Error(ErrorCode::Generic, what + ": " + e.what());
        }
        if (resp.status != 200) throw Error(ErrorCode::Generic, what + ": " + hckms::error_text(resp));
        json j = json::parse(resp.body, nullptr, false);
        wipe(resp.body);
        if (!j.is_object()) throw Error(ErrorCode::Generic, what + ": HTTP 200 with a body that is not JSON");
        return j;
    }

    Env env_;
    std::string home_;
    bool isolated_;
    HttpOptions http_;
    std::mutex mu_;
    std::map<std::string, std::string> projects_;  // "AK\nregion" -> project id
    std::optional<hckms::Credentials> metadata_;    // the metadata service's temporary keys
};

}  // namespace

std::unique_ptr<KeySource> make_hckms_source(const KmsSettings& settings) { return std::make_unique<HckmsSource>(settings); }

}  // namespace sopskit::kms
