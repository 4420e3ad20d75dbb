// kustomize-controller's internal/decryptor/decryptor_test.go, table case by table case, as
// sopskit's library and CLI express them (fluxcd/kustomize-controller, read for behaviour; no
// code taken). Each case carries the upstream test and case name. Cases that cannot be
// expressed here are listed in docs/decryptor.md ("Flux's decryptor tests") with the reason;
// the cloud credential cases of TestDecryptor_ImportKeys are in kms_flux_cases_test.cpp.
#include <sys/stat.h>

#include <filesystem>
#include <functional>

#include "core/base64.hpp"
#include "decryptor/decryptor_internal.hpp"
#include "decryptor/root_folder.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_hybrid.hpp"
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

// The upstream tests' age identity and their sopsEncryptWithFormat.
struct Age {
    age::X25519Identity id = age::X25519Identity::generate();
    std::string encrypt(const std::string& plain, Format in, Format out, const std::string& regex = "") const {
        return encrypt_to(id.recipient(), plain, in, out, regex);
    }
    static std::string encrypt_to(const std::string& recipient, const std::string& plain, Format in, Format out,
                                  const std::string& regex = "") {
        EncryptRequest req;
        req.input_format = in;
        req.output_format = out;
        req.rules.encrypted_regex = regex;
        req.key_groups = {{{"age", recipient, {}}}};
        KeyRing ring;
        ring.add(make_age_key_source(age::IdentitySet{}));
        return encrypt_document(plain, req, ring);
    }
    std::shared_ptr<DecryptionKeys> keys() const { return DecryptionKeys::from_entries({{"age.agekey", id.encode() + "\n"}}, "sops/age-secret"); }
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(none)";
}

DecryptorOptions with_mac_check() {
    DecryptorOptions o;
    o.check_mac = true;
    return o;
}

DecryptorOptions not_configured() {
    DecryptorOptions o;
    o.decryption_configured = false;
    return o;
}

const std::string kSecretJson = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"secret\",\"namespace\":\"test\"},\"data\":{\"key\":\"value\"}}";

// A v1 Secret `test/<name>` with one data entry.
std::string secret_with_entry(const std::string& name, const std::string& key, const std::string& value) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: test\ndata:\n  " + key + ": " +
           detail::base64_encode(value) + "\n";
}

}  // namespace

// ---- TestIsEncryptedSecret --------------------------------------------------------------

TEST(FluxDecryptorCases, IsEncryptedSecret) {
    auto guard = [](const std::string& yaml) { return error_of([&] { check_no_encrypted_secrets(load_plain(Format::Yaml, yaml)); }); };
    // "encrypted secret": a v1 Secret with any `sops` field (no name, no namespace: "Secret/").
    EXPECT_EQ(guard("apiVersion: v1\nkind: Secret\nsops: true\n"),
              "Secret/ is SOPS encrypted, configuring decryption is required for this secret to be reconciled");
    // "decrypted secret", "other resource".
    EXPECT_EQ(guard("apiVersion: v1\nkind: Secret\n"), "(none)");
    EXPECT_EQ(guard("apiVersion: v1\nkind: Deployment\nsops: true\n"), "(none)");
}

// ---- TestDecryptor_ImportKeys -----------------------------------------------------------

TEST(FluxDecryptorCases, ImportKeysPgpKey) {
    REQUIRE_PROGRAM("gpg");
    // "PGP key": the armored key imports, and opens what was encrypted to it.
    GeneratedPgpKey pgp = generate_pgp_key("flux", "ed25519");
    auto keys = DecryptionKeys::from_entries({{"pgp.asc", std::string(pgp.armored_secret.view())}}, "sops/pgp-secret");
    auto writer_home = GnupgHome::create_temporary();
    writer_home->import_keys(pgp.armored_public);
    KeyRing writer;
    writer.add(make_pgp_key_source(writer_home));
    EncryptRequest req;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"pgp", pgp.fingerprint, {}}}};
    std::string enc = encrypt_document(secret_with_entry("s", "k", "pgp-opened"), req, writer);
    EXPECT_NE(Decryptor(keys).decrypt_manifests(enc).find(detail::base64_encode("pgp-opened")), std::string::npos);
    // "PGP key import error".
    EXPECT_EQ(error_of([] { DecryptionKeys::from_entries({{"pgp.asc", "not-a-valid-armored-key"}}, "sops/pgp-secret"); })
                  .rfind("failed to import 'pgp.asc' data from sops decryption Secret 'sops/pgp-secret': ", 0),
              0u);
}

