// Shamir secret sharing for key groups: any threshold of shares recovers the data key.
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
