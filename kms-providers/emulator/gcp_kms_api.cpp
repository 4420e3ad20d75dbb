// Google Cloud KMS REST v1: cryptoKeys encrypt/decrypt with Bearer tokens.
// Ciphertext: 4-byte big-endian key version || AES-256-GCM(nonce||ct||tag); the AAD binds the
// key name and the caller's additionalAuthenticatedData.
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "crypto.hpp"
#include "handlers.hpp"

namespace sopskit::kms_emulator {

namespace {

const char* status_name(int status) {
    switch (status) {
        case 400: return "INVALID_ARGUMENT";
        case 401: return "UNAUTHENTICATED";
        case 403: return "PERMISSION_DENIED";
        case 404: return "NOT_FOUND";
        case 409: return "ABORTED";
        case 429: return "RESOURCE_EXHAUSTED";
        case 501: return "UNIMPLEMENTED";
        case 503: return "UNAVAILABLE";
        case 504: return "DEADLINE_EXCEEDED";
        default: return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
    }
}

}  // namespace

bool gcp_authenticated(Context& ctx, const Request& req) {
    std::string token = bearer_token(req);
    if (token.empty()) return false;
    if (auto t = ctx.tokens.find(token)) return t->service == "gcp";
    nlohmann::json gcp = ctx.keys.section("gcp");
    for (const auto& s : gcp.value("static_tokens", nlohmann::json::array()))
        if (s == token) return true;
    auto peek = jwt_peek(token);
    if (!peek) return false;
    std::string iss = peek->claims.value("iss", "");
    nlohmann::json sa = gcp.value("service_accounts", nlohmann::json::object());
    if (!sa.contains(iss)) return false;
    auto jwt = jwt_verify_rs256(token, sa[iss].value("public_key_pem", ""));
    if (!jwt || !jwt->claims.contains("exp") || !jwt->claims["exp"].is_number()) return false;
    return jwt->claims["exp"].get<double>() > double(now_seconds());
}

namespace {

std::string be32(unsigned v) {
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string aad_for(const std::string& name, const std::string& user_aad) { return "gcp-kms\n" + name + "\n" + user_aad; }

// Optional base64 bytes field; false when present but malformed.
bool bytes_field(const nlohmann::json& body, const char* field, std::string& out) {
    if (!body.contains(field) || body[field].is_null()) return true;
    if (!body[field].is_string()) return false;
    auto v = base64_decode(body[field].get<std::string>());
    if (!v) return false;
    out = *v;
    return true;
}

// Optional int64 CRC field (JSON string or number); nullopt when absent.
std::optional<unsigned long long> crc_field(const nlohmann::json& body, const char* field) {
    if (!body.contains(field) || body[field].is_null()) return std::nullopt;
    if (body[field].is_number()) return body[field].get<unsigned long long>();
    try {
        return std::stoull(body[field].get<std::string>());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

void gcp_error(Response& res, int status, const std::string& message) {
    res.status = status;
    if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"");
    nlohmann::json body = {{"error", {{"code", status}, {"message", message}, {"status", status_name(status)}}}};
    res.set_content(body.dump(), "application/json; charset=UTF-8");
}

void gcp_kms(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string name = req.matches[1];
    std::string version_text = req.matches[3];
    std::string op = req.matches[4];
    call.operation = op;
    call.key = name;
    if (!gcp_authenticated(ctx, req))
        return gcp_error(res, 401,
                         "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                         "other valid authentication credential.");
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return gcp_error(res, 400, "Invalid JSON payload received.");
    std::string aad;
    if (!bytes_field(body, "additionalAuthenticatedData", aad)) return gcp_error(res, 400, "Invalid value at 'additional_authenticated_data'");
    bool enum_int = req.get_param_value("$alt").find("enum-encoding=int") != std::string::npos;
    nlohmann::json protection = enum_int ? nlohmann::json(1) : nlohmann::json("SOFTWARE");

    if (op == "encrypt") {
        std::string pt;
        if (!body.contains("plaintext") || !bytes_field(body, "plaintext", pt)) return gcp_error(res, 400, "Invalid value at 'plaintext'");
        if (pt.size() > 64 * 1024) return gcp_error(res, 400, "The plaintext must be at most 65536 bytes.");
        auto key = ctx.keys.symmetric("gcp", name, true);
        if (!key) return gcp_error(res, 404, "CryptoKey " + name + " not found.");
        if (key->denied)
            return gcp_error(res, 403, "Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource '" + name + "' (or it may not exist).");
        auto pt_crc = crc_field(body, "plaintextCrc32c");
        auto aad_crc = crc_field(body, "additionalAuthenticatedDataCrc32c");
        if (pt_crc && *pt_crc != crc32c(pt)) return gcp_error(res, 400, "The checksum in field plaintext_crc32c did not match the data in field plaintext.");
        if (aad_crc && *aad_crc != crc32c(aad))
            return gcp_error(res, 400, "The checksum in field additional_authenticated_data_crc32c did not match the data in field additional_authenticated_data.");
        unsigned version = unsigned(key->versions.size());
        if (!version_text.empty()) version = unsigned(std::stoul(version_text));
        if (version == 0 || version > key->versions.size()) return gcp_error(res, 404, "CryptoKeyVersion not found.");
        std::string ct = be32(version) + aes_gcm_seal(key->versions[version - 1], pt, aad_for(name, aad));
        nlohmann::json out = {{"name", name + "/cryptoKeyVersions/" + std::to_string(version)},
                              {"ciphertext", base64_encode(ct)},
                              {"ciphertextCrc32c", std::to_string(crc32c(ct))},
                              {"verifiedPlaintextCrc32c", pt_crc.has_value()},
                              {"verifiedAdditionalAuthenticatedDataCrc32c", aad_crc.has_value()},
                              {"protectionLevel", protection}};
        res.status = 200;
        return res.set_content(out.dump(), "application/json; charset=UTF-8");
    }

    if (!version_text.empty()) return gcp_error(res, 400, "Decrypt must name a CryptoKey, not a CryptoKeyVersion.");
    std::string ct;
    if (!body.contains("ciphertext") || !bytes_field(body, "ciphertext", ct)) return gcp_error(res, 400, "Invalid value at 'ciphertext'");
    auto ct_crc = crc_field(body, "ciphertextCrc32c");
    if (ct_crc && *ct_crc != crc32c(ct)) return gcp_error(res, 400, "The checksum in field ciphertext_crc32c did not match the data in field ciphertext.");
    auto key = ctx.keys.symmetric("gcp", name, false);
    if (!key) return gcp_error(res, 404, "CryptoKey " + name + " not found.");
    if (key->denied)
        return gcp_error(res, 403, "Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied on resource '" + name + "' (or it may not exist).");
    if (ct.size() < 4) return gcp_error(res, 400, "Decryption failed: the ciphertext is invalid.");
    unsigned version = (unsigned char)ct[0] << 24 | (unsigned char)ct[1] << 16 | (unsigned char)ct[2] << 8 | (unsigned char)ct[3];
    if (version == 0 || version > key->versions.size()) return gcp_error(res, 400, "Decryption failed: the ciphertext is invalid.");
    auto pt = aes_gcm_open(key->versions[version - 1], std::string_view(ct).substr(4), aad_for(name, aad));
    if (!pt) return gcp_error(res, 400, "Decryption failed: verify that 'name' refers to the correct CryptoKey.");
    nlohmann::json out = {{"plaintext", base64_encode(*pt)},
                          {"plaintextCrc32c", std::to_string(crc32c(*pt))},
                          {"usedPrimary", version == key->versions.size()},
                          {"protectionLevel", protection}};
    res.status = 200;
    res.set_content(out.dump(), "application/json; charset=UTF-8");
}

}  // namespace sopskit::kms_emulator