TEST(FluxDecryptorCases, ImportKeysAge) {
    Age a;
    // "age key": one identity, which opens a file encrypted to it.
    std::string enc = a.encrypt(secret_with_entry("s", "k", "age-opened"), Format::Yaml, Format::Yaml, "^data$");
    EXPECT_NE(Decryptor(a.keys()).decrypt_manifests(enc).find(detail::base64_encode("age-opened")), std::string::npos);
    // "age key import error": sops' ParsedIdentities.Import refuses the entry, so does Flux.
    EXPECT_EQ(error_of([] { DecryptionKeys::from_entries({{"age.agekey", "not-a-valid-key"}}, "sops/age-secret"); }),
              "failed to import 'age.agekey' data from sops decryption Secret 'sops/age-secret': failed to parse and add to age "
              "identities: unknown identity type");
}

TEST(FluxDecryptorCases, ImportKeysVaultTokenAndSeveralEntries) {
    Age a;
    // "HC Vault token".
    auto vault = DecryptionKeys::from_entries({{"sops.vault-token", "some-hcvault-token"}}, "sops/hcvault-secret");
    ASSERT_TRUE(vault->vault_token);
    EXPECT_EQ(*vault->vault_token, "some-hcvault-token");
    // "multiple Secret data entries": both the token and the age identity are taken.
    auto both = DecryptionKeys::from_entries({{"age.agekey", a.id.encode() + "\n"}, {"sops.vault-token", "some-hcvault-token"}},
                                             "sops/multiple-secret");
    ASSERT_TRUE(both->vault_token);
    EXPECT_FALSE(both->vault_token->empty());
    std::string enc = a.encrypt(secret_with_entry("s", "k", "v"), Format::Yaml, Format::Yaml, "^data$");
    EXPECT_NO_THROW(Decryptor(both).decrypt_manifests(enc));
}

TEST(FluxDecryptorCases, ImportKeysWithoutASecret) {
    Age a;
    std::string enc = a.encrypt(secret_with_entry("s", "k", "v"), Format::Yaml, Format::Yaml, "^data$");
    // "no Decryption spec" and "unimplemented Decryption Provider": nothing is imported and
    // nothing fails; the resource is left as it is.
    Decryptor none(std::make_shared<DecryptionKeys>(), not_configured());
    std::string out;
    EXPECT_NO_THROW(out = none.decrypt_manifests(enc));
    EXPECT_NE(out.find("sops:"), std::string::npos);
    // "no Decryption Secret": an empty key set imports without error.
    EXPECT_NO_THROW(DecryptionKeys::from_entries({}, ""));
    // "non-existing Decryption Secret": the CLI's Secret file is not there.
    fs::path dir = sopskit::test::make_temp_dir();
    auto r = run("'" + sopskit::test::cli_path() + "' decrypt-manifests --decryption-secret '" + (dir / "does-not-exist.yaml").string() + "'",
                 enc);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("does-not-exist.yaml"), std::string::npos) << r.err;
}

// ---- TestDecryptor_SopsDecryptWithFormat ------------------------------------------------
// SopsDecryptWithFormat is reached through a Secret data entry: the payload's format comes
// from its marker bytes, the output format from the entry's name.

namespace {

std::string decrypted_entry(const Decryptor& d, const std::string& key, const std::string& payload) {
    std::string out = d.decrypt_manifests(secret_with_entry("secret-data", key, payload));
    std::string marker = key + ": ";
    auto at = out.find(marker);
    if (at == std::string::npos) return "(no entry)";
    at += marker.size();
    auto text = detail::base64_decode(out.substr(at, out.find('\n', at) - at));
    return text ? *text : "(not base64)";
}

}  // namespace

