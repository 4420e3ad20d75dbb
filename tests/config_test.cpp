// .sops.yaml: discovery, first matching rule, key fields and groups, errors.
#include <filesystem>

#include "sopskit/config.hpp"
#include "sopskit/error.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::write_file;

TEST(Config, FoundByWalkingUpAndFirstMatchingRuleWins) {
    fs::path root = sopskit::test::make_temp_dir();
    fs::create_directories(root / "clusters/prod/secrets");
    write_file(root / ".sops.yaml",
               "creation_rules:\n"
               "  - path_regex: clusters/prod/.*\\.yaml$\n"
               "    encrypted_regex: ^(data|stringData)$\n"
               "    pgp: >-\n"
               "      FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4,\n"
               "      D7229043384BCC60326C6FB9D8720D957C3D3074\n"
               "  - path_regex: \\.yaml$\n"
               "    age: [age1aaa, age1bbb]\n"
               "  - age: age1fallback\n");
    fs::path file = root / "clusters/prod/secrets/auth.yaml";
    auto found = find_config_file(file.string());
    ASSERT_TRUE(found);
    EXPECT_EQ(fs::path(*found), root / ".sops.yaml");
    SopsConfig cfg = load_config(*found);
    auto prod = creation_rule_for(cfg, file.string());
    ASSERT_TRUE(prod);
    EXPECT_EQ(prod->rules.encrypted_regex, "^(data|stringData)$");
    ASSERT_EQ(prod->key_groups.size(), 1u);
    ASSERT_EQ(prod->key_groups[0].size(), 2u);
    EXPECT_EQ(prod->key_groups[0][1].id, "D7229043384BCC60326C6FB9D8720D957C3D3074");
    auto other = creation_rule_for(cfg, (root / "apps/x.yaml").string());
    ASSERT_TRUE(other);
    EXPECT_EQ(other->key_groups[0][0].id, "age1aaa");
    EXPECT_EQ(other->key_groups[0][1].id, "age1bbb");
    auto fallback = creation_rule_for(cfg, (root / "x.json").string());
    EXPECT_EQ(fallback->key_groups[0][0].id, "age1fallback");
}

TEST(Config, KeyGroupsWithThreshold) {
    fs::path root = sopskit::test::make_temp_dir();
    write_file(root / ".sops.yaml",
               "creation_rules:\n"
               "  - shamir_threshold: 2\n"
               "    key_groups:\n"
               "      - pgp: [FP1]\n"
               "        age: [age1x]\n"
               "      - pgp: [FP2]\n"
               "      - kms:\n"
               "          - arn: arn:aws:kms:us-east-1:111:key/abc\n"
               "            role: arn:aws:iam::111:role/r\n");
    SopsConfig cfg = load_config((root / ".sops.yaml").string());
    auto rule = creation_rule_for(cfg, (root / "a.yaml").string());
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->shamir_threshold, 2);
    ASSERT_EQ(rule->key_groups.size(), 3u);
    EXPECT_EQ(rule->key_groups[0].size(), 2u);
    EXPECT_EQ(rule->key_groups[2][0].kind, "kms");
    EXPECT_EQ(rule->key_groups[2][0].params.find("role")->text, "arn:aws:iam::111:role/r");
}

TEST(Config, ErrorsNameTheFileAndPlace) {
    fs::path root = sopskit::test::make_temp_dir();
    write_file(root / ".sops.yaml", "creation_rules:\n  - age: [1, 2]\n");
    try {
        load_config((root / ".sops.yaml").string());
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::ErrorReadingConfig);
        EXPECT_NE(std::string(e.what()).find("creation_rules[0].age"), std::string::npos) << e.what();
    }
    write_file(root / ".sops.yaml", "creation_rules:\n  - age: [x\n");
    try {
        load_config((root / ".sops.yaml").string());
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("line"), std::string::npos) << e.what();
    }
    write_file(root / ".sops.yaml", "creation_rules:\n  - path_regex: ^only$\n    age: a\n");
    SopsConfig cfg = load_config((root / ".sops.yaml").string());
    EXPECT_THROW(creation_rule_for(cfg, (root / "other.yaml").string()), Error);
    write_file(root / ".sops.yaml", "creation_rules:\n  - encrypted_regex: a\n    unencrypted_regex: b\n");
    EXPECT_THROW(load_config((root / ".sops.yaml").string()), Error);
}

TEST(Config, NoConfigAnywhere) {
    fs::path root = sopskit::test::make_temp_dir();
    fs::create_directories(root / "a/b");
    // The walk goes up to "/": a .sops.yaml above the temp folder would be found, legitimately.
    for (fs::path up = root; up != up.parent_path(); up = up.parent_path())
        if (fs::exists(up.parent_path() / ".sops.yaml"))
            GTEST_SKIP() << up.parent_path() / ".sops.yaml" << " exists above the temp folder";
    EXPECT_EQ(find_config_file((root / "a/b/x.yaml").string()), std::nullopt);
    // The nearest one wins, from the file's own folder upwards.
    write_file(root / ".sops.yaml", "creation_rules: []\n");
    write_file(root / "a/.sops.yaml", "creation_rules: []\n");
    EXPECT_EQ(find_config_file((root / "a/b/x.yaml").string()), (root / "a/.sops.yaml").string());
    EXPECT_EQ(find_config_file((root / "x.yaml").string()), (root / ".sops.yaml").string());
}
