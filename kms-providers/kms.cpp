// Registration of the five cloud key sources, sops' flag/env recipient syntax, and Flux's
// decryption Secret credential entries.
#include "sopskit/kms.hpp"

#include <nlohmann/json.hpp>

#include "common/codec.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"

namespace sopskit::kms {

namespace {

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t end = s.find(',', start);
        if (end == std::string::npos) end = s.size();
        std::string part = trim(std::string_view(s).substr(start, end - start));
        if (!part.empty()) out.push_back(part);
        start = end + 1;
    }
    return out;
}

// A YAML or JSON document as a flat string map (top-level scalars only).
std::map<std::string, std::string> flat_document(const std::string& text, const char* entry) {
    std::map<std::string, std::string> out;
    Branches docs;
    try {
        docs = load_plain(Format::Yaml, text);
    } catch (const std::exception& e) {
        throw Error(ErrorCode::Generic, std::string("failed to parse '") + entry + "': " + e.what());
    }
    if (docs.empty()) return out;
    for (const auto& item : docs.front()) {
        if (item.is_comment()) continue;
        const Value& v = item.value;
        if (v.kind == Kind::String || v.kind == Kind::Time) out[item.key.text] = v.text;
        else if (v.kind == Kind::Bool) out[item.key.text] = v.boolean ? "true" : "false";
        else if (v.kind == Kind::Int) out[item.key.text] = std::to_string(v.integer);
    }
    return out;
}

// UTF-16 with a BOM (as Windows tools write it) to UTF-8; other text unchanged.
std::string utf8_from_bom_text(const std::string& s) {
    if (s.size() < 2) return s;
    bool le = static_cast<unsigned char>(s[0]) == 0xFF && static_cast<unsigned char>(s[1]) == 0xFE;
    bool be = static_cast<unsigned char>(s[0]) == 0xFE && static_cast<unsigned char>(s[1]) == 0xFF;
    if (!le && !be) {
        if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) return s.substr(3);
        return s;
    }
    std::string out;
    for (std::size_t i = 2; i + 1 < s.size(); i += 2) {
        unsigned cp = le ? (static_cast<unsigned char>(s[i]) | static_cast<unsigned char>(s[i + 1]) << 8)
                         : (static_cast<unsigned char>(s[i]) << 8 | static_cast<unsigned char>(s[i + 1]));
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < s.size()) {
            unsigned lo = le ? (static_cast<unsigned char>(s[i + 2]) | static_cast<unsigned char>(s[i + 3]) << 8)
                             : (static_cast<unsigned char>(s[i + 2]) << 8 | static_cast<unsigned char>(s[i + 3]));
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        }
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) out += static_cast<char>(0xC0 | cp >> 6), out += static_cast<char>(0x80 | (cp & 0x3F));
        else if (cp < 0x10000)
            out += static_cast<char>(0xE0 | cp >> 12), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                out += static_cast<char>(0x80 | (cp & 0x3F));
        else
            out += static_cast<char>(0xF0 | cp >> 18), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

}  // namespace

void add_kms_sources(KeyRing& ring, const KmsSettings& settings) {
    ring.add(make_aws_kms_source(settings));
    ring.add(make_gcp_kms_source(settings));
    ring.add(make_azure_kv_source(settings));
    ring.add(make_vault_transit_source(settings));
    ring.add(make_hckms_source(settings));
}

void add_flux_kms_sources(DecryptionKeys& keys) {
    KmsSettings settings;
    try {
        settings = settings_from_flux_entries(keys.aws_kms, keys.gcp_kms, keys.azure_kv, keys.vault_token, keys.vault_allowlist);
    } catch (const Error& e) {
        // kustomize-controller's shape: "failed to import '<entry>' data from sops decryption Secret '<ns>/<name>': ...".
        std::string what = e.what();
        const std::string head = "failed to import '";
        auto end = what.find("': ");
        if (what.rfind(head, 0) != 0 || end == std::string::npos) throw;
        auto from = keys.credential_secrets.find(what.substr(head.size(), end - head.size()));
        const std::string secret = from == keys.credential_secrets.end() ? "" : from->second;
        throw Error(e.code(), what.substr(0, end) + "' data from sops decryption Secret '" + secret + "': " + what.substr(end + 3));
    }
    add_kms_sources(keys.ring, settings);
}