TEST(FluxDecryptorCases, SopsDecryptWithFormat) {
    Age a;
    Decryptor checked(a.keys(), with_mac_check());
    // "decrypt INI to INI" (with the MAC checked).
    std::string ini = a.encrypt("[config]\nkey = value\n", Format::Ini, Format::Ini);
    ASSERT_NE(ini.find("[sops]"), std::string::npos);
    EXPECT_EQ(decrypted_entry(checked, "file.ini", ini), "[config]\nkey = value\n");
    // "decrypt JSON to YAML".
    std::string json = a.encrypt("{\"key\": \"value\"}\n", Format::Json, Format::Json);
    EXPECT_EQ(decrypted_entry(checked, "file.yaml", json), "key: value\n");
    // "invalid JSON data": marker bytes, but not a JSON document.
    std::string err = error_of([&] { checked.decrypt_manifests(secret_with_entry("s", "file.json", "\"mac\": \"ENC[ invalid json")); });
    EXPECT_NE(err.find("failed to load encrypted JSON data"), std::string::npos) << err;
    // "no data key": a binary file no identity at hand opens.
    Decryptor keyless(DecryptionKeys::from_entries({}, "sops/empty"));
    std::string bin = a.encrypt("foo bar", Format::Binary, Format::Binary);
    err = error_of([&] { keyless.decrypt_manifests(secret_with_entry("s", "file.bin", bin)); });
    EXPECT_NE(err.find("cannot get sops data key"), std::string::npos) << err;
    // "with mac check": a dotenv file decrypts; with its sops_mac line emptied it fails as Flux
    // says. (Upstream calls SopsDecryptWithFormat directly; here the entry keeps its marker
    // bytes through an unencrypted value, so the decryptor still takes it for SOPS.)
    std::string env = a.encrypt("key=value\nnote_unencrypted=sops_mac=ENC[x\n", Format::Dotenv, Format::Dotenv);
    EXPECT_EQ(decrypted_entry(checked, "file.env", env), "key=value\nnote_unencrypted=sops_mac=ENC[x\n");
    std::string no_mac;
    for (std::size_t p = 0; p < env.size();) {
        std::size_t nl = env.find('\n', p);
        std::string line = env.substr(p, nl - p);
        no_mac += (line.starts_with("sops_mac=") ? std::string("sops_mac=") : line) + "\n";
        p = nl == std::string::npos ? env.size() : nl + 1;
    }
    err = error_of([&] { checked.decrypt_manifests(secret_with_entry("s", "file.env", no_mac)); });
    EXPECT_NE(err.find("failed to verify sops data integrity: expected mac 'no MAC'"), std::string::npos) << err;
}

// ---- TestDecryptor_DecryptResource ------------------------------------------------------

TEST(FluxDecryptorCases, DecryptResourceWholeSecret) {
    // "SOPS-encrypted Secret resource" and "... using Age hybrid identity".
    Age a;
    auto pq = age::HybridIdentity::generate();
    for (bool hybrid : {false, true}) {
        SCOPED_TRACE(hybrid ? "hybrid identity" : "X25519 identity");
        std::string recipient = hybrid ? pq.recipient() : a.id.recipient();
        auto keys = hybrid ? DecryptionKeys::from_entries({{"age.agekey", pq.encode() + "\n"}}, "decrypt/keys") : a.keys();
        std::string enc = Age::encrypt_to(recipient, kSecretJson, Format::Json, Format::Json, "^(data|stringData)$");
        // Opted out: left as it is.
        Branches docs = load_plain(Format::Json, enc);
        Value doc = Value::empty_map();
        doc.map = docs.front();
        Value* md = doc.find("metadata");
        Value ann = Value::empty_map();
        ann.map.push_back(Item{Value::string("kustomize.toolkit.fluxcd.io/decrypt"), Value::string("disabled")});
        md->map.push_back(Item{Value::string("annotations"), ann});
        Branches opted{doc.map};
        Decryptor d(keys);
        d.decrypt_resources(opted);
        EXPECT_NE(emit_plain(Format::Json, opted).find("\"sops\""), std::string::npos);
        // Without the annotation: decrypted back to the original.
        Branches plain = load_plain(Format::Json, enc);
        d.decrypt_resources(plain);
        EXPECT_EQ(emit_plain(Format::Json, plain), emit_plain(Format::Json, load_plain(Format::Json, kSecretJson)));
    }
}

TEST(FluxDecryptorCases, DecryptResourceDataEntries) {
    Age a;
    Decryptor d(a.keys());
    // "SOPS-encrypted binary-format Secret data field": INI text in a YAML SOPS file, entry file.ini.
    EXPECT_EQ(decrypted_entry(d, "file.ini", a.encrypt("[config]\napp = secret\n", Format::Ini, Format::Yaml)), "[config]\napp = secret\n");
    // "SOPS-encrypted YAML-format Secret data field": sops' YAML, four-space indent.
    std::string yaml = "structured:\n    data:\n        key: value\n";
    EXPECT_EQ(decrypted_entry(d, "key.yaml", a.encrypt(yaml, Format::Yaml, Format::Yaml)), yaml);
    // "SOPS-encrypted Docker config Secret": JSON in a YAML SOPS file, re-emitted as sops'
    // JSON (tab indent) with the trailing newline of getsops/sops#1825.
    std::string docker =
        "{\n\t\"auths\": {\n\t\t\"my-registry.example:5000\": {\n\t\t\t\"username\": \"tiger\",\n\t\t\t\"password\": \"pass1234\",\n"
        "\t\t\t\"email\": \"tiger@acme.example\",\n\t\t\t\"auth\": \"dGlnZXI6cGFzczEyMzQ=\"\n\t\t}\n\t}\n}";
    EXPECT_EQ(decrypted_entry(d, ".dockerconfigjson", a.encrypt(docker, Format::Json, Format::Yaml)), docker + "\n");
}

