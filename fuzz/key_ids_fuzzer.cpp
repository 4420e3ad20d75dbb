// Key identifiers from a SOPS file's metadata (written by whoever can commit): every parser
// that reads one, fed arbitrary strings of any length (scripts/fuzz.sh runs this target without
// the usual input cap, since length was the crash: std::regex recursed per character).
// Byte 0 picks which field the rest goes to; each is also driven through the provider's unwrap
// (no network: the transport hook answers 403). Properties checked, beyond "no crash":
//  - an accepted ARN's region yields an endpoint whose host is kms.<region>.<suffix>;
//  - an accepted Vault URI or Azure key URL names a host that parse_url reads back the same;
//  - excerpt() never lets a control character through.
#include <cstdlib>
#include <string>

#include "aws/aws.hpp"
#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/http.hpp"
#include "common/untrusted.hpp"
#include "fuzz_support.hpp"
#include "gcp/gcp.hpp"
#include "sopskit/age.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/pgp_keys.hpp"
#include "vault/vault.hpp"

using namespace sopskit;
namespace kms = sopskit::kms;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

kms::KmsSettings isolated_settings() {
    kms::KmsSettings s;
    s.env = [](const std::string& n) -> std::optional<std::string> {
        if (n == "SOPS_HC_VAULT_ALLOWLIST") return "all";
        return std::nullopt;
    };
    s.home = "/nonexistent";
    s.isolated = true;
    s.aws = kms::AwsStaticCredentials{"AKIDFUZZ", "fuzz-secret", ""};
    s.gcp_credentials_json = R"({"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r","token_uri":"https://oauth2.test/token"})";
    s.azure = kms::AzureCredentials{"tenant", "client", "secret", "", "", "https://login.test/"};
    s.vault_token = "hvs.fuzz";
    return s;
}

StoredKey stored(const std::string& kind, std::vector<std::pair<std::string, std::string>> fields) {
    StoredKey k{kind, Value::empty_map()};
    for (auto& [name, value] : fields) k.set_field(name, Value::string(value));
    return k;
}

void no_control_chars(const std::string& s) {
    for (unsigned char c : s) check(c >= 0x20 && c != 0x7f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const bool once = [] {
        kms::set_http_transport([](const kms::HttpRequest&) {
            kms::HttpResponse r;
            r.status = 403;
            r.body = "{}";
            return r;
        });
        return true;
    }();
    (void)once;
    const std::string text(fuzz::text_of(data + 1, size - 1));
    no_control_chars(kms::excerpt(text, 64));
    no_control_chars(kms::one_line(text, 64));

    switch (data[0] % 8) {
        case 0: {  // AWS KMS ARN
            if (auto arn = kms::aws::parse_kms_arn(text)) {
                std::string endpoint = kms::aws::service_endpoint(
                    [](const std::string&) -> std::optional<std::string> { return std::nullopt; }, "kms", arn->region);
                kms::UrlParts u;
                check(kms::parse_url(endpoint, u) && u.scheme == "https" && u.port.empty() && u.path.empty());
                check(u.host == "kms." + arn->region + "." + kms::aws::dns_suffix_for_region(arn->region));
            }
            try {
                (void)kms::aws::service_endpoint([](const std::string&) -> std::optional<std::string> { return std::nullopt; },
                                                 "sts", text);
            } catch (const kms::TransportError&) {
            }
            auto src = kms::make_aws_kms_source(isolated_settings());
            (void)src->unwrap(stored("kms", {{"arn", text}, {"enc", "AQID"}}));
            (void)src->unwrap(stored("kms", {{"arn", "arn:aws:kms:us-east-1:1:key/k"}, {"role", text}, {"enc", "AQID"}}));
            break;
        }
        case 1: {  // GCP resource id
            (void)kms::gcp::valid_resource_id(text);
            (void)kms::make_gcp_kms_source(isolated_settings())->unwrap(stored("gcp_kms", {{"resource_id", text}, {"enc", "AQID"}}));
            break;
        }
        case 2: {  // Azure key URL
            if (auto key = kms::azure::parse_key_url(text)) {
                kms::UrlParts u;
                check(kms::parse_url(key->vault_url, u) && u.scheme == "https" && u.path.empty());
                check(key->vault_url == "https://" + u.authority());
            }
            auto src = kms::make_azure_kv_source(isolated_settings());
            (void)src->unwrap(stored("azure_kv", {{"vault_url", text}, {"name", "k"}, {"version", "1"}, {"enc", "AQID"}}));
            (void)src->unwrap(stored("azure_kv", {{"vault_url", "https://v.vault.azure.net"}, {"name", text}, {"version", text}, {"enc", "AQID"}}));
            break;
        }
        case 3:  // Azure challenge (a server's header)
            (void)kms::azure::parse_challenge(text);
            break;
        case 4: {  // Vault transit URI
            if (auto key = kms::vault::parse_key_uri(text)) {
                kms::UrlParts u;
                check(kms::parse_url(key->address, u) && u.path.empty() && (u.scheme == "https" || u.scheme == "http"));
                check(key->address == u.scheme + "://" + u.authority());
                check(kms::vault::parse_key_uri(key->address + "/v1/" + key->engine_path + "/keys/" + key->key_name).has_value());
            }
            (void)kms::vault::tenant_address_refusal(text, text, "https://vault.example.com:8200");
            auto src = kms::make_vault_transit_source(isolated_settings());
            (void)src->unwrap(stored("hc_vault", {{"vault_address", text}, {"engine_path", "transit"}, {"key_name", "k"}, {"enc", "v"}}));
            (void)src->unwrap(stored("hc_vault", {{"vault_address", "https://v:8200"}, {"engine_path", text}, {"key_name", text}, {"enc", "v"}}));
            break;
        }
        case 5:  // age recipient
            (void)age::is_valid_recipient(text);
            (void)age::recipients_from_string(text);
            break;
        case 6:  // PGP fingerprint
            (void)normalize_fingerprint(text);
            break;
        default: {  // host grammar pieces
            std::string host, port;
            (void)kms::split_authority(text, host, port);
            (void)kms::is_url_host(text);
            break;
        }
    }
    return 0;
}
