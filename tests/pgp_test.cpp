// PGP master keys through GPGME: upstream fixtures with upstream's test key, interop with the
// real gpg, and the isolated keyring leaving nothing behind.
#include <filesystem>

#include <atomic>
#include <thread>

#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/error.hpp"
#include "sopskit/pgp_keys.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"
#include "tree_json.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;

namespace {

const char* kUpstreamKeyA = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

KeyRing ring_with(std::shared_ptr<GnupgHome> home) {
    KeyRing ring;
    ring.add(make_pgp_key_source(std::move(home)));
    return ring;
}

// A fresh passphrase-less key in its own GnuPG home; returns its fingerprint.
std::string generate_key(const std::string& home, const std::string& name) {
    auto r = run("GNUPGHOME='" + home + "' gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key '" + name +
                 " <" + name + "@example.invalid>' ed25519 cert,sign never && GNUPGHOME='" + home +
                 "' gpg --batch --list-keys --with-colons '" + name + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto fpr = r.out.find("\nfpr:");
    std::string fp = r.out.substr(fpr + 1);
    fp = fp.substr(0, fp.find('\n'));
    fp.pop_back();  // trailing ':'
    fp = fp.substr(fp.rfind(':') + 1);
    auto add = run("GNUPGHOME='" + home + "' gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key " + fp +
                   " cv25519 encr never");
    EXPECT_EQ(add.exit_code, 0) << add.err;
    return fp;
}

std::string export_secret(const std::string& home, const std::string& fp) {
    auto r = run("GNUPGHOME='" + home + "' gpg --batch --pinentry-mode loopback --passphrase '' --armor --export-secret-keys " + fp);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

// The [g] keeps the shell running this pipeline from matching itself.
bool agent_running_for(const std::string& home) {
    return run("ps -eo args | grep '[g]pg-agent' | grep -qF -- '" + home + "'").exit_code == 0;
}

}  // namespace

TEST(Pgp, UpstreamFixturesDecryptWithUpstreamTestKey) {
    REQUIRE_CONFORMANCE(root);
    REQUIRE_PROGRAM("gpg");
    auto home = GnupgHome::create_temporary();
    auto fps = home->import_keys(read_file(root / "sops/pgp/sops_functional_tests_key.asc"));
    ASSERT_FALSE(fps.empty());
    KeyRing ring = ring_with(home);
    int decrypted = 0;
    for (const auto& e : fs::recursive_directory_iterator(root / "sops")) {
        std::string p = e.path().string();
        if (!fs::exists(p + ".datakey")) continue;
        SCOPED_TRACE(p);
        DecryptOptions opts;
        opts.ignore_mac = e.path().filename() == "no_mac.yaml";
        DecryptedFile dec = decrypt_document(read_file(p), format_from_path(p), ring, opts);
        std::string hex;
        for (unsigned char c : dec.data_key.view()) {
            static const char* d = "0123456789abcdef";
            hex += d[c >> 4];
            hex += d[c & 15];
        }
        std::string want = read_file(p + ".datakey");
        EXPECT_EQ(hex, want.substr(0, 64));
        ++decrypted;
    }
    EXPECT_GE(decrypted, 10);
}

TEST(Pgp, OurEncBlocksDecryptWithRealGpgAndBack) {
    REQUIRE_PROGRAM("gpg");
    fs::path dir = sopskit::test::make_temp_dir();
    std::string gnupghome = (dir / "gnupg").string();
    fs::create_directory(gnupghome);
    fs::permissions(gnupghome, fs::perms::owner_all, fs::perm_options::replace);
    std::string fp = generate_key(gnupghome, "sopskit-test");

    auto home = GnupgHome::create_temporary();
    home->import_keys(export_secret(gnupghome, fp));
    KeyRing ring = ring_with(home);

    EncryptRequest req;
    req.key_groups = {{{"pgp", fp, {}}}};
    req.rules.encrypted_regex = "^(data|stringData)$";
    std::string enc = encrypt_document("kind: Secret\nstringData:\n    password: hunter2\n", req, ring);
    EXPECT_EQ(enc.find("hunter2"), std::string::npos);
    EXPECT_NE(enc.find("fp: " + fp), std::string::npos);
    EXPECT_EQ(sopskit::test::metadata_shape(enc),
              "sops:\n"
              "    encrypted_regex: *\n"
              "    lastmodified: *\n"
              "    mac: *\n"
              "    pgp:\n"
              "        - created_at: *\n"
              "          enc: |\n"
              "          fp: *\n"
              "    version: *\n") << enc;

    // The enc block is a normal PGP message: the real gpg opens it with the original keyring.
    SplitFile split = load_encrypted(Format::Yaml, enc);
    std::string armored = split.metadata.find("pgp")->list[0].find("enc")->text;
    sopskit::test::write_file(dir / "enc.asc", armored);
    auto r = run("GNUPGHOME='" + gnupghome + "' gpg --batch --quiet -o '" + (dir / "key.bin").string() + "' -d '" +
                 (dir / "enc.asc").string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;

    DecryptedFile dec = decrypt_document(enc, Format::Yaml, ring);
    EXPECT_EQ(dec.branches[0][1].value.map[0].value.text, "hunter2");
    ASSERT_EQ(dec.data_key.size(), 32u);
    EXPECT_EQ(sopskit::test::read_file(dir / "key.bin"), dec.data_key.view()) << "gpg returns exactly the file's data key";
    run("gpgconf --homedir '" + gnupghome + "' --kill all");
}

TEST(Pgp, IsolatedHomeLeavesNoFilesAndNoAgent) {
    REQUIRE_CONFORMANCE(root);
    REQUIRE_PROGRAM("gpg");
    std::string path;
    {
        auto home = GnupgHome::create_temporary();
        path = home->path();
        EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
        home->import_keys(read_file(root / "sops/pgp/sops_functional_tests_key.asc"));
        KeyRing ring = ring_with(home);
        fs::path f = root / "sops/example.yaml";
        decrypt_document(read_file(f), Format::Yaml, ring);  // starts an agent in that home
        EXPECT_TRUE(fs::exists(path));
        EXPECT_TRUE(agent_running_for(path)) << "the check below would prove nothing";
    }
    EXPECT_FALSE(fs::exists(path)) << "the temporary GnuPG home was left behind";
    EXPECT_FALSE(agent_running_for(path)) << "a gpg-agent outlived the isolated keyring";
}

TEST(Pgp, NoMatchingSecretKeyReportsEachKeyTried) {
    REQUIRE_CONFORMANCE(root);
    REQUIRE_PROGRAM("gpg");
    auto home = GnupgHome::create_temporary();  // empty keyring
    KeyRing ring = ring_with(home);
    try {
        decrypt_document(read_file(root / "sops/example.yaml"), Format::Yaml, ring);
        FAIL() << "decrypted without a key";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::CouldNotRetrieveKey);
        std::string msg = e.what();
        EXPECT_NE(msg.find(kUpstreamKeyA), std::string::npos) << msg;
        EXPECT_NE(msg.find("D7229043384BCC60326C6FB9D8720D957C3D3074"), std::string::npos) << msg;
    }
}

TEST(Pgp, UnknownFingerprintIsAClearError) {
    REQUIRE_PROGRAM("gpg");
    auto home = GnupgHome::create_temporary();
    KeyRing ring = ring_with(home);
    EncryptRequest req;
    req.key_groups = {{{"pgp", "0000000000000000000000000000000000000000", {}}}};
    try {
        encrypt_document("a: b\n", req, ring);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
    }
}

TEST(Pgp, TwoPgpKeysAndOneAgeKeyEachDecryptAlone) {
    REQUIRE_PROGRAM("gpg");
    fs::path dir = sopskit::test::make_temp_dir();
    std::vector<std::string> fps, secrets;
    for (const char* n : {"one", "two"}) {
        std::string home = (dir / n).string();
        fs::create_directory(home);
        fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
        fps.push_back(generate_key(home, n));
        secrets.push_back(export_secret(home, fps.back()));
        run("gpgconf --homedir '" + home + "' --kill all");
    }
    auto all = GnupgHome::create_temporary();
    for (const auto& s : secrets) all->import_keys(s);
    auto age_id = age::X25519Identity::generate();
    age::IdentitySet age_ids;
    age_ids.add(age_id.clone());
    KeyRing writer;
    writer.add(make_pgp_key_source(all));
    writer.add(make_age_key_source(age_ids.clone()));
    EncryptRequest req;
    // Lower-case and spaced fingerprints resolve as gpg resolves them; sops keeps them space-free.
    std::string spaced = fps[1].substr(0, 4) + " " + fps[1].substr(4);
    for (char& c : spaced) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.key_groups = {{{"pgp", fps[0], {}}, {"pgp", spaced, {}}, {"age", age_id.recipient(), {}}}};
    std::string enc = encrypt_document("a: secret\n", req, writer);
    EXPECT_EQ(enc.find(" " + fps[1].substr(4)), std::string::npos) << "spaces are removed from fingerprints";

    for (int which = 0; which < 3; ++which) {
        SCOPED_TRACE(which);
        KeyRing ring;
        auto home = GnupgHome::create_temporary();
        if (which < 2) {
            home->import_keys(secrets[which]);
            ring.add(make_pgp_key_source(home));
            ring.add(make_age_key_source(age::IdentitySet{}));
        } else {
            ring.add(make_pgp_key_source(home));
            ring.add(make_age_key_source(age_ids.clone()));
        }
        DecryptedFile dec = decrypt_document(enc, Format::Yaml, ring);
        EXPECT_EQ(dec.branches[0][0].value.text, "secret");
    }
}

TEST(Pgp, OneKeyringDecryptsManyFilesInParallel) {
    REQUIRE_CONFORMANCE(root);
    REQUIRE_PROGRAM("gpg");
    auto home = GnupgHome::create_temporary();
    home->import_keys(read_file(root / "sops/pgp/sops_functional_tests_key.asc"));
    KeyRing ring = ring_with(home);
    std::string file = read_file(root / "sops/example.yaml");
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 5; ++i) {
                DecryptedFile dec = decrypt_document(file, Format::Yaml, ring);
                if (dec.branches[0][0].value.text == "t00m4nys3cr3tzupdated") ++ok;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 20);
}

TEST(Pgp, ExpiredKeyIsAClearError) {
    REQUIRE_PROGRAM("gpg");
    fs::path dir = sopskit::test::make_temp_dir();
    std::string home = (dir / "g").string();
    fs::create_directory(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    // A key made "in 2020" that expired a day later.
    auto gen = run("GNUPGHOME='" + home + "' gpg --batch --pinentry-mode loopback --passphrase '' --faked-system-time 20200101T000000 "
                   "--quick-gen-key 'expired <e@example.invalid>' ed25519 default 1d && GNUPGHOME='" + home +
                   "' gpg --batch --with-colons --list-keys expired");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    std::string fp = gen.out.substr(gen.out.find("\nfpr:") + 1);
    fp = fp.substr(0, fp.find('\n'));
    fp.pop_back();
    fp = fp.substr(fp.rfind(':') + 1);
    auto imported = GnupgHome::create_temporary();
    imported->import_keys(export_secret(home, fp));
    KeyRing ring = ring_with(imported);
    EncryptRequest req;
    req.key_groups = {{{"pgp", fp, {}}}};
    try {
        encrypt_document("a: b\n", req, ring);
        FAIL() << "encrypted to an expired key";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
    }
    run("gpgconf --homedir '" + home + "' --kill all");
}
