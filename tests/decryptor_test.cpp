// The controller-side decryptor: decryption Secrets, Flux's two phases, the cache, and the
// seed's fleet repository built with the real kubectl kustomize.
#include <filesystem>

#include "core/base64.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keygen.hpp"
#include "sopskit/pgp_keys.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

struct AgeFixture {
    age::X25519Identity id = age::X25519Identity::generate();
    KeyRing writer() const {
        KeyRing r;
        age::IdentitySet ids;
        ids.add(id.clone());
        r.add(make_age_key_source(std::move(ids)));
        return r;
    }
    std::string encrypt(const std::string& yaml, Format f = Format::Yaml, const std::string& regex = "^(data|stringData)$") const {
        EncryptRequest req;
        req.input_format = req.output_format = f;
        req.rules.encrypted_regex = regex;
        req.key_groups = {{{"age", id.recipient(), {}}}};
        KeyRing r = writer();
        return encrypt_document(yaml, req, r);
    }
    std::shared_ptr<DecryptionKeys> keys() const {
        return DecryptionKeys::from_entries({{"identity.agekey", "# created: now\n# public key: x\n" + id.encode() + "\n"}}, "flux-system/sops-age");
    }
};

const char* kSecret =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\ndata:\n  password: aHVudGVyMg==\nstringData:\n  user: admin\n";

}  // namespace

TEST(DecryptionKeys, FluxNamingConventionsAndErrors) {
    AgeFixture a;
    std::string manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-keys\n  namespace: flux-system\ndata:\n  age.agekey: " +
                           detail::base64_encode(a.id.encode() + "\n") + "\nstringData:\n  sops.vault-token: \" s.token \\n\"\n  keys.txt: ignored\n";
    auto keys = DecryptionKeys::from_secret_manifest(manifest);
    ASSERT_TRUE(keys->vault_token);
    EXPECT_EQ(*keys->vault_token, "s.token");
    Decryptor d(keys);
    std::string out = d.decrypt_manifests(a.encrypt(kSecret));
    EXPECT_NE(out.find("user: admin"), std::string::npos);
    try {
        DecryptionKeys::from_entries({{"bad.agekey", "not a key\n"}}, "flux-system/sops-age");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("failed to import 'bad.agekey' data from sops decryption Secret 'flux-system/sops-age': ", 0), 0u)
            << e.what();
    }
}

// Documents are parsed, decrypted and emitted one per core when the stream can be split at
// its "---" lines; streams that cannot (directives, "...") take the whole-stream path. Both
// give the same output, and the first failing document in stream order is the one reported.
TEST(DecryptorPhase2, PerDocumentAndWholeStreamPathsAgree) {
    AgeFixture a;
    std::string stream = "---\n";
    for (int i = 0; i < 12; ++i) {
        std::string s = kSecret;
        s.replace(s.find("name: db"), 8, "name: db" + std::to_string(i));
        stream += a.encrypt(s) + "---\n# between documents\n";
    }
    stream += "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  note: |\n    line one\n    line two\n";
    Decryptor d(a.keys(), DecryptorOptions{false, nullptr, 2});
    std::string split = d.decrypt_manifests(stream);
    std::string whole = d.decrypt_manifests("%YAML 1.2\n" + stream);
    EXPECT_EQ(split, whole);
    EXPECT_NE(split.find("name: db11"), std::string::npos);
    EXPECT_EQ(split.find("ENC["), std::string::npos);
    std::string broken = stream;
    broken.replace(broken.find("name: db3"), 9, "name: db3");
    auto p3 = broken.find("data:", broken.find("name: db3"));
    broken.replace(broken.find("ENC[AES256_GCM,data:", p3) + 20, 1, "#");
    auto p7 = broken.find("data:", broken.find("name: db7"));
    broken.replace(broken.find("ENC[AES256_GCM,data:", p7) + 20, 1, "#");
    try {
        d.decrypt_manifests(broken);
        FAIL() << "tampered documents must fail";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("db3"), std::string::npos) << e.what();
    }
}