TEST(FluxDecryptorCases, DecryptResourceWithoutDecryption) {
    Age a;
    std::string enc = a.encrypt(secret_with_entry("s", "k", "v"), Format::Yaml, Format::Yaml, "^data$");
    // "no decryption spec" and "unimplemented decryption provider": nothing is decrypted.
    Branches docs = load_plain(Format::Yaml, enc);
    Branches before = docs;
    Decryptor(a.keys(), not_configured()).decrypt_resources(docs);
    EXPECT_EQ(emit_plain(Format::Yaml, docs), emit_plain(Format::Yaml, before));
    // An empty resource is left alone either way.
    Branches empty{Branch{}};
    EXPECT_NO_THROW(Decryptor(a.keys()).decrypt_resources(empty));
}

// ---- TestDecryptor_decryptKustomizationSources ------------------------------------------

TEST(FluxDecryptorCases, DecryptKustomizationSources) {
    Age a;
    {
        SCOPED_TRACE("decrypt env sources");
        fs::path tmp = sopskit::test::make_temp_dir();
        fs::create_directories(tmp / "subdir");
        write_file(tmp / "subdir/app.env", a.encrypt("var1=value1\n", Format::Dotenv, Format::Dotenv));
        write_file(tmp / "subdir/combination.json", a.encrypt("The safe combination is ...", Format::Binary, Format::Binary));
        write_file(tmp / "subdir/file.txt", a.encrypt("file", Format::Binary, Format::Binary));
        write_file(tmp / "secret.env", a.encrypt("var2=value2\n", Format::Dotenv, Format::Dotenv));
        write_file(tmp / "subdir/kustomization.yaml",
                   "secretGenerator:\n  - name: envSecret\n    files: [file.txt, combo=combination.json]\n    envs: [app.env, ../secret.env]\n");
        EXPECT_EQ(error_of([&] { Decryptor(a.keys()).decrypt_sources(tmp.string(), "subdir"); }), "(none)");
        EXPECT_EQ(read_file(tmp / "subdir/app.env"), "var1=value1\n");
        EXPECT_EQ(read_file(tmp / "subdir/combination.json"), "The safe combination is ...");
        EXPECT_EQ(read_file(tmp / "subdir/file.txt"), "file");
        EXPECT_EQ(read_file(tmp / "secret.env"), "var2=value2\n");
    }
    {
        SCOPED_TRACE("decryption error");
        fs::path tmp = sopskit::test::make_temp_dir();
        write_file(tmp / "kustomization.yaml", "secretGenerator:\n  - name: envSecret\n    envs: [file.txt]\n");
        EXPECT_EQ(error_of([&] { Decryptor(a.keys()).decrypt_sources(tmp.string(), ""); }),
                  "error decrypting sources: lstat file.txt: no such file or directory");
    }
    {
        SCOPED_TRACE("follows relative symlink within root");
        fs::path tmp = sopskit::test::make_temp_dir();
        fs::create_directories(tmp / "subdir");
        fs::create_directories(tmp / "otherdir");
        fs::create_symlink("../otherdir/data.env", tmp / "subdir/symlink");
        write_file(tmp / "otherdir/data.env", a.encrypt("key=value\n", Format::Dotenv, Format::Dotenv));
        write_file(tmp / "subdir/kustomization.yaml", "secretGenerator:\n  - name: envSecret\n    envs: [symlink]\n");
        EXPECT_EQ(error_of([&] { Decryptor(a.keys()).decrypt_sources(tmp.string(), "subdir"); }), "(none)");
        EXPECT_EQ(read_file(tmp / "otherdir/data.env"), "key=value\n");
    }
    for (bool link : {true, false}) {
        SCOPED_TRACE(link ? "error on symlink outside root" : "error on reference outside root");
        fs::path tmp = sopskit::test::make_temp_dir();
        fs::path root = tmp / "subdir";
        fs::create_directories(root);
        fs::create_directories(tmp / "otherdir");
        std::string enc = a.encrypt("key=value\n", Format::Dotenv, Format::Dotenv);
        write_file(tmp / "otherdir/data.env", enc);
        write_file(tmp / "data.env", enc);
        if (link) fs::create_symlink("../otherdir/data.env", root / "symlink");
        write_file(root / "kustomization.yaml",
                   std::string("secretGenerator:\n  - name: envSecret\n    envs: [") + (link ? "symlink" : "../data.env") + "]\n");
        EXPECT_EQ(error_of([&] { Decryptor(a.keys()).decrypt_sources(root.string(), "./"); }),
                  std::string("error decrypting sources: lstat ") + (link ? "otherdir/data.env" : "data.env") + ": no such file or directory");
        EXPECT_EQ(read_file(tmp / "otherdir/data.env"), enc);
        EXPECT_EQ(read_file(tmp / "data.env"), enc);
    }
    {
        SCOPED_TRACE("ignore remote patches");
        fs::path tmp = sopskit::test::make_temp_dir();
        fs::create_directories(tmp / "subdir");
        write_file(tmp / "subdir/file.txt", a.encrypt("file", Format::Binary, Format::Binary));
        write_file(tmp / "subdir/patch.yaml", a.encrypt("op: add\n", Format::Yaml, Format::Yaml));
        write_file(tmp / "subdir/kustomization.yaml",
                   "patches:\n  - path: patch.yaml\n  - path: https://raw.githubusercontent.com/kubernetes-sigs/kustomize/master/examples/"
                   "wordpress/patch.yaml\nsecretGenerator:\n  - name: envSecret\n    files: [file.txt]\n");
        EXPECT_EQ(error_of([&] { Decryptor(a.keys()).decrypt_sources(tmp.string(), "subdir"); }), "(none)");
        EXPECT_EQ(read_file(tmp / "subdir/patch.yaml"), "op: add\n");
        EXPECT_EQ(read_file(tmp / "subdir/file.txt"), "file");
    }
}

