// HuaweiCloud KMS: the provider's wrap and unwrap against server answers taken from the input
// (through the HTTP transport hook, so no network), and the parsers of text from elsewhere: key
// ids from file metadata, the SDK credentials file, the metadata service's keys, IAM's project
// list, an SDK-HMAC-SHA256 Authorization header a server receives. Refusing (sopskit::Error, a Failed unwrap) is fine; nothing else may escape.
//
// Input: byte 0 picks the case (modulo 5: 0 wrap, 1 unwrap, 2 key id, 3 credentials file / securitykey / projects,
// 4 Authorization; wrap and unwrap with a project id when byte 0 < 5, else the first answer is
// IAM's project list); for wrap and unwrap the rest is split at NUL bytes into answers, served in turn, each one status byte
// (0: 200, 1: 400, 2: 401, 3: 403, 4: 429, 5: 500, others 200), then the body.
#include <stdexcept>
#include <string>
#include <vector>

#include "common/http.hpp"
#include "fuzz_support.hpp"
#include "hckms/hckms.hpp"
#include "sopskit/kms.hpp"
#include "sopskit/kms/sdk_hmac.hpp"

using namespace sopskit;
namespace kms = sopskit::kms;

namespace {

kms::HttpResponse answer(std::string_view raw) {
    static const long statuses[] = {200, 400, 401, 403, 429, 500};
    kms::HttpResponse r;
    if (raw.empty()) return r;
    auto b = static_cast<unsigned char>(raw[0]);
    r.status = b < std::size(statuses) ? statuses[b] : 200;
    r.body = std::string(raw.substr(1));
    return r;
}

void run_provider(bool wrap, bool with_project, std::string_view text) {
    std::vector<kms::HttpResponse> answers;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t end = std::min(text.find('\0', start), text.size());
        answers.push_back(answer(text.substr(start, end - start)));
        start = end + 1;
    }
    std::size_t next = 0;
    kms::set_http_transport([&](const kms::HttpRequest&) { return next < answers.size() ? answers[next++] : kms::HttpResponse{}; });
    kms::KmsSettings s;
    s.env = [with_project](const std::string& name) -> std::optional<std::string> {
        if (name == "HUAWEICLOUD_SDK_AK") return "AKFUZZ";
        if (name == "HUAWEICLOUD_SDK_SK") return "fuzz-secret";
        if (name == "HUAWEICLOUD_SDK_PROJECT_ID" && with_project) return "0a1b2c3d";
        if (name == "SOPSKIT_KMS_RETRY_BASE_MS") return "0";
        return std::nullopt;
    };
    s.home = "/nonexistent";
    auto source = kms::make_hckms_source(s);
    const std::string id = "tr-west-1:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c";
    if (wrap) {
        (void)source->wrap(kms::hckms_recipients(id)[0], SecureBytes::random(32));
    } else {
        StoredKey k{"hckms", Value::empty_map()};
        k.set_field("key_id", Value::string(id));
        k.set_field("enc", Value::string("AQID"));
        (void)source->unwrap(k);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view text = fuzz::text_of(data + 1, size - 1);
    fuzz::refusing_is_fine([&] {
        switch (data[0] % 5) {
            case 0:
            case 1:
                run_provider(data[0] % 5 == 0, data[0] < 5, text);
                break;
            case 2:
                if (auto id = kms::hckms::parse_key_id(text)) (void)kms::hckms::endpoint(kms::process_env(), id->region);
                break;
            case 3:
                (void)kms::hckms::credentials_from_ini(text);
                (void)kms::hckms::credentials_from_securitykey(std::string(text), 1'800'000'000);
                try {
                    (void)kms::hckms::project_id_from_answer(std::string(text), "tr-west-1");
                } catch (const std::runtime_error&) {  // its documented refusal
                }
                break;
            default: {
                kms::sdk_hmac::Request r;
                r.method = "POST";
                r.path = "/v1.0/p/kms/encrypt-data";
                r.query = std::string(text.substr(0, text.find('\n')));
                r.headers = {{"Authorization", std::string(text)}, {"X-Sdk-Date", "20260101T000000Z"}, {"Host", "h"}};
                (void)kms::sdk_hmac::parse_authorization(text);
                (void)kms::sdk_hmac::verify(r, "secret");
            }
        }
    });
    kms::set_http_transport({});
    return 0;
}