TEST(DecryptorPhase2, DecryptsAnyKindLikeFluxWithoutTheMac) {
    AgeFixture a;
    std::string secret = a.encrypt(kSecret);
    std::string cm = a.encrypt("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: apps\ndata:\n  key: value\n");
    // What kustomize does to resources: namespace and labels rewritten. The MAC no longer matches.
    std::string rewritten = secret;
    rewritten.replace(rewritten.find("namespace: apps"), 15, "namespace: prod");
    std::string stream = rewritten + "---\n" + cm + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: plain\n  created: 2024-01-01\n";
    Decryptor d(a.keys());
    std::string out = d.decrypt_manifests(stream);
    EXPECT_NE(out.find("password: aHVudGVyMg=="), std::string::npos) << "data stays base64 text\n" << out;
    EXPECT_NE(out.find("user: admin"), std::string::npos);
    EXPECT_NE(out.find("key: value"), std::string::npos) << "kind-agnostic";
    // Through JSON (as Flux decrypts) a timestamp is a string, so it comes out quoted.
    EXPECT_NE(out.find("created: \"2024-01-01\"\n"), std::string::npos) << "plain resources pass through\n" << out;
    EXPECT_EQ(out.find("sops:"), std::string::npos);
    EXPECT_EQ(out.find("ENC["), std::string::npos);
    Decryptor strict(a.keys(), DecryptorOptions{true, nullptr, 0});
    try {
        strict.decrypt_manifests(rewritten);
        FAIL() << "the MAC check was asked for";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("failed to verify sops data integrity"), std::string::npos) << e.what();
    }
}

TEST(DecryptorPhase2, EmbeddedPayloadsOptOutGuardAndErrors) {
    AgeFixture a;
    std::string env = a.encrypt("DB_PASSWORD=hunter2\n", Format::Dotenv, "");
    std::string generated = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gen\n  namespace: apps\ndata:\n  app.env: " +
                            detail::base64_encode(env) + "\n  plain: " + detail::base64_encode("just text") + "\n";
    std::string disabled = a.encrypt(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: later\n  namespace: apps\n  annotations:\n    kustomize.toolkit.fluxcd.io/decrypt: Disabled\nstringData:\n  k: v\n",
        Format::Yaml, "^stringData$");
    Decryptor d(a.keys());
    std::string out = d.decrypt_manifests(generated + "---\n" + disabled);
    EXPECT_NE(out.find("app.env: " + detail::base64_encode("DB_PASSWORD=hunter2\n")), std::string::npos) << out;
    EXPECT_NE(out.find("plain: " + detail::base64_encode("just text")), std::string::npos);
    EXPECT_NE(out.find("sops:"), std::string::npos) << "the opt-out annotation leaves the resource encrypted";
    // The apply guard exempts opted-out Secrets but not others.
    Branches leftover = load_plain(Format::Yaml, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\nsops:\n  mac: \"\"\n");
    try {
        check_no_encrypted_secrets(leftover);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "Secret/n/s is SOPS encrypted, configuring decryption is required for this secret to be reconciled");
    }
    // Without the key: Flux's error shape, naming the resource and no plaintext.
    AgeFixture other;
    try {
        Decryptor(other.keys()).decrypt_manifests(a.encrypt(kSecret));
        FAIL();
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_EQ(msg.rfind("decryption failed for 'Secret.v1.[noGrp]/db': failed to decrypt and format 'apps/db' Secret data: cannot get sops data key: ", 0), 0u) << msg;
        EXPECT_EQ(msg.find("admin"), std::string::npos);
    }
}

