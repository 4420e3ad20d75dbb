// age: the C2SP CCTV vectors, interop with the real age CLI, and the sops key source.
#include <openssl/sha.h>
#include <zlib.h>

#include <filesystem>
#include <map>

#include "core/shamir.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/error.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

struct Vector {
    std::map<std::string, std::string> fields;
    std::vector<std::string> identities;
    std::string passphrase;
    std::string file;
};

Vector parse_vector(const std::string& text) {
    Vector v;
    std::size_t pos = 0;
    while (true) {
        std::size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty()) break;
        auto colon = line.find(": ");
        std::string key = line.substr(0, colon), value = line.substr(colon + 2);
        if (key == "identity") v.identities.push_back(value);
        else if (key == "passphrase") v.passphrase = value;
        else v.fields[key] = value;
    }
    v.file = text.substr(pos);
    return v;
}

std::string inflate_zlib(const std::string& in) {
    z_stream zs{};
    inflateInit(&zs);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    std::string out;
    char buf[65536];
    int rc;
    do {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&zs);
    return out;
}

std::string sha256_hex(const std::string& data) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
    std::string hex;
    for (unsigned char c : d) {
        static const char* digits = "0123456789abcdef";
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

}  // namespace

TEST(AgeCctv, EveryVectorBehavesAsSpecified) {
    REQUIRE_CONFORMANCE(root);
    int passed = 0, total = 0;
    for (const auto& e : fs::directory_iterator(root / "age-cctv")) {
        std::string name = e.path().filename().string();
        if (name == "README.md") continue;
        ++total;
        SCOPED_TRACE(name);
        Vector v = parse_vector(read_file(e.path()));
        std::string file = v.fields.count("compressed") ? inflate_zlib(v.file) : v.file;
        age::IdentitySet ids;
        for (const auto& id : v.identities) {
            if (age::looks_like_hybrid_identity(id))
                ids.add(age::HybridIdentity::parse(id));
            else
                ids.add(age::X25519Identity::parse(id));
        }
        if (!v.passphrase.empty()) ids.add_passphrase(v.passphrase);
        const std::string expect = v.fields["expect"];
        std::string released;
        std::string outcome;
        try {
            outcome = age::decrypt_streaming(file, ids, released) ? "success" : "no match";
        } catch (const Error& err) {
            outcome = "failure";
        }
        if (expect == "success" || expect == "no match") {
            EXPECT_EQ(outcome, expect);
        } else {
            EXPECT_EQ(outcome, "failure") << "expected " << expect;
        }
        if (expect == "success" || expect == "payload failure")
            EXPECT_EQ(sha256_hex(released), v.fields["payload"]) << "released plaintext differs";
        if (!HasFailure()) ++passed;
    }
    std::cout << "[ age CCTV ] " << passed << " of " << total << " vectors passed\n";
    // Every vector, the 20 post-quantum hybrid ones included (143 files beside README.md).
    EXPECT_EQ(passed, total);
    EXPECT_GE(total, 143);
}

TEST(AgeBech32, IdentityAndRecipientRoundTrip) {
    auto id = age::X25519Identity::generate();
    std::string text = id.encode();
    EXPECT_EQ(text.rfind("AGE-SECRET-KEY-1", 0), 0u);
    auto back = age::X25519Identity::parse(text);
    EXPECT_TRUE(back.secret.equals(id.secret));
    EXPECT_EQ(back.recipient(), id.recipient());
    EXPECT_TRUE(age::is_valid_recipient(id.recipient()));
    std::string bad = id.recipient();
    bad.back() = bad.back() == 'q' ? 'p' : 'q';
    EXPECT_FALSE(age::is_valid_recipient(bad)) << "checksum must be verified";
    EXPECT_THROW(age::X25519Identity::parse("AGE-SECRET-KEY-1XYZ"), Error);
}

TEST(Age, WrongIdentityIsNoMatchAndTamperingThrows) {
    auto a = age::X25519Identity::generate(), b = age::X25519Identity::generate();
    std::string file = age::encrypt("data key bytes", {a.recipient()}, true);
    age::IdentitySet only_b;
    only_b.add(b.clone());
    EXPECT_FALSE(age::decrypt(file, only_b).has_value());
    age::IdentitySet only_a;
    only_a.add(a.clone());
    auto plain = age::decrypt(file, only_a);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->view(), "data key bytes");
    std::string binary = age::encrypt("data key bytes", {a.recipient()}, false);
    binary[binary.size() - 3] ^= 1;
    EXPECT_THROW(age::decrypt(binary, only_a), Error);
}

