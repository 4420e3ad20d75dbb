// The controller's key sources (issue 20): the global age Secret (Flux's --sops-age-secret),
// several decryption Secrets, and a Kustomization without spec.decryption, in the library and
// in build, decrypt-manifests and krm.
#include <filesystem>

#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keygen.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

std::string encrypt_to(const age::X25519Identity& id, const std::string& yaml) {
    EncryptRequest req;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"age", id.recipient(), {}}}};
    KeyRing ring;
    ring.add(make_age_key_source(age::IdentitySet{}));
    return encrypt_document(yaml, req, ring);
}

std::string secret(const std::string& name, const std::string& ns, const std::string& value) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + (ns.empty() ? "" : "\n  namespace: " + ns) +
           "\nstringData:\n  password: " + value + "\n";
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(none)";
}

struct Cli {
    fs::path dir = sopskit::test::make_temp_dir();
    std::string cli = "'" + sopskit::test::cli_path() + "'";
    // A Secret manifest file in the test folder.
    std::string file(const std::string& name, const std::string& text) {
        write_file(dir / name, text);
        return "'" + (dir / name).string() + "'";
    }
    sopskit::test::RunResult operator()(const std::string& args, const std::string& in) const {
        // HOME and XDG_CONFIG_HOME in the test folder: no key of the machine's user is found.
        return run("HOME='" + dir.string() + "' XDG_CONFIG_HOME='" + dir.string() + "' SOPS_AGE_KEY= SOPS_AGE_KEY_FILE= " + cli + " " + args, in);
    }
};

}  // namespace

TEST(FluxKeySources, TheGlobalAgeSecretGivesOnlyItsAgeKeys) {
    auto id = age::X25519Identity::generate();
    std::string global = secret_manifest("sops-age", "flux-system",
                                         {{"global.agekey", id.encode() + "\n"}, {"sops.vault-token", "not-taken"}, {"bad.asc", "not a key"}});
    auto keys = DecryptionKeys::from_global_age_secret_manifest(global);
    EXPECT_FALSE(keys->vault_token) << "only *.agekey entries are read from the global Secret";
    Decryptor d(keys);
    EXPECT_NE(d.decrypt_manifests(encrypt_to(id, secret("db", "apps", "hunter2"))).find("password: hunter2"), std::string::npos);
    // Its own message when an age entry cannot be imported.
    EXPECT_EQ(error_of([] {
                  DecryptionKeys::from_global_age_secret_manifest(secret_manifest("sops-age", "flux-system", {{"bad.agekey", "nope\n"}}));
              }),
              "failed to import 'bad.agekey' data from sops SOPS age decryption Secret 'flux-system/sops-age': failed to parse and add "
              "to age identities: unknown identity type");
}

TEST(FluxKeySources, SeveralSecretsCombineTheirKeysButNotACredentialTwice) {
    auto a = age::X25519Identity::generate(), b = age::X25519Identity::generate();
    std::string two = secret_manifest("a", "apps", {{"age.agekey", a.encode() + "\n"}}) + "---\n" +
                      secret_manifest("b", "apps", {{"age.agekey", b.encode() + "\n"}, {"sops.vault-token", "t"}});
    auto keys = DecryptionKeys::from_secret_manifests({two});
    Decryptor d(keys);
    EXPECT_NE(d.decrypt_manifests(encrypt_to(a, secret("one", "apps", "from-a"))).find("from-a"), std::string::npos);
    EXPECT_NE(d.decrypt_manifests(encrypt_to(b, secret("two", "apps", "from-b"))).find("from-b"), std::string::npos);
    ASSERT_TRUE(keys->vault_token);
    // The same credential in two Secrets: refused, naming both.
    std::string third = secret_manifest("c", "ops", {{"sops.vault-token", "u"}});
    EXPECT_EQ(error_of([&] { DecryptionKeys::from_secret_manifests({two, third}); }),
              "'sops.vault-token' is given by both decryption Secrets 'apps/b' and 'ops/c': give each credential once");
    // An entry's error names its own Secret.
    std::string bad = secret_manifest("d", "ops", {{"x.agekey", "nope\n"}});
    EXPECT_EQ(error_of([&] { DecryptionKeys::from_secret_manifests({two, bad}); }).rfind(
                  "failed to import 'x.agekey' data from sops decryption Secret 'ops/d': ", 0),
              0u);
}