TEST(DecryptorCache, WarmReconcileSkipsTheUnwrapAndNeverCrossesKeySets) {
    AgeFixture a;
    std::string stream;
    for (int i = 0; i < 20; ++i) stream += a.encrypt(std::string(kSecret).replace(std::string(kSecret).find("name: db"), 8, "name: db" + std::to_string(i))) + "---\n";
    DataKeyCache cache(100, std::chrono::seconds(60));
    Decryptor d(a.keys(), DecryptorOptions{false, &cache, 0});
    std::string first = d.decrypt_manifests(stream);
    EXPECT_EQ(cache.size(), 20u);
    EXPECT_EQ(cache.hits(), 0u);
    EXPECT_EQ(d.decrypt_manifests(stream), first);
    EXPECT_EQ(cache.hits(), 20u);
    AgeFixture other;
    Decryptor stranger(other.keys(), DecryptorOptions{false, &cache, 0});
    EXPECT_THROW(stranger.decrypt_manifests(stream), Error) << "a cached data key must not serve another key set";
    DataKeyCache tiny(2, std::chrono::seconds(60));
    Decryptor small(a.keys(), DecryptorOptions{false, &tiny, 1});
    small.decrypt_manifests(stream);
    EXPECT_EQ(tiny.size(), 2u) << "bounded";
}

TEST(DecryptorPhase1, GeneratorSourcesDecryptedInPlaceAndClampedToTheRoot) {
    AgeFixture a;
    fs::path root = sopskit::test::make_temp_dir();
    fs::create_directories(root / "app/secrets");
    write_file(root / "outside.env", a.encrypt("LEAK=1\n", Format::Dotenv, ""));
    write_file(root / "app/secrets/db.env", a.encrypt("DB=secret\n", Format::Dotenv, ""));
    write_file(root / "app/secrets/cfg.yaml", a.encrypt("token: abc\n", Format::Yaml, ""));
    write_file(root / "app/plain.txt", "not sops\n");
    write_file(root / "app/kustomization.yaml",
               "resources: []\nsecretGenerator:\n  - name: db\n    envs: [secrets/db.env]\n    files: [config.yaml=secrets/cfg.yaml, plain.txt]\n");
    Decryptor d(a.keys());
    d.decrypt_sources(root.string(), "app");
    EXPECT_EQ(read_file(root / "app/secrets/db.env"), "DB=secret\n");
    EXPECT_EQ(read_file(root / "app/secrets/cfg.yaml"), "token: abc\n");
    EXPECT_EQ(read_file(root / "app/plain.txt"), "not sops\n");
    EXPECT_EQ(fs::status(root / "app/secrets/db.env").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);

    // `..` above the root and a symlink out of it are clamped inside the root.
    fs::path repo = root / "repo";
    fs::create_directories(repo / "app");
    write_file(repo / "app/kustomization.yaml", "secretGenerator:\n  - name: x\n    envs: [../../../outside.env]\n");
    EXPECT_THROW(d.decrypt_sources(repo.string(), "app"), Error);
    EXPECT_NE(read_file(root / "outside.env").find("sops_mac=ENC["), std::string::npos) << "a file outside the root was touched";
    fs::create_symlink(root / "outside.env", repo / "app/link.env");
    write_file(repo / "app/kustomization.yaml", "secretGenerator:\n  - name: x\n    envs: [link.env]\n");
    try {
        d.decrypt_sources(repo.string(), "app");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("error decrypting sources: lstat ", 0), 0u) << e.what();
    }
    EXPECT_NE(read_file(root / "outside.env").find("sops_mac=ENC["), std::string::npos);
    // A large file and a folder are refused.
    write_file(repo / "app/big.env", std::string(6 << 20, 'x'));
    write_file(repo / "app/kustomization.yaml", "secretGenerator:\n  - name: x\n    envs: [big.env]\n");
    try {
        d.decrypt_sources(repo.string(), "app");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("exceeding limit (5242880)"), std::string::npos) << e.what();
    }
    fs::create_directory(repo / "app/dir.env");
    write_file(repo / "app/kustomization.yaml", "secretGenerator:\n  - name: x\n    envs: [dir.env]\n");
    EXPECT_THROW(d.decrypt_sources(repo.string(), "app"), Error);
}

