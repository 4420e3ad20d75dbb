// KMS server answers: each provider's wrap and unwrap run against responses taken from the
// input (through the HTTP transport hook, so no network), plus the Flux credential entries and
// the AWS shared-file, STS XML and Azure challenge parsers. A provider may refuse an answer
// (sopskit::Error, or a Failed unwrap outcome); it must never crash or let another exception out.
//
// Input: byte 0 picks the case; the rest is split at NUL bytes into answers, served in turn.
// Each answer: one status byte, then "name: value" header lines, a blank line, and the body.
#include <string>
#include <vector>

#include "aws/aws.hpp"
#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/http.hpp"
#include "fuzz_support.hpp"
#include "sopskit/kms.hpp"

using namespace sopskit;
namespace kms = sopskit::kms;

namespace {

const long kStatuses[] = {200, 200, 200, 400, 401, 403, 404, 429, 500, 503};

kms::HttpResponse parse_answer(std::string_view raw) {
    kms::HttpResponse r;
    if (raw.empty()) return r;
    r.status = kStatuses[static_cast<unsigned char>(raw[0]) % std::size(kStatuses)];
    raw.remove_prefix(1);
    while (!raw.empty()) {
        auto eol = raw.find('\n');
        std::string_view line = raw.substr(0, eol);
        raw = eol == std::string_view::npos ? std::string_view{} : raw.substr(eol + 1);
        if (line.empty()) break;
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(line.substr(0, colon));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers.emplace(name, kms::trim(line.substr(colon + 1)));
    }
    r.body = std::string(raw);
    return r;
}

kms::KmsSettings explicit_credentials() {
    kms::KmsSettings s;
    s.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    s.home = "/nonexistent";
    s.isolated = true;
    s.aws = kms::AwsStaticCredentials{"AKIDFUZZ", "fuzz-secret", ""};
    s.gcp_credentials_json = R"({"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r","token_uri":"https://oauth2.test/token"})";
    s.azure = kms::AzureCredentials{"tenant", "client", "secret", "", "", "https://login.test/"};
    s.vault_token = "hvs.fuzz";
    s.vault_allowlist = "https://vault.test:8200";  // a Secret's token needs its address named
    return s;
}

StoredKey stored(const std::string& kind, std::vector<std::pair<std::string, std::string>> fields) {
    StoredKey k{kind, Value::empty_map()};
    for (auto& [name, value] : fields) k.set_field(name, Value::string(value));
    return k;
}

void run_provider(int which, bool wrap) {
    kms::KmsSettings settings = explicit_credentials();
    std::unique_ptr<KeySource> source;
    Recipient recipient;
    StoredKey key;
    switch (which) {
        case 0:
            source = kms::make_aws_kms_source(settings);
            recipient = kms::kms_recipients("arn:aws:kms:us-east-1:111122223333:key/k+arn:aws:iam::111122223333:role/r", "", "a:b")[0];
            key = stored("kms", {{"arn", "arn:aws:kms:us-east-1:111122223333:key/k"}, {"role", "arn:aws:iam::111122223333:role/r"}, {"enc", "AQID"}});
            break;
        case 1:
            source = kms::make_gcp_kms_source(settings);
            recipient = kms::gcp_kms_recipients("projects/p/locations/global/keyRings/r/cryptoKeys/k")[0];
            key = stored("gcp_kms", {{"resource_id", "projects/p/locations/global/keyRings/r/cryptoKeys/k"}, {"enc", "AQID"}});
            break;
        case 2:
            source = kms::make_azure_kv_source(settings);
            recipient = kms::azure_kv_recipients("https://v.vault.azure.net/keys/k")[0];
            key = stored("azure_kv", {{"vault_url", "https://v.vault.azure.net"}, {"name", "k"}, {"version", "1"}, {"enc", "AQID"}});
            break;
        default:
            source = kms::make_vault_transit_source(settings);
            recipient = kms::vault_recipients("https://vault.test:8200/v1/transit/keys/k")[0];
            key = stored("hc_vault", {{"vault_address", "https://vault.test:8200"}, {"engine_path", "transit"}, {"key_name", "k"}, {"enc", "vault:v1:AQID"}});
            break;
    }
    if (wrap)
        (void)source->wrap(recipient, SecureBytes::random(32));
    else
        (void)source->unwrap(key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view text = fuzz::text_of(data + 1, size - 1);
    const int which = data[0] % 12;

    std::vector<kms::HttpResponse> answers;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t end = std::min(text.find('\0', start), text.size());
        answers.push_back(parse_answer(text.substr(start, end - start)));
        start = end + 1;
    }
    std::size_t next = 0;
    kms::set_http_transport([&](const kms::HttpRequest&) {
        // Past the last answer the server is gone: the 0 status every provider must handle.
        return next < answers.size() ? answers[next++] : kms::HttpResponse{};
    });

    fuzz::refusing_is_fine([&] {
        if (which < 8) {
            run_provider(which / 2, which % 2 == 0);
        } else if (which == 8) {
            std::string t(text);
            (void)kms::settings_from_flux_entries(t, t, t, t);
        } else if (which == 9) {
            (void)kms::aws::parse_ini(std::string(text), true);
            (void)kms::aws::parse_iso8601(std::string(text));
        } else if (which == 10) {
            (void)kms::aws::xml_value(std::string(text), "SecretAccessKey");
            (void)kms::aws::parse_xml_error(answers[0]);
            (void)kms::aws::parse_json_error(answers[0]);
        } else {
            (void)kms::azure::parse_challenge(std::string(text));
            (void)kms::azure::parse_key_url(std::string(text));
        }
    });
    kms::set_http_transport({});
    return 0;
}
