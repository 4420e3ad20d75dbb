// sopskit keygen: the seed's cluster-key steps in one command each, proven by decrypting with
// the key taken back out of the emitted decryption Secret.
#include <filesystem>
#include <thread>

#include "core/base64.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/format.hpp"
#include "sopskit/pgp_keys.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {
// The single data entry of a Secret manifest, base64-decoded.
std::string secret_entry(const std::string& manifest, const std::string& key) {
    Branch doc = load_plain(Format::Yaml, manifest).at(0);
    for (const auto& item : doc)
        if (item.key.text == "data") {
            const Value* v = item.value.find(key);
            EXPECT_NE(v, nullptr) << manifest;
            return v ? detail::base64_decode(v->text).value_or("") : "";
        }
    return {};
}
}  // namespace

TEST(Keygen, PgpKeyGoesIntoTheSecretAndDecryptsInAnIsolatedKeyring) {
    REQUIRE_PROGRAM("gpg");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path home = dir / "admin-gnupg";
    fs::create_directory(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    std::string env = "GNUPGHOME='" + home.string() + "' ";
    std::string cli = env + "'" + sopskit::test::cli_path() + "' ";
    auto gen = run(cli + "keygen pgp --name cluster0.example.com --algorithm ed25519 --decryption-secret sops-gpg");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    EXPECT_NE(gen.out.find("name: sops-gpg"), std::string::npos);
    EXPECT_NE(gen.out.find("namespace: flux-system"), std::string::npos);
    std::string fp = gen.err.substr(gen.err.find("fingerprint: ") + 13, 40);
    std::string armored = secret_entry(gen.out, "sops.asc");
    EXPECT_EQ(armored.rfind("-----BEGIN PGP PRIVATE KEY BLOCK-----", 0), 0u);
    // The admin's keyring has the public key only.
    auto secret_list = run(env + "gpg --batch --list-secret-keys " + fp);
    EXPECT_NE(secret_list.exit_code, 0) << "keygen must not leave the private key in the user's keyring";

    write_file(dir / "auth.yaml", "kind: Secret\nstringData:\n    password: hunter2\n");
    auto enc = run(cli + "-e -i --encrypted-regex '^(data|stringData)$' --pgp " + fp + " '" + (dir / "auth.yaml").string() + "'");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;

    // The controller: the key from the Secret into an isolated keyring, then decrypt.
    auto ctl = GnupgHome::create_temporary();
    ctl->import_keys(armored);
    KeyRing ring;
    ring.add(make_pgp_key_source(ctl));
    DecryptedFile dec = decrypt_document(read_file(dir / "auth.yaml"), Format::Yaml, ring);
    EXPECT_EQ(dec.branches[0][1].value.map[0].value.text, "hunter2");
    run("gpgconf --homedir '" + home.string() + "' --kill all");
}

TEST(Keygen, AgeKeyInTheSecretDecrypts) {
    fs::path dir = sopskit::test::make_temp_dir();
    auto gen = run("'" + sopskit::test::cli_path() + "' keygen age --decryption-secret sops-age -n apps --output '" +
                   (dir / "keys.txt").string() + "'");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    std::string recipient = gen.err.substr(gen.err.find("age1"), 62);
    std::string keys = secret_entry(gen.out, "age.agekey");
    EXPECT_EQ(keys, read_file(dir / "keys.txt"));
    EXPECT_EQ(fs::status(dir / "keys.txt").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    age::IdentitySet ids;
    ids.add_from_text(keys);
    ASSERT_EQ(ids.x25519().size(), 1u);
    EXPECT_EQ(ids.x25519()[0].recipient(), recipient);
}
