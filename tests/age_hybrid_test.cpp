// age's post-quantum hybrid keys (mlkem768x25519): identities, recipients, files, keys.txt,
// `keygen age --pq`, .sops.yaml and a Flux decryption Secret. The C2SP vectors are in age_test.
#include <filesystem>

#include "age/age_internal.hpp"
#include "core/text.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

TEST(AgeHybrid, IdentityAndRecipientRoundTrip) {
    auto id = age::HybridIdentity::generate();
    std::string text = id.encode();
    EXPECT_EQ(text.rfind("AGE-SECRET-KEY-PQ-1", 0), 0u);
    EXPECT_TRUE(age::looks_like_hybrid_identity(text));
    EXPECT_FALSE(age::looks_like_hybrid_identity(age::X25519Identity::generate().encode()));
    auto back = age::HybridIdentity::parse(text);
    EXPECT_TRUE(back.seed.equals(id.seed));
    EXPECT_EQ(back.recipient(), id.recipient());
    EXPECT_EQ(id.recipient().rfind("age1pq1", 0), 0u);
    EXPECT_TRUE(age::is_valid_recipient(id.recipient()));
    std::string bad = id.recipient();
    bad.back() = bad.back() == 'q' ? 'p' : 'q';
    EXPECT_FALSE(age::is_valid_recipient(bad)) << "checksum must be verified";
    EXPECT_THROW(age::HybridIdentity::parse("AGE-SECRET-KEY-PQ-1XYZ"), Error);
    // An X25519 identity is not a hybrid one, nor the reverse.
    EXPECT_THROW(age::HybridIdentity::parse(age::X25519Identity::generate().encode()), Error);
    EXPECT_THROW(age::X25519Identity::parse(text), Error);
}

// The ML-KEM half of a recipient goes through FIPS 203's modulus check.
TEST(AgeHybrid, RecipientWithOutOfRangeCoefficientIsRefused) {
    auto id = age::HybridIdentity::generate();
    std::string pk = id.public_key;
    pk[0] = static_cast<char>(0xff);
    pk[1] = static_cast<char>(pk[1] | 0x0f);  // first coefficient 4095 >= q
    std::string r = age::detail::bech32_encode("age1pq", pk);
    EXPECT_FALSE(age::is_valid_recipient(r));
    EXPECT_THROW(age::encrypt("x", {r}, false), Error);
    // The same key with a valid coefficient is accepted.
    EXPECT_TRUE(age::is_valid_recipient(age::detail::bech32_encode("age1pq", id.public_key)));
    EXPECT_FALSE(age::is_valid_recipient(age::detail::bech32_encode("age1pq", id.public_key.substr(1))));
}

TEST(AgeHybrid, EncryptsToSeveralAndRefusesMixingWithClassic) {
    auto a = age::HybridIdentity::generate(), b = age::HybridIdentity::generate(), other = age::HybridIdentity::generate();
    std::string file = age::encrypt("hello, quantum world", {a.recipient(), b.recipient()}, true);
    for (const auto* id : {&a, &b}) {
        age::IdentitySet ids;
        ids.add(id->clone());
        auto plain = age::decrypt(file, ids);
        ASSERT_TRUE(plain);
        EXPECT_EQ(plain->view(), "hello, quantum world");
    }
    age::IdentitySet wrong;
    wrong.add(other.clone());
    wrong.add(age::X25519Identity::generate());
    EXPECT_FALSE(age::decrypt(file, wrong));
    // Two mlkem768x25519 stanzas, each with a 1120-byte enc argument.
    std::string binary = age::encrypt("x", {a.recipient()}, false);
    auto h = age::detail::parse_header(binary);
    ASSERT_EQ(h.stanzas.size(), 1u);
    EXPECT_EQ(h.stanzas[0].type, "mlkem768x25519");
    EXPECT_EQ(age::detail::b64_raw_decode(h.stanzas[0].args.at(0))->size(), 1120u);
    EXPECT_EQ(h.stanzas[0].body.size(), 32u);
    try {
        age::encrypt("x", {a.recipient(), age::X25519Identity::generate().recipient()}, true);
        FAIL() << "mixing post-quantum and classic recipients must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("can't mix post-quantum and classic recipients"), std::string::npos) << e.what();
    }
}