// ---- TestDecryptor_decryptSopsFile ------------------------------------------------------

TEST(FluxDecryptorCases, DecryptSopsFile) {
    Age a;
    auto phase1 = [&](const fs::path& root, const std::string& generator) {
        write_file(root / "kustomization.yaml", "secretGenerator:\n  - name: s\n" + generator);
        return error_of([&] { Decryptor(a.keys()).decrypt_sources(root.string(), "."); });
    };
    fs::path tmp = sopskit::test::make_temp_dir();
    // "decrypt dotenv file", "decrypt YAML file".
    write_file(tmp / "app.env", a.encrypt("app=key\n", Format::Dotenv, Format::Dotenv));
    EXPECT_EQ(phase1(tmp, "    envs: [app.env]\n"), "(none)");
    EXPECT_EQ(read_file(tmp / "app.env"), "app=key\n");
    write_file(tmp / "app.yaml", a.encrypt("app: key\n", Format::Yaml, Format::Yaml));
    EXPECT_EQ(phase1(tmp, "    files: [app.yaml]\n"), "(none)");
    EXPECT_EQ(read_file(tmp / "app.yaml"), "app: key\n");
    // "irregular file": the root folder itself.
    EXPECT_EQ(phase1(tmp, "    files: [.]\n"), "error decrypting sources: cannot decrypt irregular file as it has file mode type bits set");
    // "file exceeds max size": sopskit's limit is Flux's default, 5 MiB, not settable: a file
    // one byte over it.
    write_file(tmp / "big.env", std::string((5u << 20) + 1, '#'));
    EXPECT_EQ(phase1(tmp, "    envs: [big.env]\n"),
              "error decrypting sources: cannot decrypt file with size (5242881 bytes) exceeding limit (5242880)");
    // "wrong file format": an INI file read as binary (its key has no extension) has no binary
    // marker, so it is left as it is.
    std::string ini = a.encrypt("[app]\nkey = value", Format::Ini, Format::Ini);
    write_file(tmp / "app.ini", ini);
    EXPECT_EQ(phase1(tmp, "    files: [app=app.ini]\n"), "(none)");
    EXPECT_EQ(read_file(tmp / "app.ini"), ini);
    // "does not follow symlink": a link to "../" (here: the root, a folder) is not a file.
    fs::create_symlink("../", tmp / "link");
    EXPECT_EQ(phase1(tmp, "    files: [link]\n"), "error decrypting sources: cannot decrypt irregular file as it has file mode type bits set");
}

