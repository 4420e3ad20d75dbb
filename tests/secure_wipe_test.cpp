// WipeOnExit: strings that held plaintext or key text are zeroed however their scope is left.
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sopskit/secure.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {

bool all_zero(const std::string& s) {
    for (char c : s)
        if (c != '\0') return false;
    return true;
}

}  // namespace

TEST(WipeOnExit, ZeroesAStringWhenTheScopeEnds) {
    std::string key = "AGE-SECRET-KEY-1QQQQ";
    {
        WipeOnExit wiper{key};
        EXPECT_EQ(key, "AGE-SECRET-KEY-1QQQQ") << "nothing is wiped before the scope ends";
    }
    EXPECT_EQ(key.size(), 20u);
    EXPECT_TRUE(all_zero(key));
}

TEST(WipeOnExit, ZeroesEveryStringOfAVectorWhenAnExceptionLeavesTheScope) {
    std::vector<std::string> documents{"password: hunter2", "", "token: abc"};
    try {
        WipeOnExit wiper{documents};
        throw std::runtime_error("parse error");
    } catch (const std::runtime_error&) {
    }
    ASSERT_EQ(documents.size(), 3u);
    for (const std::string& d : documents) EXPECT_TRUE(all_zero(d)) << d.size();
    EXPECT_EQ(documents[0].size(), 17u);
}

TEST(WipeOnExit, ZeroesTheValuesOfMapsButKeepsTheirKeys) {
    std::deque<std::map<std::string, std::string>> secrets{{{"identity.agekey", "AGE-SECRET-KEY-1QQQQ"}},
                                                           {{"sops.vault-token", "hvs.0123456789abcdef"}, {"empty", ""}}};
    { WipeOnExit wiper{secrets}; }
    EXPECT_TRUE(all_zero(secrets[0].at("identity.agekey")));
    EXPECT_EQ(secrets[0].at("identity.agekey").size(), 20u);
    EXPECT_TRUE(all_zero(secrets[1].at("sops.vault-token")));
    EXPECT_TRUE(secrets[1].at("empty").empty());
    EXPECT_EQ(secrets[1].count("sops.vault-token"), 1u) << "the keys are names, not secrets";
}
