// The Azure CLI credential: `az account get-access-token` for the Key Vault resource, as
// azidentity's AzureCLICredential asks it (after managed identity in DefaultAzureCredential).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "azure/azure.hpp"
#include "common/codec.hpp"
#include "common/subprocess.hpp"
#include "common/token_expiry.hpp"
#include "sopskit/secure.hpp"

namespace sopskit::kms::azure {

namespace {

constexpr long kCliTimeoutMs = 10'000;  // azidentity's default for the CLI

// The resource goes on az's command line: only the characters azidentity lets through.
bool valid_resource(const std::string& r) {
    return !r.empty() && r.size() <= 512 && std::all_of(r.begin(), r.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':' || c == '/';
    });
}

// expires_on (epoch seconds, az 2.54+), else expiresOn ("2026-12-03 05:00:00.000000", local time).
std::time_t expiry_of(const nlohmann::json& j, std::time_t now) {
    if (auto it = j.find("expires_on"); it != j.end()) {
        long long v = -1;
        if (it->is_number_integer()) v = it->get<long long>();
        else if (it->is_string()) {
            const auto& s = it->get_ref<const std::string&>();
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc() || end != s.data() + s.size()) v = -1;
        }
        if (v >= 0) return std::clamp<std::time_t>(static_cast<std::time_t>(std::min<long long>(v, now + kMaxTokenLifetime)), now, now + kMaxTokenLifetime);
    }
    if (auto it = j.find("expiresOn"); it != j.end() && it->is_string()) {
        std::tm tm{};
        if (std::sscanf(it->get<std::string>().c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                        &tm.tm_min, &tm.tm_sec) == 6) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            tm.tm_isdst = -1;
            std::time_t t = std::mktime(&tm);
            if (t > 0) return std::clamp(t, now, now + kMaxTokenLifetime);
        }
    }
    return now;  // unknown: serves this call only
}

}  // namespace

Token parse_cli_token(const std::string& json_text, std::time_t now) {
    auto j = nlohmann::json::parse(json_text, nullptr, false);
    if (!j.is_object() || !j.contains("accessToken") || !j["accessToken"].is_string() || j["accessToken"].get_ref<const std::string&>().empty())
        throw std::runtime_error("Azure CLI: az account get-access-token printed no accessToken");
    return Token{j["accessToken"].get<std::string>(), expiry_of(j, now)};
}

Token token_from_azure_cli(const Env& env, const std::string& scope, const std::string& tenant) {
    std::string resource = scope.substr(0, scope.rfind("/.default"));
    if (!valid_resource(resource)) throw std::runtime_error("Azure CLI: invalid resource for az");
    std::string az = find_program("az", env_or(env, "PATH", "/usr/bin:/bin"));
    if (az.empty()) throw std::runtime_error("Azure CLI: az not found on PATH");
    std::vector<std::string> argv = {az, "account", "get-access-token", "--output", "json", "--resource", resource};
    // azidentity's CLI credential has no tenant of its own in DefaultAzureCredential, so it asks
    // for the tenant the vault's challenge named (checked as a GUID or domain name there).
    if (!tenant.empty()) {
        if (!valid_resource(tenant) || tenant.find('/') != std::string::npos || tenant[0] == '-') throw std::runtime_error("Azure CLI: invalid tenant for az");
        argv.insert(argv.end(), {"--tenant", tenant});
    }
    ProgramResult r = run_program(argv, {}, kCliTimeoutMs);
    if (r.timed_out) throw std::runtime_error("Azure CLI: az did not answer within 10 s");
    if (r.exit_code != 0) {
        wipe(r.out);
        bool login = r.err.find("az login") != std::string::npos || r.err.find("az account set") != std::string::npos;
        throw std::runtime_error(std::string("Azure CLI: ") + (login ? "not logged in (run az login): " : "az failed: ") + one_line(r.err, 200));
    }
    Token t = parse_cli_token(r.out, std::time(nullptr));
    wipe(r.out);
    return t;
}

}  // namespace sopskit::kms::azure