std::vector<Recipient> kms_recipients(const std::string& arns, const std::string& aws_profile,
                                      const std::string& encryption_context) {
    Value context = Value::empty_map();
    for (const auto& pair : split_commas(encryption_context)) {
        auto colon = pair.find(':');
        if (colon == std::string::npos || pair.find(':', colon + 1) != std::string::npos)
            throw Error(ErrorCode::InvalidKmsEncryptionContext,
                        "Invalid KMS encryption context format: '" + encryption_context + "'");
        context.map.push_back(Item{Value::string(pair.substr(0, colon)), Value::string(pair.substr(colon + 1))});
    }
    std::vector<Recipient> out;
    for (const auto& arn : split_commas(arns)) {
        Value params = Value::empty_map();
        auto plus = arn.find('+');
        params.map.push_back(Item{Value::string("arn"), Value::string(arn.substr(0, plus))});
        if (plus != std::string::npos) params.map.push_back(Item{Value::string("role"), Value::string(arn.substr(plus + 1))});
        if (!context.map.empty()) params.map.push_back(Item{Value::string("context"), context});
        if (!aws_profile.empty()) params.map.push_back(Item{Value::string("aws_profile"), Value::string(aws_profile)});
        out.push_back({"kms", arn, std::move(params)});
    }
    return out;
}

std::vector<Recipient> gcp_kms_recipients(const std::string& ids) {
    std::vector<Recipient> out;
    for (const auto& id : split_commas(ids)) out.push_back({"gcp_kms", id, {}});
    return out;
}

std::vector<Recipient> azure_kv_recipients(const std::string& urls) {
    std::vector<Recipient> out;
    for (const auto& u : split_commas(urls)) out.push_back({"azure_kv", u, {}});
    return out;
}

std::vector<Recipient> hckms_recipients(const std::string& ids) {
    std::vector<Recipient> out;
    for (const auto& id : split_commas(ids)) out.push_back({"hckms", id, {}});
    return out;
}

std::vector<Recipient> vault_recipients(const std::string& uris) {
    std::vector<Recipient> out;
    for (const auto& u : split_commas(uris)) out.push_back({"hc_vault", u, {}});
    return out;
}

KmsSettings settings_from_flux_entries(const std::optional<std::string>& aws_kms,
                                       const std::optional<std::string>& gcp_kms,
                                       const std::optional<std::string>& azure_kv,
                                       const std::optional<std::string>& vault_token,
                                       const std::optional<std::string>& vault_allowlist) {
    KmsSettings s;
    s.isolated = true;
    if (aws_kms) {
        auto m = flat_document(*aws_kms, "sops.aws-kms");
        if (m["aws_access_key_id"].empty() || m["aws_secret_access_key"].empty())
            throw Error(ErrorCode::Generic,
                        "failed to import 'sops.aws-kms': requires 'aws_access_key_id' and 'aws_secret_access_key'");
        s.aws = AwsStaticCredentials{m["aws_access_key_id"], m["aws_secret_access_key"], m["aws_session_token"]};
    }
    if (gcp_kms) {
        std::string j = trim(*gcp_kms);
        if (!nlohmann::json::parse(j, nullptr, false).is_object())
            throw Error(ErrorCode::Generic, "failed to import 'sops.gcp-kms': not a credentials JSON document");
        s.gcp_credentials_json = j;
    }
    if (azure_kv) {
        auto m = flat_document(utf8_from_bom_text(*azure_kv), "sops.azure-kv");
        AzureCredentials a;
        a.authority_host = m["authorityHost"];
        if (!m["tenantId"].empty() && !m["clientId"].empty() && !m["clientSecret"].empty()) {
            a.tenant_id = m["tenantId"], a.client_id = m["clientId"], a.client_secret = m["clientSecret"];
        } else if (!m["tenantId"].empty() && !m["clientId"].empty() && !m["clientCertificate"].empty()) {
            a.tenant_id = m["tenantId"], a.client_id = m["clientId"], a.client_certificate = m["clientCertificate"];
            a.client_certificate_password = m["clientCertificatePassword"];
            a.send_certificate_chain = m["clientCertificateSendChain"] == "true";
        } else if (!m["tenant"].empty() && !m["appId"].empty() && !m["password"].empty()) {
            a.tenant_id = m["tenant"], a.client_id = m["appId"], a.client_secret = m["password"];
        } else if (!m["clientId"].empty()) {
            a.client_id = m["clientId"];  // managed identity with this client ID
        } else {
            throw Error(ErrorCode::Generic,
                        "failed to import 'sops.azure-kv': invalid data: requires a 'clientId' field, a combination of "
                        "'tenantId', 'clientId' and 'clientSecret', or 'tenantId', 'clientId' and 'clientCertificate'");
        }
        s.azure = a;
    }
    if (vault_token) s.vault_token = trim(*vault_token);
    if (vault_allowlist) s.vault_allowlist = *vault_allowlist;
    return s;
}

}  // namespace sopskit::kms