// The seed: a fleet repo with an encrypted tenant git secret, built with kubectl kustomize.
TEST(SeedRepository, SopskitBuildDecryptsTheTenantSecretWithPgpAndAge) {
    REQUIRE_PROGRAM("kubectl");
    REQUIRE_PROGRAM("gpg");
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path repo = dir / "fleet";
    fs::create_directories(repo / "tenants/base/dev-team");
    fs::create_directories(repo / "tenants/staging");
    fs::create_directories(repo / "clusters/staging");
    GeneratedPgpKey pgp = generate_pgp_key("cluster0", "ed25519");
    auto writer_home = GnupgHome::create_temporary();
    writer_home->import_keys(pgp.armored_public);
    KeyRing writer;
    writer.add(make_pgp_key_source(writer_home));
    std::string auth = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: dev-team-auth\n  namespace: apps\nstringData:\n"
                       "  identity: |\n    -----BEGIN PRIVATE KEY-----\n    MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCh\n    -----END PRIVATE KEY-----\n"
                       "  known_hosts: github.com ecdsa-sha2-nistp256 AAAAE2VjZHNh\n";
    EncryptRequest req;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"pgp", pgp.fingerprint, {}}}};
    write_file(repo / "tenants/base/dev-team/auth.yaml", encrypt_document(auth, req, writer));
    write_file(repo / "tenants/base/dev-team/rbac.yaml",
               "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n");
    write_file(repo / "tenants/base/dev-team/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                                                  "namespace: apps\nresources:\n  - rbac.yaml\n  - auth.yaml\n");
    write_file(repo / "tenants/staging/kustomization.yaml",
               "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/dev-team\n"
               "commonLabels:\n  env: staging\n");
    std::string secret_yaml = secret_manifest("sops-gpg", "flux-system", {{"sops.asc", pgp.armored_secret.view()}});
    write_file(dir / "sops-gpg.yaml", secret_yaml);
    std::string cli = "'" + sopskit::test::cli_path() + "'";
    auto built = run(cli + " build '" + (repo / "tenants/staging").string() + "' --root '" + repo.string() +
                     "' --decryption-secret '" + (dir / "sops-gpg.yaml").string() + "'");
    ASSERT_EQ(built.exit_code, 0) << built.err;
    EXPECT_NE(built.out.find("    -----BEGIN PRIVATE KEY-----\n"), std::string::npos) << built.out;
    EXPECT_NE(built.out.find("known_hosts: github.com ecdsa-sha2-nistp256 AAAAE2VjZHNh"), std::string::npos);
    EXPECT_NE(built.out.find("env: staging"), std::string::npos) << "kustomize really ran";
    EXPECT_EQ(built.out.find("sops:"), std::string::npos);
    EXPECT_EQ(read_file(repo / "tenants/base/dev-team/auth.yaml").find("BEGIN PRIVATE KEY"), std::string::npos)
        << "the repository itself stays encrypted";

    // An age decryption Secret that does not hold the key: Flux's message.
    auto other = age::X25519Identity::generate();
    write_file(dir / "sops-age.yaml", secret_manifest("sops-age", "flux-system", {{"age.agekey", other.encode() + "\n"}}));
    auto failed = run(cli + " build '" + (repo / "tenants/staging").string() + "' --root '" + repo.string() +
                      "' --decryption-secret '" + (dir / "sops-age.yaml").string() + "'");
    EXPECT_EQ(failed.exit_code, 128) << failed.err;
    EXPECT_NE(failed.err.find("decryption failed for 'Secret.v1.[noGrp]/dev-team-auth'"), std::string::npos) << failed.err;
    EXPECT_EQ(failed.err.find("BEGIN PRIVATE KEY"), std::string::npos);
}

namespace {

// An encrypted Secret and a wrapper that runs `sopskit krm` (exec functions get no arguments).
struct KrmFixture {
    AgeFixture a;
    fs::path dir = sopskit::test::make_temp_dir();
    std::string wrapper = (dir / "sopskit-krm").string();
    std::string env = "SOPS_AGE_KEY_FILE='" + (dir / "key.txt").string() + "' ";
    KrmFixture() {
        write_file(dir / "key.txt", a.id.encode() + "\n");
        write_file(dir / "secret.yaml", a.encrypt(kSecret));
        write_file(wrapper, "#!/bin/sh\nexec '" + sopskit::test::cli_path() + "' krm\n");
        fs::permissions(wrapper, fs::perms::owner_all);
    }
};

}  // namespace

