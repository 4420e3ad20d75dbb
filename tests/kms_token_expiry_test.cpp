// OAuth token lifetimes from Google and Entra ID token responses (found by fuzzing: a huge
// `expires_in` was converted to an integer out of range, which is undefined behaviour).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/token_expiry.hpp"

using nlohmann::json;
using sopskit::kms::kMaxTokenLifetime;
using sopskit::kms::token_expiry;

namespace {
constexpr std::time_t kNow = 1'700'000'000;
}

TEST(kmsTokenExpiry, LifetimeAsNumberOrString) {
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":3599})"), kNow), kNow + 3599);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":"3599"})"), kNow), kNow + 3599);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":3599.9})"), kNow), kNow + 3599);
}

TEST(kmsTokenExpiry, OutOfRangeLifetimesAreClamped) {
    // The fuzzer's answer: a number far beyond any integer type.
    auto fuzzed = json::parse(R"({"access_token":"y.x","expires_in":1444444444444444444444444444444444444444444444444444444444444444444444444444,"tokln":"QD"})");
    EXPECT_EQ(token_expiry(fuzzed, kNow), kNow + kMaxTokenLifetime);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":18446744073709551615})"), kNow), kNow + kMaxTokenLifetime);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":9223372036854775807})"), kNow), kNow + kMaxTokenLifetime);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":"99999999999999999999999"})"), kNow), kNow + kMaxTokenLifetime);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":-1e300})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":"-99999999999999999999999"})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":-5})"), kNow), kNow);
}

TEST(kmsTokenExpiry, UnreadableLifetimeServesOneRequestAbsentOneIsUnknown) {
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":"soon"})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":"12s"})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":""})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":[1]})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"expires_in":null})"), kNow), kNow);
    EXPECT_EQ(token_expiry(json::parse(R"({"access_token":"t"})"), kNow), 0);
    EXPECT_EQ(token_expiry(json::parse(R"([])"), kNow), 0);
}