// ---- TestDecryptor_secureLoadKustomizationFile ------------------------------------------

TEST(FluxDecryptorCases, SecureLoadKustomizationFile) {
    Age a;
    std::string enc = a.encrypt("k=v\n", Format::Dotenv, Format::Dotenv);
    const std::string body = "secretGenerator:\n  - name: s\n    envs: [s.env]\n";
    auto load = [&](const fs::path& root) { return error_of([&] { Decryptor(a.keys()).decrypt_sources(root.string(), "./"); }); };
    for (const char* name : {"kustomization.yaml", "kustomization.yml"}) {
        SCOPED_TRACE(std::string("loads ") + name);  // "loads default ..." / "loads recognized kustomization file"
        fs::path tmp = sopskit::test::make_temp_dir();
        write_file(tmp / "s.env", enc);
        write_file(tmp / name, body);
        EXPECT_EQ(load(tmp), "(none)");
        EXPECT_EQ(read_file(tmp / "s.env"), "k=v\n");
    }
    fs::path tmp = sopskit::test::make_temp_dir();
    // "error on ambitious file match".
    write_file(tmp / "kustomization.yaml", body);
    write_file(tmp / "kustomization.yml", body);
    EXPECT_EQ(load(tmp), "error decrypting sources: found multiple kustomization files");
    // "error on no file found".
    fs::path none = sopskit::test::make_temp_dir();
    EXPECT_EQ(load(none), "error decrypting sources: no kustomization file found");
    // "error on symlink outside root": the link leaves the root, so inside the root it names
    // <root>/kustomization.yaml, which is not there. (Upstream links "../kustomization.yaml"
    // from the root itself, which would name the link again; its subdir is never created, so
    // the case runs on a missing folder.)
    fs::path base = sopskit::test::make_temp_dir();
    fs::create_directories(base / "subdir/app");
    write_file(base / "kustomization.yaml", body);
    write_file(base / "s.env", enc);
    fs::create_symlink("../../kustomization.yaml", base / "subdir/app/kustomization.yaml");
    EXPECT_EQ(error_of([&] { Decryptor(a.keys()).decrypt_sources((base / "subdir").string(), "app"); }),
              "error decrypting sources: no kustomization file found");
    EXPECT_EQ(read_file(base / "s.env"), enc);
    // What upstream's link does in a folder that exists: "../kustomization.yaml" from the root
    // names the link itself, a loop, which securejoin ends with ELOOP.
    fs::path loop = sopskit::test::make_temp_dir();
    fs::create_symlink("../kustomization.yaml", loop / "kustomization.yaml");
    EXPECT_EQ(load(loop), "error decrypting sources: failed to secure join kustomization.yaml: SecureJoin " + fs::canonical(loop).string() +
                              "/kustomization.yaml: too many levels of symbolic links");
    // "error on invalid file": a scalar is no kustomization.
    fs::path bad = sopskit::test::make_temp_dir();
    write_file(bad / "kustomization.yaml", "resources");
    EXPECT_EQ(load(bad).rfind("error decrypting sources: failed to unmarshal kustomization file", 0), 0u) << load(bad);
}

// ---- TestDecryptor_recurseKustomizationFiles --------------------------------------------
// The walk is observed through what it decrypts: each kustomization's folder holds an
// encrypted env file its generator names, so a visited folder is a decrypted file.

namespace {

struct Walk {
    Age a;
    fs::path tmp = sopskit::test::make_temp_dir();
    std::string enc = a.encrypt("k=v\n", Format::Dotenv, Format::Dotenv);
    void node(const std::string& file, const std::vector<std::string>& resources) {
        fs::path p = tmp / file;
        fs::create_directories(p.parent_path());
        std::string k = "resources:\n";
        for (const auto& r : resources) k += "  - " + r + "\n";
        if (resources.empty()) k = "resources: []\n";
        write_file(p, k + "secretGenerator:\n  - name: s\n    envs: [visit.env]\n");
        write_file(p.parent_path() / "visit.env", enc);
    }
    bool visited(const std::string& folder) const { return read_file(tmp / folder / "visit.env") == "k=v\n"; }
    std::string run(const std::string& root_suffix, const std::string& path) const {
        return error_of([&] { Decryptor(a.keys()).decrypt_sources((tmp / root_suffix).string(), path); });
    }
};

}  // namespace

