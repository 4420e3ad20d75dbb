// Every upstream sops fixture with a known data key decrypts, MAC verified, to its expected
// plaintext; re-encrypting gives the same tree back.
#include <filesystem>
#include <fstream>

#include "sopskit/error.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"
#include "tree_json.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;

namespace {

SecureBytes key_from_hex_file(const fs::path& p) {
    std::string hex = read_file(p);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    std::string raw;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return SecureBytes::from(raw);
}

std::vector<fs::path> fixtures_with_data_keys(const fs::path& root) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(root / "sops")) {
        std::string name = e.path().string();
        if (name.size() > 8 && name.substr(name.size() - 8) == ".datakey") out.push_back(name.substr(0, name.size() - 8));
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool has_no_mac(const fs::path& p) { return p.filename() == "no_mac.yaml"; }

}  // namespace

TEST(ConformanceSops, EveryFixtureDecryptsWithVerifiedMac) {
    REQUIRE_CONFORMANCE(root);
    auto fixtures = fixtures_with_data_keys(root);
    ASSERT_GE(fixtures.size(), 10u) << "expected the upstream fixtures with data keys";
    int checked_plaintext = 0;
    for (const auto& f : fixtures) {
        SCOPED_TRACE(f.string());
        std::string bytes = read_file(f);
        Format fmt = format_from_path(f.string());
        DecryptOptions opts;
        opts.ignore_mac = has_no_mac(f);
        DecryptedFile dec;
        ASSERT_NO_THROW(dec = decrypt_document_with_key(bytes, fmt, key_from_hex_file(f.string() + ".datakey"), opts));
        fs::path expected = f.string() + ".expected.json";
        if (fs::exists(expected)) {
            auto want = nlohmann::ordered_json::parse(read_file(expected));
            ASSERT_EQ(dec.branches.size(), 1u);
            auto got = sopskit::test::to_json(dec.branches.front());
            EXPECT_TRUE(sopskit::test::same_typed_json(got, want)) << "got " << got.dump() << "\nwant " << want.dump();
            ++checked_plaintext;
        }
        // The plain output must be loadable again by the same store.
        std::string plain = emit_plain(fmt, dec.branches);
        EXPECT_NO_THROW(load_plain(fmt, plain));
    }
    EXPECT_GE(checked_plaintext, 8);
}

TEST(ConformanceSops, FileWithoutMacIsRefusedUnlessIgnoreMac) {
    REQUIRE_CONFORMANCE(root);
    fs::path f = root / "sops/functional-tests/res/no_mac.yaml";
    try {
        decrypt_document_with_key(read_file(f), Format::Yaml, key_from_hex_file(f.string() + ".datakey"));
        FAIL() << "a file without a MAC decrypted without --ignore-mac";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::MacMismatch);
    }
}

TEST(ConformanceSops, ReencryptedFixturesDecryptToTheSameTree) {
    REQUIRE_CONFORMANCE(root);
    for (const auto& f : fixtures_with_data_keys(root)) {
        SCOPED_TRACE(f.string());
        Format fmt = format_from_path(f.string());
        DecryptOptions opts;
        opts.ignore_mac = has_no_mac(f);
        DecryptedFile dec = decrypt_document_with_key(read_file(f), fmt, key_from_hex_file(f.string() + ".datakey"), opts);
        Branches original = dec.branches;
        SecureBytes key = dec.data_key.clone();
        std::string again = encrypt_with_metadata(dec.branches, dec.metadata, key, fmt);
        DecryptedFile dec2 = decrypt_document_with_key(again, fmt, key.clone());
        ASSERT_EQ(dec2.branches.size(), original.size());
        for (std::size_t i = 0; i < original.size(); ++i)
            EXPECT_EQ(sopskit::test::to_json(dec2.branches[i]).dump(), sopskit::test::to_json(original[i]).dump());
        EXPECT_TRUE(dec2.branches == original) << "comments or kinds changed in the round trip";
    }
}

TEST(ConformanceSops, YamlCommentsDecryptAsUpstreamWritesThem) {
    REQUIRE_CONFORMANCE(root);
    fs::path f = root / "sops/functional-tests/res/comments.enc.yaml";
    DecryptedFile dec = decrypt_document_with_key(read_file(f), Format::Yaml, key_from_hex_file(f.string() + ".datakey"));
    // sops' functional test: decrypting gives back comments.yaml exactly.
    std::string expected = read_file(root / "sops/functional-tests/res/comments.yaml");
    if (expected.back() != '\n') expected += '\n';  // the fixture lacks the final newline sops writes
    EXPECT_EQ(emit_plain(Format::Yaml, dec.branches), expected);
}

TEST(ConformanceSops, WrongKeyFailsWithDecryptionError) {
    REQUIRE_CONFORMANCE(root);
    fs::path f = root / "sops/example.yaml";
    try {
        decrypt_document_with_key(read_file(f), Format::Yaml, SecureBytes::random(32));
        FAIL() << "decrypted with a random key";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::ErrorDecryptingTree);
        EXPECT_EQ(std::string(e.what()).find("t00m4ny"), std::string::npos);
    }
}