TEST(AgeInterop, TheRealAgeCliReadsOursAndWeReadItsFiles) {
    REQUIRE_PROGRAM("age");
    REQUIRE_PROGRAM("age-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    auto gen = run("age-keygen -o '" + (dir / "key.txt").string() + "' 2>&1");
    ASSERT_EQ(gen.exit_code, 0) << gen.out;
    age::IdentitySet ids;
    ids.add_from_text(read_file(dir / "key.txt"));
    ASSERT_EQ(ids.size(), 1u);
    std::string recipient = ids.x25519()[0].recipient();
    auto pub = run("age-keygen -y '" + (dir / "key.txt").string() + "'");
    EXPECT_EQ(pub.out, recipient + "\n") << "our recipient derivation must match age-keygen";

    SecureBytes data_key = SecureBytes::random(32);
    for (bool armor : {true, false}) {
        write_file(dir / "ours.age", age::encrypt(data_key.view(), {recipient}, armor));
        auto r = run("age -d -i '" + (dir / "key.txt").string() + "' '" + (dir / "ours.age").string() + "' | od -An -tx1 | tr -d ' \\n'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::string hex;
        for (unsigned char c : data_key.view()) {
            static const char* d = "0123456789abcdef";
            hex += d[c >> 4];
            hex += d[c & 15];
        }
        EXPECT_EQ(r.out, hex);
    }
    for (const char* flag : {"-a", ""}) {
        write_file(dir / "plain", std::string(100000, 'x') + "end");
        auto r = run(std::string("age ") + flag + " -r " + recipient + " -o '" + (dir / "theirs.age").string() + "' '" +
                     (dir / "plain").string() + "'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto plain = age::decrypt(read_file(dir / "theirs.age"), ids);
        ASSERT_TRUE(plain);
        EXPECT_EQ(plain->view(), read_file(dir / "plain"));
    }
}

TEST(AgeKeySource, EncryptsAFileThatDecryptsWithTheIdentity) {
    auto id = age::X25519Identity::generate();
    age::IdentitySet ids;
    ids.add(id.clone());
    KeyRing ring;
    ring.add(make_age_key_source(std::move(ids)));
    EncryptRequest req;
    req.key_groups = {{{"age", id.recipient(), {}}}};
    std::string enc = encrypt_document("password: hunter2\n", req, ring);
    EXPECT_NE(enc.find("recipient: " + id.recipient()), std::string::npos);
    EXPECT_NE(enc.find("-----BEGIN AGE ENCRYPTED FILE-----"), std::string::npos);
    DecryptedFile dec = decrypt_document(enc, Format::Yaml, ring);
    EXPECT_EQ(dec.branches[0][0].value.text, "hunter2");
    KeyRing other;
    other.add(make_age_key_source(age::IdentitySet{}));
    try {
        decrypt_document(enc, Format::Yaml, other);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::CouldNotRetrieveKey);
        EXPECT_NE(std::string(e.what()).find(id.recipient()), std::string::npos) << e.what();
    }
}

// What sops 3.13.2 writes for an age file with no rule given: the sops section's fields in
// their order (maps sorted, empty key lists omitted), the default unencrypted_suffix, and an
// enc block that the real age CLI opens to exactly the file's data key.
TEST(AgeKeySource, MetadataIsSopsAndRealAgeReturnsTheDataKey) {
    auto id = age::X25519Identity::generate();
    age::IdentitySet ids;
    ids.add(id.clone());
    KeyRing ring;
    ring.add(make_age_key_source(std::move(ids)));
    EncryptRequest req;
    req.key_groups = {{{"age", id.recipient(), {}}}};
    std::string enc = encrypt_document("password: hunter2\nnote_unencrypted: hi\n", req, ring);
    EXPECT_NE(enc.find("\nnote_unencrypted: hi\n"), std::string::npos) << "the default suffix leaves it readable";
    std::string section = enc.substr(enc.find("sops:\n"));
    EXPECT_EQ(sopskit::test::metadata_shape(enc),
              "sops:\n"
              "    age:\n"
              "        - enc: |\n"
              "          recipient: *\n"
              "    lastmodified: *\n"
              "    mac: *\n"
              "    unencrypted_suffix: *\n"
              "    version: *\n");
    EXPECT_NE(section.find("    unencrypted_suffix: _unencrypted\n    version: 3.13.2\n"), std::string::npos) << section;
    EXPECT_NE(section.find("recipient: " + id.recipient() + "\n"), std::string::npos);

    if (!sopskit::test::have_program("age")) GTEST_SKIP() << "peer program 'age' not installed";
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "key.txt", id.encode() + "\n");
    SplitFile split = load_encrypted(Format::Yaml, enc);
    write_file(dir / "enc.age", split.metadata.find("age")->list[0].find("enc")->text);
    auto r = run("age -d -i '" + (dir / "key.txt").string() + "' -o '" + (dir / "key.bin").string() + "' '" +
                 (dir / "enc.age").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    DecryptedFile dec = decrypt_document(enc, Format::Yaml, ring);
    EXPECT_EQ(read_file(dir / "key.bin"), dec.data_key.view()) << "age returns exactly the file's data key";
}

// Two key groups: key_groups replaces the flat lists, shamir_threshold is written, each group
// carries "hc_vault: []" (sops' keygroup struct has no omitempty on hc_vault and age), and each
// group's enc holds one share in hashicorp/vault's layout (32 y bytes, then x) that the real
// age unwraps; any two shares combine to the data key.
TEST(AgeKeySource, KeyGroupsMetadataAndSharesTheRealAgeUnwraps) {
    auto a = age::X25519Identity::generate(), b = age::X25519Identity::generate();
    age::IdentitySet ids;
    ids.add(a.clone());
    ids.add(b.clone());
    KeyRing ring;
    ring.add(make_age_key_source(std::move(ids)));
    EncryptRequest req;
    req.key_groups = {{{"age", a.recipient(), {}}}, {{"age", b.recipient(), {}}}};
    req.shamir_threshold = 2;
    std::string enc = encrypt_document("password: hunter2\n", req, ring);
    EXPECT_EQ(sopskit::test::metadata_shape(enc),
              "sops:\n"
              "    key_groups:\n"
              "        - age:\n"
              "            - enc: |\n"
              "              recipient: *\n"
              "          hc_vault: *\n"
              "        - age:\n"
              "            - enc: |\n"
              "              recipient: *\n"
              "          hc_vault: *\n"
              "    lastmodified: *\n"
              "    mac: *\n"
              "    shamir_threshold: *\n"
              "    unencrypted_suffix: *\n"
              "    version: *\n") << enc;
    EXPECT_NE(enc.find("    shamir_threshold: 2\n"), std::string::npos);
    EXPECT_NE(enc.find("          hc_vault: []\n        - age:"), std::string::npos) << enc;

    if (!sopskit::test::have_program("age")) GTEST_SKIP() << "peer program 'age' not installed";
    fs::path dir = sopskit::test::make_temp_dir();
    SplitFile split = load_encrypted(Format::Yaml, enc);
    std::vector<SecureBytes> shares;
    int i = 0;
    for (const auto& [id, group] : {std::pair{&a, 0}, std::pair{&b, 1}}) {
        write_file(dir / "key.txt", id->encode() + "\n");
        write_file(dir / "share.age", split.metadata.find("key_groups")->list[group].find("age")->list[0].find("enc")->text);
        fs::path out = dir / ("share" + std::to_string(i++));
        auto r = run("age -d -i '" + (dir / "key.txt").string() + "' -o '" + out.string() + "' '" + (dir / "share.age").string() + "'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::string share = read_file(out);
        ASSERT_EQ(share.size(), 33u) << "32 y bytes and the x coordinate";
        EXPECT_NE(share[32], '\0');
        shares.push_back(SecureBytes::from(share));
    }
    DecryptedFile dec = decrypt_document(enc, Format::Yaml, ring);
    EXPECT_EQ(detail::shamir_combine(shares).view(), dec.data_key.view());
}
