// credential_process: the profile names a program that prints temporary credentials as JSON.
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdio>

#include "aws/aws.hpp"
#include "common/codec.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::kms::aws {

namespace {
// The SDK's documented shape is a few hundred bytes; more is not credentials.
constexpr std::size_t kMaxProcessOutput = 64 << 10;
}  // namespace

Creds parse_process_output(const std::string& json_text, const std::string& profile) {
    const std::string where = "profile '" + profile + "': credential_process";
    auto j = nlohmann::json::parse(json_text, nullptr, false);
    if (!j.is_object()) throw TransportError(where + " printed no JSON object");
    auto text = [&](const char* k) {
        auto it = j.find(k);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto version = j.find("Version");
    if (version == j.end() || !version->is_number_integer() || version->get<long long>() != 1)
        throw TransportError(where + " output has no \"Version\": 1");
    Creds c;
    c.keys.access_key_id = text("AccessKeyId");
    c.keys.secret_access_key = text("SecretAccessKey");
    c.keys.session_token = text("SessionToken");
    c.source = "credential_process of profile " + profile;
    if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
        throw TransportError(where + " output lacks AccessKeyId or SecretAccessKey");
    if (std::string exp = text("Expiration"); !exp.empty()) {
        c.expires = parse_iso8601(exp);
        if (c.expires == 0) throw TransportError(where + " output has an Expiration that is not an ISO 8601 time");
    }
    return c;
}

Creds process_credentials(const std::string& command, const std::string& profile) {
    FILE* f = popen(command.c_str(), "r");
    if (!f) throw TransportError("profile '" + profile + "': cannot run credential_process");
    std::string out;
    WipeOnExit out_wiper{out};  // the credentials, on every way out
    char buf[4096];
    std::size_t n;
    bool too_long = false;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (out.size() + n > kMaxProcessOutput) too_long = true;
        else out.append(buf, n);
    }
    int rc = pclose(f);
    if (rc != 0) {
        throw TransportError("profile '" + profile + "': credential_process exited with status " + std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : rc));
    }
    if (too_long) {
        throw TransportError("profile '" + profile + "': credential_process printed more than 64 KiB");
    }
    return parse_process_output(out, profile);
}

}  // namespace sopskit::kms::aws