TEST(FluxDecryptorCases, RecurseKustomizationFiles) {
    {
        SCOPED_TRACE("recurse on resources");
        Walk w;
        w.node("foo/bar/kustomization.yaml", {"../baz"});
        w.node("foo/baz/kustomization.yaml", {(w.tmp / "foo/bar/baz").string()});
        w.node("foo/bar/baz/kustomization.yaml", {});
        EXPECT_EQ(w.run("foo", "bar"), "(none)");
        EXPECT_TRUE(w.visited("foo/bar") && w.visited("foo/baz") && w.visited("foo/bar/baz"));
    }
    {
        SCOPED_TRACE("recursive loop");
        Walk w;
        w.node("foo/bar/kustomization.yaml", {"../baz"});
        w.node("foo/baz/kustomization.yaml", {"../foobar"});
        w.node("foo/foobar/kustomization.yaml", {"../bar"});
        EXPECT_EQ(w.run("foo", "bar"), "(none)");
        EXPECT_TRUE(w.visited("foo/bar") && w.visited("foo/baz") && w.visited("foo/foobar"));
    }
    // "absolute symlink" / "relative symlink": upstream's loop returns at the symlink node, so
    // those cases check nothing (and start from bar, which has no kustomization). Here, from
    // bar/baz: a link is followed inside the root; an absolute target is read from the root,
    // so the machine path of bar/foo names <root>/<tmp>/bar/foo, which is not there.
    {
        SCOPED_TRACE("absolute symlink");
        Walk w;
        w.node("bar/baz/kustomization.yaml", {"../absolute", "../rooted"});
        w.node("bar/foo/kustomization.yaml", {});
        w.node("qux/kustomization.yaml", {});
        fs::create_symlink((w.tmp / "bar/foo/").string(), w.tmp / "bar/absolute");
        fs::create_symlink("/qux/", w.tmp / "bar/rooted");
        EXPECT_EQ(w.run("", "bar/baz"), "(none)");
        EXPECT_TRUE(w.visited("bar/baz") && w.visited("qux"));
        EXPECT_FALSE(w.visited("bar/foo"));
    }
    {
        SCOPED_TRACE("relative symlink");
        Walk w;
        w.node("bar/baz/kustomization.yaml", {"../relative"});
        w.node("foo/kustomization.yaml", {});  // bar/relative -> ../foo/ is foo
        fs::create_symlink("../foo/", w.tmp / "bar/relative");
        EXPECT_EQ(w.run("", "bar/baz"), "(none)");
        EXPECT_TRUE(w.visited("bar/baz") && w.visited("foo"));
    }
    {
        SCOPED_TRACE("recognized kustomization names");
        Walk w;
        w.node("kustomization.yml", {"bar"});
        w.node("bar/kustomization.yaml", {"../baz"});
        w.node("baz/Kustomization", {});
        EXPECT_EQ(w.run("", "./"), "(none)");
        EXPECT_TRUE(w.visited(".") && w.visited("bar") && w.visited("baz"));
    }
    {
        SCOPED_TRACE("path does not exist");
        Walk w;
        EXPECT_EQ(w.run("", "./invalid"), "error decrypting sources: lstat invalid: no such file or directory");
    }
    {
        SCOPED_TRACE("path is not a directory");
        Walk w;
        write_file(w.tmp / "file.txt", "");
        EXPECT_EQ(w.run("", "./file.txt"), "error decrypting sources: not a directory");
    }
    {
        SCOPED_TRACE("recurse error is returned");
        Walk w;
        w.node("foo/kustomization.yaml", {"../baz"});
        fs::create_directories(w.tmp / "baz");
        write_file(w.tmp / "baz/wrongfile.yaml", "");
        EXPECT_EQ(w.run("", "/foo"), "error decrypting sources: no kustomization file found");
    }
    {
        SCOPED_TRACE("recurse ignores errRecurseIgnore");
        Walk w;
        w.node("foo/kustomization.yaml", {"../baz"});
        write_file(w.tmp / "baz", "");
        EXPECT_EQ(w.run("", "/foo"), "(none)");
        EXPECT_TRUE(w.visited("foo"));
    }
    {
        SCOPED_TRACE("remote build references are ignored");
        Walk w;
        w.node("foo/kustomization.yaml", {"../baz", "https://github.com/kubernetes-sigs/kustomize//examples/multibases/dev/?ref=v1.0.6"});
        w.node("baz/kustomization.yaml", {"github.com/Liujingfang1/mysql?ref=test"});
        EXPECT_EQ(w.run("", "/foo"), "(none)");
        EXPECT_TRUE(w.visited("foo") && w.visited("baz"));
    }
    {
        // "visit error is returned": the visit's error here is a decryption error in baz.
        SCOPED_TRACE("visit error is returned");
        Walk w;
        w.node("kustomization.yaml", {"baz"});
        w.node("baz/kustomization.yaml", {});
        fs::remove(w.tmp / "baz/visit.env");
        EXPECT_EQ(w.run("", "/"), "error decrypting sources: lstat baz/visit.env: no such file or directory");
    }
}

