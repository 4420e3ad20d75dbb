// HuaweiCloud KMS key ids ("region:key-uuid") and the region endpoints they lead to. The region
// comes from the file's metadata: it only ever picks an entry of a fixed table or an operator's
// override, and is checked to be a plain lower-case label before either.
#include <algorithm>
#include <array>
#include <cctype>

#include "common/codec.hpp"
#include "common/untrusted.hpp"
#include "hckms/hckms.hpp"

namespace sopskit::kms::hckms {

namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_key_uuid(std::string_view u) {
    static constexpr std::array<std::size_t, 5> groups{8, 4, 4, 4, 12};
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (u.size() < groups[i] || !std::all_of(u.begin(), u.begin() + groups[i], lower_alnum)) return false;
        u.remove_prefix(groups[i]);
        if (i + 1 < groups.size()) {
            if (u.empty() || u.front() != '-') return false;
            u.remove_prefix(1);
        }
    }
    return u.empty();
}

// The regions the SDK's KMS client knows (huaweicloud-sdk-go-v3 services/kms/v2/region).
constexpr std::array<std::string_view, 32> kRegions{
    "af-north-1",     "af-south-1",     "ae-ad-1",        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "cn-east-2",      "cn-east-3",      "cn-east-4",      "cn-east-5",
    "cn-north-1",     "cn-north-2",     "cn-north-4",     "cn-north-9",     "cn-north-11",    "cn-north-12",
    "cn-south-1",     "cn-south-2",     "cn-south-4",     "cn-southwest-2", "cn-southwest-3", "eu-west-101",
    "la-north-2",     "la-south-2",     "me-east-1",      "my-kualalumpur-1", "na-mexico-1",  "ru-moscow-1",
    "sa-brazil-1",    "tr-west-1"};

}  // namespace

bool valid_region(std::string_view region) {
    return is_dns_label(region) && std::none_of(region.begin(), region.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::optional<KeyId> parse_key_id(std::string_view id) {
    if (id.size() > kMaxKeyIdLength) return std::nullopt;
    std::size_t colon = id.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    KeyId out{trim(id.substr(0, colon)), trim(id.substr(colon + 1))};
    if (!valid_region(out.region) || !valid_key_uuid(out.key_uuid)) return std::nullopt;
    return out;
}

std::optional<std::string> endpoint(const Env& env, const std::string& region) {
    if (!valid_region(region)) return std::nullopt;
    // The SDK's environment override: HUAWEICLOUD_SDK_REGION_KMS_TR_WEST_1 for tr-west-1.
    std::string name = "HUAWEICLOUD_SDK_REGION_KMS_";
    for (char c : region) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (auto v = env(name)) {
        std::string first = trim(v->substr(0, v->find(',')));
        while (!first.empty() && first.back() == '/') first.pop_back();
        if (!first.empty()) return first;
    }
    if (std::find(kRegions.begin(), kRegions.end(), region) == kRegions.end()) return std::nullopt;
    return "https://kms." + region + (region == "eu-west-101" ? ".myhuaweicloud.eu" : ".myhuaweicloud.com");
}

std::string iam_endpoint(const Env& env, const std::string& file_override, const std::string& region) {
    std::string e = env_or(env, "HUAWEICLOUD_SDK_IAM_ENDPOINT", file_override);
    if (!e.empty()) return e.rfind("https://", 0) == 0 || e.rfind("http://", 0) == 0 ? e : "https://" + e;
    // The SDK's IAM table: every KMS region above except these has a regional IAM endpoint.
    static constexpr std::array<std::string_view, 6> global_only{"af-north-1",  "ap-southeast-5", "cn-north-11",
                                                                 "cn-south-4",  "cn-southwest-3", "eu-west-101"};
    bool regional = std::find(kRegions.begin(), kRegions.end(), region) != kRegions.end() &&
                    std::find(global_only.begin(), global_only.end(), region) == global_only.end();
    return regional ? "https://iam." + region + ".myhuaweicloud.com" : "https://iam.myhuaweicloud.com";
}

}  // namespace sopskit::kms::hckms
