// The AWS KMS master key (`kms` entries): Encrypt/Decrypt over the JSON 1.1 protocol, SigV4,
// optional STS role, encryption context.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "aws/aws.hpp"
#include "common/codec.hpp"
#include "common/data_key.hpp"
#include "common/untrusted.hpp"
#include "sopskit/error.hpp"

namespace sopskit::kms {

namespace {

using nlohmann::json;

std::string param(const Value& params, const char* name) {
    const Value* v = params.find(name);
    return v && v->kind == Kind::String ? v->text : std::string();
}

// The context as a string map; sops drops a context with any non-string value.
std::map<std::string, std::string> context_of(const Value* v) {
    std::map<std::string, std::string> out;
    if (!v || v->kind != Kind::Map) return out;
    for (const auto& item : v->map) {
        if (item.is_comment()) continue;
        if (item.value.kind != Kind::String) return {};
        out[item.key.text] = item.value.text;
    }
    return out;
}

Value context_value(const std::map<std::string, std::string>& ctx) {
    Value m = Value::empty_map();
    for (const auto& [k, v] : ctx) m.map.push_back(Item{Value::string(k), Value::string(v)});
    return m;
}

// A stored role travels only in the STS request body; still bounded and free of control bytes.
bool valid_role_arn(const std::string& role) {
    return role.size() <= aws::kMaxArnLength &&
           std::all_of(role.begin(), role.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

class AwsKmsSource final : public KeySource {
public:
    explicit AwsKmsSource(const KmsSettings& s) {
        ctx_.env = env_of(s);
        ctx_.home = home_of(s);
        ctx_.isolated = s.isolated;
        ctx_.static_keys = s.aws;
        if (s.federated && !s.federated->aws_role_arn.empty()) ctx_.federated = s.federated;
        ctx_.http = http_options_from(ctx_.env, env_or(ctx_.env, "AWS_CA_BUNDLE"));
        if (auto attempts = ctx_.env("AWS_MAX_ATTEMPTS")) {  // total tries, as the SDK counts them
            try {
                ctx_.http.max_retries = std::max(0, std::stoi(*attempts) - 1);
            } catch (...) {
            }
        }
    }

    std::string_view kind() const override { return "kms"; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        std::string arn = r.id, role = param(r.params, "role");
        if (auto plus = arn.find('+'); plus != std::string::npos) {
            if (role.empty()) role = arn.substr(plus + 1);
            arn = arn.substr(0, plus);
        }
        if (const Value* a = r.params.find("arn"); a && a->kind == Kind::String && !a->text.empty()) arn = a->text;
        std::string profile = param(r.params, "aws_profile");
        auto context = context_of(r.params.find("context"));
        json body = json::object();
        body["KeyId"] = arn;
        std::string plain_b64 = b64_encode(data_key.view());
        body["Plaintext"] = plain_b64;
        wipe(plain_b64);
        body["EncryptionContext"] = context;
        std::string payload = body.dump();
        body.clear();
        json resp = call(arn, role, profile, "TrentService.Encrypt", payload, "encrypt");
        wipe(payload);
        if (!resp.contains("CiphertextBlob") || !resp["CiphertextBlob"].is_string())
            throw Error(ErrorCode::Generic, "failed to encrypt sops data key with AWS KMS key " + excerpt(arn, 200) + ": response has no CiphertextBlob");
        StoredKey k{"kms", Value::empty_map()};
        k.set_field("arn", Value::string(arn));
        if (!role.empty()) k.set_field("role", Value::string(role));
        if (!context.empty()) k.set_field("context", context_value(context));
        k.set_field("created_at", Value::string(now_rfc3339()));
        k.set_field("enc", Value::string(resp["CiphertextBlob"].get<std::string>()));
        k.set_field("aws_profile", Value::string(profile));
        return k;
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string arn = key.field("arn");
        try {
            json body = json::object();
            body["CiphertextBlob"] = key.field("enc");
            body["KeyId"] = arn;
            body["EncryptionContext"] = context_of(key.fields.find("context"));
            json resp = call(arn, key.field("role"), key.field("aws_profile"), "TrentService.Decrypt", body.dump(), "decrypt");
            return data_key_from_response(resp, "Plaintext", b64_decode, "failed to decrypt sops data key with AWS KMS key " + excerpt(arn, 200));
        } catch (const std::exception& e) {
            return UnwrapOutcome::failed(e.what());
        }
    }

    std::string describe(const StoredKey& key) const override {
        std::string role = key.field("role");
        return role.empty() ? key.field("arn") : key.field("arn") + "+" + role;
    }

    Recipient recipient_of(const StoredKey& key) const override {
        Value params = Value::empty_map();
        if (!key.field("role").empty()) params.map.push_back(Item{Value::string("role"), Value::string(key.field("role"))});
        if (const Value* c = key.fields.find("context"); c && c->kind == Kind::Map)
            params.map.push_back(Item{Value::string("context"), *c});
        if (!key.field("aws_profile").empty())
            params.map.push_back(Item{Value::string("aws_profile"), Value::string(key.field("aws_profile"))});
        return {"kms", describe(key), params};
    }

private:
    json call(const std::string& arn, const std::string& role, const std::string& profile, const std::string& target,
              const std::string& payload, const char* verb) {
        const std::string what = std::string("failed to ") + verb + " sops data key with AWS KMS key " + excerpt(arn, 200);
        auto parsed = aws::parse_kms_arn(arn);
        if (!parsed) throw Error(ErrorCode::Generic, what + ": no valid ARN found in '" + excerpt(arn, 200) + "'");
        if (!valid_role_arn(role)) throw Error(ErrorCode::Generic, what + ": invalid role ARN '" + excerpt(role, 200) + "'");
        const std::string* region = &parsed->region;
        aws::Creds creds;
        try {
            creds = credentials(profile, role, *region);
        } catch (const std::exception& e) {
            throw Error(ErrorCode::Generic, what + ": " + e.what());
        }
        HttpResponse resp;
        try {
            resp = aws::signed_post(ctx_, aws::service_endpoint(ctx_.env, "kms", *region), *region, "kms", creds,
                                    {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}}, payload, true);
        } catch (const std::exception& e) {
            throw Error(ErrorCode::Generic, what + ": " + e.what());
        }
        if (resp.status != 200) throw Error(ErrorCode::Generic, what + ": " + aws::parse_json_error(resp).text());
        json j = json::parse(resp.body, nullptr, false);
        wipe(resp.body);
        if (!j.is_object()) throw Error(ErrorCode::Generic, what + ": HTTP 200 with a body that is not JSON");
        return j;
    }

    aws::Creds credentials(const std::string& profile, const std::string& role, const std::string& region) {
        std::lock_guard lock(mu_);
        std::string id = profile + "\n" + role + "\n" + (role.empty() ? std::string() : region);
        auto fresh = [](const aws::Creds& c) { return c.expires == 0 || c.expires - 300 > std::time(nullptr); };
        if (auto it = cache_.find(id); it != cache_.end() && fresh(it->second)) return it->second;
        std::string base_id = profile + "\n\n";
        aws::Creds base;
        if (auto it = cache_.find(base_id); it != cache_.end() && fresh(it->second)) {
            base = it->second;
        } else {
            base = aws::resolve_credentials(ctx_, profile, region);
            cache_[base_id] = base;
        }
        if (role.empty()) return base;
        aws::Creds assumed = aws::assume_role(ctx_, base, role, region, aws::role_session_name(hostname()));
        cache_[id] = assumed;
        return assumed;
    }

    static std::string hostname() {
        char buf[256] = {0};
        if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
        return buf;
    }

    aws::Context ctx_;
    std::mutex mu_;
    std::map<std::string, aws::Creds> cache_;
};

}  // namespace

std::unique_ptr<KeySource> make_aws_kms_source(const KmsSettings& settings) {
    return std::make_unique<AwsKmsSource>(settings);
}

}  // namespace sopskit::kms