// An absolute spec.path is the root's prefix stripped by its text (Flux's stripRoot), never
// looked up on the machine: a link on the way resolves inside the root, so a link naming the
// machine path of a folder in the repository names nothing there (securejoin), as in Flux.
TEST(FluxDecryptorCases, AnAbsolutePathIsResolvedInsideTheRoot) {
    Walk w;
    fs::path repo = w.tmp / "repo";
    w.node("repo/real/kustomization.yaml", {});
    fs::create_symlink(repo / "real", repo / "app");  // the machine path: not inside the root
    fs::create_symlink("/real", repo / "inside");     // root-relative: inside it
    EXPECT_EQ(error_of([&] { Decryptor(w.a.keys()).decrypt_sources(repo.string(), (repo / "app").string()); }).rfind(
                  "error decrypting sources: lstat ", 0),
              0u);
    EXPECT_FALSE(w.visited("repo/real"));
    EXPECT_EQ(error_of([&] { Decryptor(w.a.keys()).decrypt_sources(repo.string(), (repo / "inside").string()); }), "(none)");
    EXPECT_TRUE(w.visited("repo/real"));
}

// ---- TestDecryptor_isSOPSEncryptedResource ----------------------------------------------

TEST(FluxDecryptorCases, IsSopsEncryptedResource) {
    Age a;
    Decryptor d(a.keys());
    // A resource with sops.mac is decrypted (here it fails: there is nothing to decrypt with).
    EXPECT_NE(error_of([&] { d.decrypt_manifests("sops:\n  mac: some mac value\n"); }), "(none)");
    // An empty resource is not.
    EXPECT_EQ(error_of([&] { d.decrypt_manifests("{}\n"); }), "(none)");
}

// ---- TestDecryptor_secureAbsPath --------------------------------------------------------

TEST(FluxDecryptorCases, SecureAbsPath) {
    // "absolute to root".
    EXPECT_EQ(phase1::strip_root("/wordir/", "/wordir/foo/"), "foo");
    // "relative to root".
    EXPECT_EQ(phase1::clean_path("./foo"), "foo");
    // "illegal traverse": resolved inside the root.
    fs::path root = sopskit::test::make_temp_dir();
    fs::create_directories(root / "wordir/foo");
    EXPECT_EQ(phase1::RootFolder((root / "wordir/foo").string()).resolve(phase1::clean_path("../../bar")).rel, "bar");
}

// ---- TestDecryptor_formatForPath, TestDecryptor_detectFormatFromMarkerBytes -------------

TEST(FluxDecryptorCases, FormatForPathAndMarkerBytes) {
    EXPECT_EQ(flux_format_for_key(".dockerconfigjson"), Format::Json);  // "docker config"
    EXPECT_EQ(flux_format_for_key("foo.yaml"), Format::Yaml);           // "fallback"
    EXPECT_EQ(detect_sops_payload("random other bytes mac: ENC[ more random bytes"), Format::Yaml);  // "detects format"
    EXPECT_EQ(detect_sops_payload("no marker bytes present"), std::nullopt);  // "returns unsupported format"
}

// ---- TestSafeDecrypt --------------------------------------------------------------------

TEST(FluxDecryptorCases, SafeDecryptRedactsTheValue) {
    // "redacted value": a value that is not an ENC[...] envelope is never quoted back.
    Age a;
    std::string enc = a.encrypt(secret_with_entry("s", "k", "v"), Format::Yaml, Format::Yaml, "^data$");
    std::string k_line = "    k: ENC[";
    auto at = enc.find(k_line);
    ASSERT_NE(at, std::string::npos) << enc;
    std::string tampered = enc.substr(0, at) + "    k: x1234567897\n" + enc.substr(enc.find('\n', at) + 1);
    std::string err = error_of([&] { Decryptor(a.keys()).decrypt_manifests(tampered); });
    // Flux rewrites sops' "Input string <value> does not match sops' data format" to
    // "<redacted>"; sopskit's message never holds the value in the first place.
    EXPECT_NE(err.find("does not match sops' data format"), std::string::npos) << err;
    EXPECT_EQ(err.find("x1234567897"), std::string::npos) << err;
}
