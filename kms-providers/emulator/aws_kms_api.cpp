// AWS KMS JSON 1.1 API (TrentService): Encrypt, Decrypt, GenerateDataKey, DescribeKey.
// Ciphertext blob: 0x01 || u16 len || key ARN || AES-256-GCM(nonce||ct||tag). The AAD binds the
// key ARN and the canonical (sorted) encryption context, so a different context fails as
// InvalidCiphertextException and Decrypt works without KeyId.
#include <nlohmann/json.hpp>

#include "aws_auth.hpp"
#include "codec.hpp"
#include "crypto.hpp"
#include "handlers.hpp"

namespace sopskit::kms_emulator {

namespace {

// A fresh request id in AWS' UUID shape.
std::string request_id() {
    std::string h = hex_encode(random_bytes(16));
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

struct KeyRef {
    std::string arn;
    std::string region;
    std::string account;
};

// Splits arn:aws:kms:REGION:ACCOUNT:key/ID; nullopt for anything else.
std::optional<KeyRef> parse_key_arn(const std::string& arn) {
    if (arn.rfind("arn:aws", 0) != 0) return std::nullopt;
    size_t p1 = arn.find(':', 4), p2 = arn.find(':', p1 + 1), p3 = arn.find(':', p2 + 1), p4 = arn.find(':', p3 + 1);
    if (p4 == std::string::npos || arn.substr(p1 + 1, p2 - p1 - 1) != "kms") return std::nullopt;
    std::string resource = arn.substr(p4 + 1);
    if (resource.rfind("key/", 0) != 0 && resource.rfind("alias/", 0) != 0) return std::nullopt;
    return KeyRef{arn, arn.substr(p2 + 1, p3 - p2 - 1), arn.substr(p3 + 1, p4 - p3 - 1)};
}

struct Resolved {
    std::optional<KeyRef> key;
    std::string error_type, error_message;
};

// KeyId forms: key ARN, alias ARN, alias name, bare key id (in the caller's region and account).
Resolved resolve_key(Context& ctx, const std::string& key_id, const AwsAuth& auth) {
    nlohmann::json aliases = ctx.keys.section("aws").value("aliases", nlohmann::json::object());
    std::string id = key_id;
    if (id.rfind("alias/", 0) == 0) id = "arn:aws:kms:" + auth.region + ":" + auth.account + ":" + id;
    if (id.rfind("arn:", 0) != 0) id = "arn:aws:kms:" + auth.region + ":" + auth.account + ":key/" + id;
    auto ref = parse_key_arn(id);
    if (!ref) return {std::nullopt, "NotFoundException", "Invalid keyId '" + key_id + "'"};
    if (ref->region != auth.region) return {std::nullopt, "NotFoundException", "Invalid arn " + ref->region};
    size_t slash = id.find(":alias/");
    if (slash != std::string::npos) {
        std::string name = id.substr(slash + 1);
        auto it = aliases.find(name);
        if (it == aliases.end()) it = aliases.find(id);
        if (it == aliases.end()) return {std::nullopt, "NotFoundException", "Alias " + id + " is not found."};
        auto target = parse_key_arn(it->get<std::string>());
        if (!target) return {std::nullopt, "NotFoundException", "Alias " + id + " is not found."};
        if (target->region != auth.region) return {std::nullopt, "NotFoundException", "Invalid arn " + target->region};
        return {target, "", ""};
    }
    return {ref, "", ""};
}

std::string canonical_context(const nlohmann::json& body, bool& ok) {
    ok = true;
    if (!body.contains("EncryptionContext") || body["EncryptionContext"].is_null()) return "{}";
    const nlohmann::json& c = body["EncryptionContext"];
    if (!c.is_object()) {
        ok = false;
        return {};
    }
    for (const auto& [k, v] : c.items())
        if (!v.is_string()) ok = false;
    return c.dump();  // nlohmann objects are key-sorted: canonical
}

std::string aad_for(const std::string& arn, const std::string& context) { return "aws-kms\n" + arn + "\n" + context; }

std::string seal_blob(const SymmetricKey& key, const std::string& arn, std::string_view pt, const std::string& context) {
    std::string blob(1, '\x01');
    blob += char(arn.size() >> 8);
    blob += char(arn.size() & 0xff);
    blob += arn;
    return blob + aes_gcm_seal(key.versions.back(), pt, aad_for(arn, context));
}

void ok(Response& res, const nlohmann::json& body) {
    res.status = 200;
    res.set_header("X-Amzn-RequestId", request_id());
    res.set_content(body.dump(), "application/x-amz-json-1.1");
}

}  // namespace

void aws_error(Response& res, int status, const std::string& type, const std::string& message) {
    res.status = status;
    res.set_header("X-Amzn-RequestId", request_id());
    res.set_header("X-Amzn-ErrorType", type + ":");
    res.set_content(nlohmann::json{{"__type", type}, {"message", message}}.dump(), "application/x-amz-json-1.1");
}

void aws_kms(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string target = req.get_header_value("X-Amz-Target");
    call.operation = target.rfind("TrentService.", 0) == 0 ? target.substr(13) : target;
    AwsAuth auth = authenticate_aws(ctx, req, "kms");
    switch (auth.failure) {
        case AwsAuthFailure::None: break;
        case AwsAuthFailure::MissingAuthentication: return aws_error(res, 400, "MissingAuthenticationTokenException", auth.message);
        case AwsAuthFailure::IncompleteSignature: return aws_error(res, 400, "IncompleteSignatureException", auth.message);
        case AwsAuthFailure::UnknownAccessKey: return aws_error(res, 400, "UnrecognizedClientException", auth.message);
        case AwsAuthFailure::ExpiredToken: return aws_error(res, 400, "ExpiredTokenException", auth.message);
        case AwsAuthFailure::BadSignature:
        case AwsAuthFailure::SignatureExpired: return aws_error(res, 400, "InvalidSignatureException", auth.message);
    }
    if (req.get_header_value("Content-Type").rfind("application/x-amz-json-1.1", 0) != 0)
        return aws_error(res, 400, "UnknownOperationException", "Unsupported Content-Type.");
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return aws_error(res, 400, "SerializationException", "Start of structure or map found where not expected.");
    bool ctx_ok = true;
    std::string context = canonical_context(body, ctx_ok);
    if (!ctx_ok) return aws_error(res, 400, "ValidationException", "EncryptionContext must be a map of strings.");
    std::string op = call.operation;
    std::string action = "kms:" + op;

    auto use_key = [&](const std::string& key_id, bool create, std::optional<SymmetricKey>& key, std::string& arn) -> bool {
        Resolved r = resolve_key(ctx, key_id, auth);
        if (!r.key) {
            aws_error(res, 400, r.error_type, r.error_message);
            return false;
        }
        arn = r.key->arn;
        call.key = arn;
        key = ctx.keys.symmetric("aws", arn, create && arn.find(":key/") != std::string::npos);
        if (!key) {
            aws_error(res, 400, "NotFoundException", "Key '" + arn + "' does not exist");
            return false;
        }
        if (key->denied) {
            aws_error(res, 400, "AccessDeniedException",
                      "User: " + auth.principal + " is not authorized to perform: " + action + " on resource: " + arn +
                          " because no resource-based policy allows the " + action + " action");
            return false;
        }
        return true;
    };

    if (op == "Encrypt" || op == "GenerateDataKey" || op == "GenerateDataKeyWithoutPlaintext") {
        if (!body.contains("KeyId") || !body["KeyId"].is_string())
            return aws_error(res, 400, "ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
        std::string pt;
        if (op == "Encrypt") {
            auto p = body.contains("Plaintext") && body["Plaintext"].is_string() ? base64_decode(body["Plaintext"].get<std::string>()) : std::nullopt;
            if (!p || p->empty() || p->size() > 4096)
                return aws_error(res, 400, "ValidationException", "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096");
            pt = *p;
        } else {
            size_t n = body.value("NumberOfBytes", 0);
            std::string spec = body.value("KeySpec", "");
            if (spec == "AES_256") n = 32;
            else if (spec == "AES_128") n = 16;
            if (n < 1 || n > 1024) return aws_error(res, 400, "ValidationException", "Please specify either number of bytes or key spec.");
            pt = random_bytes(n);
        }
        std::optional<SymmetricKey> key;
        std::string arn;
        if (!use_key(body["KeyId"].get<std::string>(), true, key, arn)) return;
        nlohmann::json out = {{"CiphertextBlob", base64_encode(seal_blob(*key, arn, pt, context))}, {"KeyId", arn}};
        if (op == "Encrypt") out["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT";
        if (op == "GenerateDataKey") out["Plaintext"] = base64_encode(pt);
        return ok(res, out);
    }

    if (op == "Decrypt") {
        auto blob = body.contains("CiphertextBlob") && body["CiphertextBlob"].is_string() ? base64_decode(body["CiphertextBlob"].get<std::string>()) : std::nullopt;
        if (!blob || blob->empty()) return aws_error(res, 400, "ValidationException", "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1");
        if (blob->size() < 3 || (*blob)[0] != '\x01') return aws_error(res, 400, "InvalidCiphertextException", "");
        size_t len = size_t((unsigned char)(*blob)[1]) << 8 | (unsigned char)(*blob)[2];
        if (blob->size() < 3 + len + 28) return aws_error(res, 400, "InvalidCiphertextException", "");
        std::string blob_arn = blob->substr(3, len);
        std::optional<SymmetricKey> key;
        std::string arn;
        if (body.contains("KeyId") && body["KeyId"].is_string()) {
            Resolved r = resolve_key(ctx, body["KeyId"].get<std::string>(), auth);
            if (!r.key) return aws_error(res, 400, r.error_type, r.error_message);
            if (r.key->arn != blob_arn)
                return aws_error(res, 400, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.");
        }
        if (!use_key(blob_arn, false, key, arn)) return;
        auto pt = aes_gcm_open(key->versions.back(), std::string_view(*blob).substr(3 + len), aad_for(arn, context));
        if (!pt) return aws_error(res, 400, "InvalidCiphertextException", "");
        return ok(res, {{"Plaintext", base64_encode(*pt)}, {"KeyId", arn}, {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}});
    }

    if (op == "DescribeKey") {
        if (!body.contains("KeyId") || !body["KeyId"].is_string())
            return aws_error(res, 400, "ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
        std::optional<SymmetricKey> key;
        std::string arn;
        if (!use_key(body["KeyId"].get<std::string>(), false, key, arn)) return;
        auto ref = parse_key_arn(arn);
        std::string id = arn.substr(arn.find(":key/") + 5);
        return ok(res, {{"KeyMetadata",
                         {{"AWSAccountId", ref->account}, {"KeyId", id}, {"Arn", arn}, {"CreationDate", now_seconds()},
                          {"Enabled", true}, {"Description", ""}, {"KeyUsage", "ENCRYPT_DECRYPT"}, {"KeyState", "Enabled"},
                          {"Origin", "AWS_KMS"}, {"KeyManager", "CUSTOMER"}, {"CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"},
                          {"KeySpec", "SYMMETRIC_DEFAULT"}, {"EncryptionAlgorithms", {"SYMMETRIC_DEFAULT"}}, {"MultiRegion", false}}}});
    }
    aws_error(res, 400, "UnknownOperationException", "");
}

}  // namespace sopskit::kms_emulator