TEST(FluxKeySources, WithoutADecryptionSpecNothingIsDecrypted) {
    auto id = age::X25519Identity::generate();
    auto keys = DecryptionKeys::from_entries({{"age.agekey", id.encode() + "\n"}}, "apps/keys");
    DecryptorOptions off;
    off.decryption_configured = false;
    Decryptor d(keys, off);
    // Phase 1: the source stays encrypted.
    fs::path root = sopskit::test::make_temp_dir();
    std::string enc_env;
    {
        EncryptRequest req;
        req.input_format = req.output_format = Format::Dotenv;
        req.key_groups = {{{"age", id.recipient(), {}}}};
        KeyRing ring;
        ring.add(make_age_key_source(age::IdentitySet{}));
        enc_env = encrypt_document("K=v\n", req, ring);
    }
    write_file(root / "s.env", enc_env);
    write_file(root / "kustomization.yaml", "secretGenerator:\n  - name: s\n    envs: [s.env]\n");
    EXPECT_EQ(error_of([&] { d.decrypt_sources(root.string(), "."); }), "(none)");
    EXPECT_EQ(read_file(root / "s.env"), enc_env);
    // Phase 2 leaves resources; the guard then refuses the v1 Secret, named as Flux names it.
    std::string out = d.decrypt_manifests(encrypt_to(id, secret("db", "", "hunter2")));
    EXPECT_EQ(out.find("hunter2"), std::string::npos);
    EXPECT_EQ(error_of([&] { check_no_encrypted_secrets(load_plain(Format::Yaml, out)); }),
              "Secret/db is SOPS encrypted, configuring decryption is required for this secret to be reconciled");
    EXPECT_EQ(error_of([&] { check_no_encrypted_secrets(load_plain(Format::Yaml, encrypt_to(id, secret("db", "apps", "x")))); }),
              "Secret/apps/db is SOPS encrypted, configuring decryption is required for this secret to be reconciled");
    // With the guard on, decrypt_manifests refuses it itself.
    off.refuse_encrypted_secrets = true;
    EXPECT_EQ(error_of([&] { Decryptor(keys, off).decrypt_manifests(encrypt_to(id, secret("db", "", "hunter2"))); }),
              "Secret/db is SOPS encrypted, configuring decryption is required for this secret to be reconciled");
}

TEST(FluxKeySources, DecryptManifestsAndKrmFromTheCommandLine) {
    Cli c;
    auto mine = age::X25519Identity::generate(), other = age::X25519Identity::generate();
    std::string global = c.file("global.yaml", secret_manifest("sops-age", "flux-system", {{"g.agekey", mine.encode() + "\n"}}));
    std::string tenant = c.file("tenant.yaml", secret_manifest("sops-keys", "apps", {{"t.agekey", other.encode() + "\n"}}));
    std::string enc = encrypt_to(mine, secret("db", "apps", "hunter2"));
    // The global age Secret when no decryption Secret is named.
    auto r = c("decrypt-manifests --sops-age-secret " + global, enc);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("password: hunter2"), std::string::npos);
    // The Kustomization's Secret wins: the global key is not used.
    r = c("decrypt-manifests --decryption-secret " + tenant + " --sops-age-secret " + global, enc);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
    // Several decryption Secrets combine.
    std::string other_enc = encrypt_to(other, secret("db2", "apps", "swordfish"));
    std::string mine_as_secret = c.file("mine.yaml", secret_manifest("mine", "apps", {{"m.agekey", mine.encode() + "\n"}}));
    r = c("decrypt-manifests --decryption-secret " + tenant + " --decryption-secret " + mine_as_secret, enc + "---\n" + other_enc);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("hunter2"), std::string::npos);
    EXPECT_NE(r.out.find("swordfish"), std::string::npos);
    // No decryption spec: decrypt-manifests and krm refuse the Secret with Flux's text.
    std::string bare = encrypt_to(mine, secret("db", "", "hunter2"));
    r = c("decrypt-manifests --no-decryption --sops-age-secret " + global, bare);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Secret/db is SOPS encrypted, configuring decryption is required for this secret to be reconciled"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
    std::string list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n";
    for (std::size_t p = 0; p < bare.size();) {
        std::size_t nl = bare.find('\n', p);
        list += (p == 0 ? "- " : "  ") + bare.substr(p, nl - p) + "\n";
        p = nl + 1;
    }
    r = c("krm --no-decryption", list);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Secret/db is SOPS encrypted"), std::string::npos) << r.err;
    // A resource that is not a v1 Secret goes through as it is, still encrypted; so does a
    // Secret opted out with the decrypt: disabled annotation.
    std::string cm = encrypt_to(mine, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n");
    r = c("decrypt-manifests --no-decryption", cm);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("sops:"), std::string::npos);
    std::string opted = encrypt_to(mine, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: o\n  annotations:\n    "
                                         "kustomize.toolkit.fluxcd.io/decrypt: disabled\nstringData:\n  k: v\n");
    r = c("decrypt-manifests --no-decryption", opted);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // --no-decryption and a decryption Secret contradict each other.
    r = c("decrypt-manifests --no-decryption --decryption-secret " + tenant, enc);
    EXPECT_NE(r.exit_code, 0);
    // With decryption configured, a v1 Secret whose sops section has no MAC is not decrypted
    // (Flux's isSOPSEncryptedResource) and the guard refuses it.
    r = c("decrypt-manifests --sops-age-secret " + global, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: half\nsops:\n  version: 3.9.0\n");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Secret/half is SOPS encrypted"), std::string::npos) << r.err;
}

TEST(FluxKeySources, BuildWithoutADecryptionSpec) {
    REQUIRE_PROGRAM("kubectl");
    Cli c;
    auto id = age::X25519Identity::generate();
    fs::path repo = c.dir / "repo";
    fs::create_directories(repo);
    std::string enc = encrypt_to(id, secret("db", "apps", "hunter2"));
    write_file(repo / "db.yaml", enc);
    write_file(repo / "kustomization.yaml", "resources:\n  - db.yaml\n");
    std::string keys = c.file("keys.yaml", secret_manifest("sops-age", "flux-system", {{"a.agekey", id.encode() + "\n"}}));
    auto r = c("build '" + repo.string() + "' --sops-age-secret " + keys, "");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("password: hunter2"), std::string::npos);
    r = c("build '" + repo.string() + "' --no-decryption --sops-age-secret " + keys, "");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("Secret/apps/db is SOPS encrypted, configuring decryption is required for this secret to be reconciled"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
    EXPECT_EQ(read_file(repo / "db.yaml"), enc);
}