TEST(KrmFunction, DecryptsAResourceList) {
    KrmFixture k;
    std::string list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n";
    std::string enc = k.a.encrypt(kSecret);
    std::string indented;
    for (std::size_t p = 0; p < enc.size();) {
        std::size_t nl = enc.find('\n', p);
        indented += (p == 0 ? "- " : "  ") + enc.substr(p, nl - p) + "\n";
        p = nl + 1;
    }
    auto direct = run(k.env + k.wrapper, list + indented);
    ASSERT_EQ(direct.exit_code, 0) << direct.err;
    EXPECT_NE(direct.out.find("kind: ResourceList"), std::string::npos);
    EXPECT_NE(direct.out.find("user: admin"), std::string::npos) << direct.out;
    EXPECT_EQ(direct.out.find("sops:"), std::string::npos);
}

TEST(KrmFunction, WorksWithKptFnEval) {
    REQUIRE_PROGRAM("kpt");
    KrmFixture k;
    fs::create_directory(k.dir / "pkg");
    fs::copy_file(k.dir / "secret.yaml", k.dir / "pkg/secret.yaml");
    auto kpt = run(k.env + "kpt fn eval '" + (k.dir / "pkg").string() + "' --exec '" + k.wrapper + "' --output unwrap");
    EXPECT_EQ(kpt.exit_code, 0) << kpt.err;
    EXPECT_NE(kpt.out.find("user: admin"), std::string::npos) << kpt.out << kpt.err;
    EXPECT_EQ(kpt.out.find("sops:"), std::string::npos);
}

TEST(KrmFunction, WorksAsAKustomizeExecTransformer) {
    // kustomize exec transformers need --enable-exec, which kubectl's embedded kustomize lacks:
    // this needs the standalone kustomize (not packaged by Debian), else it is reported Skipped.
    std::string kustomize;
    if (sopskit::test::have_program("kustomize")) kustomize = "kustomize build --enable-alpha-plugins --enable-exec";
    else if (sopskit::test::have_program("kubectl") && run("kubectl kustomize --help").out.find("--enable-exec") != std::string::npos)
        kustomize = "kubectl kustomize --enable-alpha-plugins --enable-exec";
    if (kustomize.empty()) GTEST_SKIP() << "no kustomize with --enable-exec installed (kubectl's embedded kustomize has none)";
    KrmFixture k;
    write_file(k.dir / "decrypt.yaml", "apiVersion: sopskit.io/v1\nkind: Decrypt\nmetadata:\n  name: decrypt\n  annotations:\n"
                                       "    config.kubernetes.io/function: |\n      exec:\n        path: " + k.wrapper + "\n");
    write_file(k.dir / "kustomization.yaml", "resources:\n  - secret.yaml\ntransformers:\n  - decrypt.yaml\n");
    auto out = run(k.env + kustomize + " '" + k.dir.string() + "'");
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_NE(out.out.find("user: admin"), std::string::npos) << out.out;
}

TEST(DecryptorServe, LongRunningModeAnswersEachStreamAndReusesDataKeys) {
    AgeFixture a;
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "keys.yaml", secret_manifest("sops-age", "flux-system", {{"age.agekey", a.id.encode() + "\n"}}));
    std::string stream = a.encrypt(kSecret);
    std::string input = stream + std::string(1, '\0') + stream + std::string(1, '\0') + "kind: [broken" + std::string(1, '\0');
    auto r = run("'" + sopskit::test::cli_path() + "' decrypt-manifests --serve --decryption-secret '" + (dir / "keys.yaml").string() + "'", input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> answers;
    for (std::size_t p = 0, nul; (nul = r.out.find('\0', p)) != std::string::npos; p = nul + 1) answers.push_back(r.out.substr(p, nul - p));
    ASSERT_EQ(answers.size(), 3u);
    EXPECT_NE(answers[0].find("user: admin"), std::string::npos);
    EXPECT_EQ(answers[0], answers[1]);
    EXPECT_EQ(answers[2].rfind("error: ", 0), 0u);
    EXPECT_NE(r.err.find("served 3 streams, 1 data keys from the cache"), std::string::npos) << r.err;
}