TEST(AgeHybrid, KeysFileHoldsBothKinds) {
    auto classic = age::X25519Identity::generate();
    auto pq = age::HybridIdentity::generate();
    age::IdentitySet ids;
    ids.add_from_text("# created: now\n# public key: " + pq.recipient() + "\n" + pq.encode() + "\r\n\n" + classic.encode() + "\n");
    ASSERT_EQ(ids.hybrid().size(), 1u);
    ASSERT_EQ(ids.x25519().size(), 1u);
    EXPECT_EQ(ids.hybrid()[0].recipient(), pq.recipient());
    auto c = ids.clone();
    EXPECT_EQ(c.size(), 2u);
    EXPECT_TRUE(age::decrypt(age::encrypt("a", {pq.recipient()}, true), c));
    EXPECT_TRUE(age::decrypt(age::encrypt("b", {classic.recipient()}, true), c));
    // A damaged hybrid line costs only itself: it is recorded by number, never by its text.
    age::IdentitySet bad;
    bad.add_from_text(pq.encode().substr(0, 40) + "\n" + classic.encode() + "\n");
    EXPECT_EQ(bad.hybrid().size(), 0u);
    EXPECT_EQ(bad.x25519().size(), 1u);
    ASSERT_EQ(bad.problems().size(), 1u);
    EXPECT_EQ(bad.problems()[0].find(pq.encode().substr(20, 20)), std::string::npos) << "no key text in errors";
    EXPECT_NE(bad.problems()[0].find("line 1"), std::string::npos) << bad.problems()[0];
}

// The command line: `keygen age --pq` (and age-keygen's -pq), .sops.yaml with an age1pq1
// recipient, and the identity from SOPS_AGE_KEY_FILE and SOPS_AGE_KEY.
TEST(AgeHybrid, KeygenPqSopsYamlAndEnvironmentKeys) {
    fs::path dir = sopskit::test::make_temp_dir();
    std::string cli = "'" + sopskit::test::cli_path() + "'";
    std::string env = "cd '" + dir.string() + "' && env -u SOPS_AGE_KEY -u SOPS_AGE_KEY_CMD -u SOPS_AGE_KEY_FILE HOME='" +
                      dir.string() + "' XDG_CONFIG_HOME='" + (dir / "xdg").string() + "' ";
    auto gen = run(env + cli + " keygen age --pq --output keys.txt");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    ASSERT_EQ(gen.err.rfind("public key: age1pq1", 0), 0u) << gen.err;
    std::string recipient = sopskit::detail::trim(gen.err.substr(gen.err.find("age1pq1")));
    std::string keys = read_file(dir / "keys.txt");
    EXPECT_NE(keys.find("# public key: " + recipient + "\n"), std::string::npos);
    EXPECT_NE(keys.find("\nAGE-SECRET-KEY-PQ-1"), std::string::npos);
    auto single_dash = run(env + cli + " keygen age -pq");
    ASSERT_EQ(single_dash.exit_code, 0) << single_dash.err;
    EXPECT_EQ(single_dash.out.rfind("age1pq1", 0), 0u);
    EXPECT_NE(run(env + cli + " keygen age -px").exit_code, 0);

    write_file(dir / ".sops.yaml", "creation_rules:\n  - age: >-\n      " + recipient + "\n");
    write_file(dir / "s.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  password: hunter2\n");
    auto enc = run(env + cli + " -e s.yaml > s.enc.yaml");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    std::string encrypted = read_file(dir / "s.enc.yaml");
    EXPECT_NE(encrypted.find("recipient: " + recipient), std::string::npos);

    auto by_file = run(env + "SOPS_AGE_KEY_FILE=keys.txt " + cli + " -d s.enc.yaml");
    ASSERT_EQ(by_file.exit_code, 0) << by_file.err;
    EXPECT_NE(by_file.out.find("password: hunter2"), std::string::npos);
    std::string identity = keys.substr(keys.find("AGE-SECRET-KEY-PQ-1"));
    identity = sopskit::detail::trim(identity);
    auto by_env = run(env + "SOPS_AGE_KEY='" + age::X25519Identity::generate().encode() + " " + identity + "' " + cli + " -d s.enc.yaml");
    ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
    EXPECT_NE(by_env.out.find("password: hunter2"), std::string::npos);
    // A classic key alone cannot open it: sops' "no key could decrypt" exit code.
    auto wrong = run(env + "SOPS_AGE_KEY='" + age::X25519Identity::generate().encode() + "' " + cli + " -d s.enc.yaml");
    EXPECT_EQ(wrong.exit_code, 128) << wrong.err;
}

// Flux's age-pq case: the decryption Secret's .agekey entry holds an AGE-SECRET-KEY-PQ-1 key.
TEST(AgeHybrid, FluxDecryptionSecretWithPqKey) {
    auto pq = age::HybridIdentity::generate();
    EncryptRequest req;
    req.input_format = req.output_format = Format::Yaml;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"age", pq.recipient(), {}}}};
    KeyRing writer;
    writer.add(make_age_key_source(age::IdentitySet{}));
    std::string enc = encrypt_document("apiVersion: v1\nkind: Secret\nmetadata:\n  name: age-pq\nstringData:\n  key: value\n", req, writer);
    auto keys = DecryptionKeys::from_entries(
        {{"age-pq.agekey", "# created: 2025-01-01T00:00:00Z\n# public key: " + pq.recipient() + "\n" + pq.encode() + "\n"},
         {"age.agekey", age::X25519Identity::generate().encode() + "\n"}},
        "flux-system/sops-keys");
    Decryptor d(keys);
    std::string out = d.decrypt_manifests(enc);
    EXPECT_NE(out.find("key: value"), std::string::npos) << out;
}
