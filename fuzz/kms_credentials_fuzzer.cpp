// Credential documents and answers of the SDK credential chains: the AWS config file's
// sso-session sections, the SSO token cache, GetRoleCredentials and credential_process JSON,
// Google credential files (external_account, impersonated_service_account) with the token
// endpoints' answers served from the input, the googleapis.com URL check, and `az`'s JSON.
// These parsers refuse with TransportError / std::runtime_error (their documented refusal);
// anything else escaping, a crash or a sanitizer report is a bug.
//
// Input: byte 0 picks the case; for case 6 the rest is "document NUL answer-body" (the body of
// every token endpoint's answer).
#include <stdexcept>
#include <string>

#include "aws/aws.hpp"
#include "azure/azure.hpp"
#include "common/http.hpp"
#include "fuzz_support.hpp"
#include "gcp/gcp.hpp"

using namespace sopskit;
namespace kms = sopskit::kms;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string text(fuzz::text_of(data + 1, size - 1));
    const std::time_t now = 1'700'000'000;
    try {
        switch (data[0] % 7) {
            case 0:
                (void)kms::aws::parse_sso_sessions(text);
                (void)kms::aws::has_sso_configuration(kms::aws::parse_ini(text, true)["x"]);
                break;
            case 1: (void)kms::aws::sso_cached_access_token(text, now); break;
            case 2: (void)kms::aws::parse_role_credentials(text); break;
            case 3: (void)kms::aws::parse_process_output(text, "fuzz"); break;
            case 4:
                (void)kms::gcp::is_google_api_url(text, "sts");
                (void)kms::gcp::is_google_api_url(text, "iamcredentials");
                break;
            case 5: (void)kms::azure::parse_cli_token(text, now); break;
            default: {
                std::size_t nul = text.find('\0');
                std::string doc = text.substr(0, nul), answer = nul == std::string::npos ? std::string() : text.substr(nul + 1);
                // Every token endpoint answers with the input's body; nothing local is read.
                kms::set_http_transport([&](const kms::HttpRequest&) {
                    kms::HttpResponse r;
                    r.status = 200;
                    r.body = answer;
                    return r;
                });
                try {
                    try {
                        (void)kms::gcp::token_from_credentials_json(doc, kms::HttpOptions{}, now, kms::gcp::LocalSources{});
                    } catch (const std::runtime_error&) {
                    }
                    // The handed-token flow: the document's URLs and the answers, no credential_source.
                    auto config = nlohmann::json::parse(doc, nullptr, false);
                    if (config.is_object()) (void)kms::gcp::token_from_external_account(config, "subject", kms::HttpOptions{}, now);
                } catch (...) {
                    kms::set_http_transport({});
                    throw;
                }
                kms::set_http_transport({});
            }
        }
    } catch (const std::runtime_error&) {
    }
    return 0;
}
