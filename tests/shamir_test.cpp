// Shamir secret sharing for key groups: any threshold of shares recovers the data key.
#include <set>
#include <string>

#include "core/shamir.hpp"
#include "sopskit/error.hpp"
#include "test_support.hpp"

using namespace sopskit;

TEST(Shamir, AnyThresholdSubsetRecoversTheSecret) {
    SecureBytes secret = SecureBytes::random(32);
    for (int parts = 2; parts <= 5; ++parts)
        for (int threshold = 2; threshold <= parts; ++threshold) {
            auto shares = detail::shamir_split(secret, parts, threshold);
            ASSERT_EQ(static_cast<int>(shares.size()), parts);
            for (const auto& s : shares) EXPECT_EQ(s.size(), 33u) << "y bytes then the x coordinate";
            // Every window of `threshold` consecutive shares.
            for (int start = 0; start + threshold <= parts; ++start) {
                std::vector<SecureBytes> subset;
                for (int i = start; i < start + threshold; ++i) subset.push_back(shares[i].clone());
                EXPECT_TRUE(detail::shamir_combine(subset).equals(secret)) << parts << "/" << threshold;
            }
        }
}

TEST(Shamir, FewerThanThresholdSharesGiveSomethingElse) {
    SecureBytes secret = SecureBytes::random(32);
    auto shares = detail::shamir_split(secret, 3, 3);
    std::vector<SecureBytes> two;
    two.push_back(shares[0].clone());
    two.push_back(shares[1].clone());
    EXPECT_FALSE(detail::shamir_combine(two).equals(secret));
}

TEST(Shamir, RejectsBadShares) {
    SecureBytes secret = SecureBytes::random(32);
    auto shares = detail::shamir_split(secret, 2, 2);
    std::vector<SecureBytes> dup;
    dup.push_back(shares[0].clone());
    dup.push_back(shares[0].clone());
    EXPECT_THROW(detail::shamir_combine(dup), Error);
    EXPECT_THROW(detail::shamir_split(secret, 1, 2), Error);
}

// hashicorp/vault's shamir layout, which sops uses: a share is the y byte of each secret byte,
// then one x byte. Vectors computed by hand in GF(2^8) with the AES polynomial: secret 0x42,
// threshold 2, f(x) = 0x42 + 3x, where + is XOR and 3*1 = 3, 3*2 = 6, 3*3 = (x+1)^2 = 5:
// f(1) = 0x41, f(2) = 0x44, f(3) = 0x47.
TEST(Shamir, CombinesVaultLayoutVectors) {
    auto share = [](std::uint8_t y, std::uint8_t x) { return SecureBytes::from(std::string{static_cast<char>(y), static_cast<char>(x)}); };
    auto combine = [&](std::pair<int, int> a, std::pair<int, int> b) {
        std::vector<SecureBytes> two;
        two.push_back(share(static_cast<std::uint8_t>(a.first), static_cast<std::uint8_t>(a.second)));
        two.push_back(share(static_cast<std::uint8_t>(b.first), static_cast<std::uint8_t>(b.second)));
        return std::string(detail::shamir_combine(two).view());
    };
    EXPECT_EQ(combine({0x41, 1}, {0x44, 2}), "\x42");
    EXPECT_EQ(combine({0x44, 2}, {0x47, 3}), "\x42");
    EXPECT_EQ(combine({0x47, 3}, {0x41, 1}), "\x42");
}

// x = 0 would make a share's y bytes the secret itself (f(0) is the intercept).
TEST(Shamir, NoShareSitsAtXZeroOrHoldsTheSecret) {
    SecureBytes secret = SecureBytes::random(32);
    for (int round = 0; round < 20; ++round) {
        auto shares = detail::shamir_split(secret, 5, 3);
        std::set<int> xs;
        for (const auto& s : shares) {
            EXPECT_NE(s.data()[32], 0) << "x coordinate 0";
            EXPECT_NE(s.view().substr(0, 32), secret.view());
            xs.insert(s.data()[32]);
        }
        EXPECT_EQ(xs.size(), 5u) << "x coordinates are distinct";
    }
}
