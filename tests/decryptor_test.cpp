// The controller-side decryptor: decryption Secrets, Flux's two phases, the cache, and the
// seed's fleet repository built with the real kubectl kustomize.
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "core/base64.hpp"
#include "decryptor/root_folder.hpp"
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
    // A bad .agekey line fails the Secret, as sops' import fails it for Flux.
    EXPECT_THROW(DecryptionKeys::from_entries({{"bad.agekey", "not a key\n"}}, "flux-system/sops-age"), Error);
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

namespace {

// The names in a folder (not following links), sorted.
std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// A private folder for tests that create tens of thousands of entries or fsync hundreds of
// times. Removed at the end of the test.
struct ScratchFolder {
    fs::path path;
    ScratchFolder() {
        // Never the machine's /dev/shm: TMPDIR (tmpfs when the caller wants speed).
        std::string tmpl = (fs::temp_directory_path() / "sopskit-test-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~ScratchFolder() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

// Runs `job` on a thread with a small stack: a walk that recursed per kustomization would
// overflow it long before 20,000 levels.
void on_small_stack(const std::function<void()>& job) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    struct Call {
        const std::function<void()>* job;
    } call{&job};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, &attr, [](void* p) -> void* {
        (*static_cast<Call*>(p)->job)();
        return nullptr;
    }, &call), 0);
    pthread_join(t, nullptr);
    pthread_attr_destroy(&attr);
}

}  // namespace

// The race of issue 24: while phase 1 runs, a folder it decrypts in is swapped, again and
// again (renameat2 RENAME_EXCHANGE), with a symlink to a folder outside the root holding the
// same encrypted files. Path-based code resolved the folder, then wrote the plaintext through
// the path again and so into the outside folder. Through folder descriptors nothing outside
// the root is ever written or created, with openat2 and with the O_NOFOLLOW fallback.
TEST(DecryptorPhase1, AFolderSwappedForASymlinkNeverSendsAWriteOutOfTheRoot) {
    AgeFixture a;
    ScratchFolder scratch;
    fs::path base = scratch.path;
    fs::path repo = base / "repo", outside = base / "outside";
    fs::create_directories(repo / "app/sub");
    fs::create_directories(outside);
    constexpr int kFiles = 8;
    std::string kustomization = "secretGenerator:\n  - name: s\n    envs:\n";
    std::vector<std::string> encrypted;
    for (int i = 0; i < kFiles; ++i) {
        encrypted.push_back(a.encrypt("LEAKED" + std::to_string(i) + "=plaintext\n", Format::Dotenv, ""));
        write_file(outside / ("f" + std::to_string(i) + ".env"), encrypted.back());
        kustomization += "      - sub/f" + std::to_string(i) + ".env\n";
    }
    write_file(repo / "app/kustomization.yaml", kustomization);
    fs::create_directory_symlink(outside, repo / "app/swap");
    const auto outside_names = names_in(outside);
    Decryptor d(a.keys());
    struct Openat2Back {
        ~Openat2Back() { phase1::disable_openat2_for_testing(false); }  // also when an assertion ends the test
    } openat2_back;
    int decrypted = 0, refused = 0;
    for (int round = 0; round < 120; ++round) {
        phase1::disable_openat2_for_testing(round % 2 == 1);
        for (int i = 0; i < kFiles; ++i) write_file(repo / "app/sub" / ("f" + std::to_string(i) + ".env"), encrypted[i]);
        std::atomic<bool> stop{false};
        std::thread swapper([&] {
            std::string sub = (repo / "app/sub").string(), swap = (repo / "app/swap").string();
            while (!stop.load())
                ::syscall(SYS_renameat2, AT_FDCWD, sub.c_str(), AT_FDCWD, swap.c_str(), RENAME_EXCHANGE);
        });
        try {
            d.decrypt_sources(repo.string(), "app");
            ++decrypted;
        } catch (const Error&) {
            ++refused;  // a folder that changed under the walk may be refused; never followed out
        }
        stop = true;
        swapper.join();
        if (fs::is_symlink(repo / "app/sub"))  // put the folder back where the kustomization expects it
            ASSERT_EQ(::syscall(SYS_renameat2, AT_FDCWD, (repo / "app/sub").c_str(), AT_FDCWD, (repo / "app/swap").c_str(), RENAME_EXCHANGE), 0);
        ASSERT_EQ(names_in(outside), outside_names) << "a file was created outside the root in round " << round;
        for (int i = 0; i < kFiles; ++i)
            ASSERT_EQ(read_file(outside / ("f" + std::to_string(i) + ".env")), encrypted[i]) << "written outside the root in round " << round;
    }
    std::cout << "[ race ] 120 rounds: " << decrypted << " walks completed, " << refused << " refused\n";
}

// A chain of 20,000 kustomizations, each listing the next: walked without recursion (here on
// a 256 KiB stack), to the last one, whose secret is decrypted.
TEST(DecryptorPhase1, ALongChainOfKustomizationsNeedsNoStack) {
    AgeFixture a;
    ScratchFolder scratch;
    fs::path repo = scratch.path;
    constexpr int kChain = 20000;
    auto name = [](int i) { return "k" + std::to_string(i); };
    for (int i = 0; i < kChain; ++i) {
        fs::create_directory(repo / name(i));
        write_file(repo / name(i) / "kustomization.yaml", i + 1 < kChain ? "resources:\n  - ../" + name(i + 1) + "\n"
                                                                          : "secretGenerator:\n  - name: s\n    envs: [last.env]\n");
    }
    write_file(repo / name(kChain - 1) / "last.env", a.encrypt("END=reached\n", Format::Dotenv, ""));
    Decryptor d(a.keys());
    std::string error = "(none)";
    on_small_stack([&] {
        try {
            d.decrypt_sources(repo.string(), name(0));
        } catch (const Error& e) {
            error = e.what();
        }
    });
    EXPECT_EQ(error, "(none)");
    EXPECT_EQ(read_file(repo / name(kChain - 1) / "last.env"), "END=reached\n");
}

// The same for a chain of nested folders, each listing the next ("resources: [a]"): past the
// path length the OS allows (PATH_MAX, where Flux's lstat fails too) the walk stops with a
// clean error naming the kustomization, after about 2,000 levels, quickly and on a small stack.
TEST(DecryptorPhase1, ANestedChainStopsCleanlyAtThePathLengthLimit) {
    ScratchFolder scratch;
    constexpr int kDepth = 2500;  // 5,000 bytes of path: past PATH_MAX
    int fd = ::open(scratch.path.c_str(), O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const std::string text = "resources: [a]\n";
    for (int i = 0; i < kDepth; ++i) {  // created through descriptors: the paths get too long for open()
        int k = ::openat(fd, "kustomization.yaml", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_GE(k, 0);
        ASSERT_EQ(::write(k, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(k);
        ASSERT_EQ(::mkdirat(fd, "a", 0755), 0);
        int next = ::openat(fd, "a", O_DIRECTORY | O_CLOEXEC);
        ::close(fd);
        ASSERT_GE(next, 0);
        fd = next;
    }
    ::close(fd);
    Decryptor d(DecryptionKeys::from_entries({}, "flux-system/test"));
    std::string error = "(none)";
    auto start = std::chrono::steady_clock::now();
    on_small_stack([&] {
        try {
            d.decrypt_sources(scratch.path.string(), ".");
        } catch (const Error& e) {
            error = e.what();
        }
    });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(error.rfind("error decrypting sources: failed to lstat kustomization.yaml: lstat a/a/a/", 0), 0u) << error.substr(0, 200);
    EXPECT_NE(error.find("/kustomization.yaml: file name too long"), std::string::npos) << error.substr(0, 200);
    EXPECT_LT(seconds, 30.0) << "each level must not walk the whole path again";
    // Cut the chain into pieces whose paths std::filesystem can remove.
    fs::path top = scratch.path;
    for (int piece = 0, depth = kDepth; depth > 1000; ++piece, depth -= 1000) {
        fs::path deep = top;
        for (int i = 0; i < 1000; ++i) deep /= "a";
        fs::path cut = scratch.path / ("piece" + std::to_string(piece));
        fs::rename(deep, cut);
        top = cut;
    }
}

// Issue 20: the kustomization file itself is resolved inside the root by the library, as
// Flux's securejoin does: a symlink out of the root names a path under the root (here
// nothing), a symlink inside the root is followed, a folder of that name is refused, and a
// file:/// reference is a path (Flux's isRemoteURL wants a host), not a URL to skip.
TEST(DecryptorPhase1, TheKustomizationFileIsResolvedInsideTheRoot) {
    AgeFixture a;
    fs::path base = sopskit::test::make_temp_dir();
    fs::path repo = base / "repo";
    fs::create_directories(repo / "app");
    fs::create_directories(base / "outside");
    fs::create_directories(repo / "shared");
    std::string secret = a.encrypt("K=v\n", Format::Dotenv, "");
    write_file(base / "outside/kustomization.yaml", "secretGenerator:\n  - name: s\n    envs: [secret.env]\n");
    Decryptor d(a.keys());
    auto error_of = [&](const std::string& path) -> std::string {
        try {
            d.decrypt_sources(repo.string(), path);
        } catch (const Error& e) {
            return e.what();
        }
        return "(none)";
    };
    for (const fs::path& target : {base / "outside/kustomization.yaml", fs::path("../../outside/kustomization.yaml")}) {
        write_file(repo / "app/secret.env", secret);
        fs::remove(repo / "app/kustomization.yaml");
        fs::create_symlink(target, repo / "app/kustomization.yaml");
        EXPECT_EQ(error_of("app"), "error decrypting sources: no kustomization file found") << target;
        EXPECT_EQ(read_file(repo / "app/secret.env"), secret) << "a kustomization outside the root was used: " << target;
    }
    // A link to a kustomization inside the root is followed.
    write_file(repo / "shared/kustomization.yaml", "secretGenerator:\n  - name: s\n    envs: [secret.env]\n");
    fs::remove(repo / "app/kustomization.yaml");
    fs::create_symlink("/shared/kustomization.yaml", repo / "app/kustomization.yaml");
    EXPECT_EQ(error_of("app"), "(none)");
    EXPECT_EQ(read_file(repo / "app/secret.env"), "K=v\n");
    // A folder named kustomization.yaml, even beside a valid kustomization.yml.
    write_file(repo / "app/secret.env", secret);
    fs::remove(repo / "app/kustomization.yaml");
    fs::create_directory(repo / "app/kustomization.yaml");
    write_file(repo / "app/kustomization.yml", "secretGenerator:\n  - name: s\n    envs: [secret.env]\n");
    EXPECT_EQ(error_of("app"), "error decrypting sources: expected kustomization.yaml to be a regular file");
    EXPECT_EQ(read_file(repo / "app/secret.env"), secret);
    // file:///x joined to the folder, as Flux joins it: app/file:/x.
    fs::path local = repo / "top";
    fs::create_directories(local / "file:/x");
    write_file(local / "kustomization.yaml", "resources:\n  - file:///x\n  - https://example.com/remote\n");
    write_file(local / "file:/x/kustomization.yaml", "secretGenerator:\n  - name: s\n    envs: [s.env]\n");
    write_file(local / "file:/x/s.env", secret);
    EXPECT_EQ(error_of("top"), "(none)");
    EXPECT_EQ(read_file(local / "file:/x/s.env"), "K=v\n");
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

// Issue 24: a --serve request over the input limit is refused without being kept in memory
// (its bytes are skipped up to its NUL), answered with an error, and the next one is served.
// The old loop buffered without bound: 300 MB without a NUL grew it to 503 MB.
TEST(DecryptorServe, ARequestOverTheInputLimitIsSkippedNotBufferedAndServingGoesOn) {
    AgeFixture a;
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "keys.yaml", secret_manifest("sops-age", "flux-system", {{"age.agekey", a.id.encode() + "\n"}}));
    std::string serve = "SOPSKIT_MAX_INPUT_SIZE=1000000 '" + sopskit::test::cli_path() + "' decrypt-manifests --serve --decryption-secret '" +
                        (dir / "keys.yaml").string() + "'";
    std::string stream = a.encrypt(kSecret);
    std::string input = std::string(3000000, 'a') + '\0' + stream + '\0';
    auto r = run(serve, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> answers;
    for (std::size_t p = 0, nul; (nul = r.out.find('\0', p)) != std::string::npos; p = nul + 1) answers.push_back(r.out.substr(p, nul - p));
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[0], "error: request larger than the 1000000-byte input limit (SOPSKIT_MAX_INPUT_SIZE raises it)\n");
    EXPECT_NE(answers[1].find("user: admin"), std::string::npos) << answers[1];
    EXPECT_NE(r.err.find("served 2 streams"), std::string::npos) << r.err;

    // 200 MB without a NUL: memory stays bounded (measured apart from this test process).
    auto measured = run("yes a | tr -d '\\n' | head -c 200000000 | SOPSKIT_MAX_INPUT_SIZE=1000000 '" SOPSKIT_PEAK_RSS_PATH "' '" +
                        sopskit::test::cli_path() + "' decrypt-manifests --serve --decryption-secret '" + (dir / "keys.yaml").string() + "'");
    ASSERT_EQ(measured.exit_code, 0) << measured.err;
    int exit_status = -1;
    long peak_kib = -1;
    ASSERT_EQ(std::sscanf(measured.out.c_str(), "%d %ld", &exit_status, &peak_kib), 2) << measured.out;
    EXPECT_EQ(exit_status, 0);
    // Buffering it would pass 200 MiB; the bound leaves room for AddressSanitizer's quarantine.
    EXPECT_LT(peak_kib, 160 * 1024) << "KiB: an oversized request must not be buffered";
    std::cout << "[ serve ] 200 MB request without a NUL: peak " << peak_kib / 1024 << " MiB\n";
}

namespace {

// A key source failing with something other than a sopskit Error, as std::bad_alloc would.
class ThrowingKeySource : public KeySource {
public:
    std::string_view kind() const override { return "age"; }
    StoredKey wrap(const Recipient&, const SecureBytes&) override { throw std::logic_error("decrypting only"); }
    Recipient recipient_of(const StoredKey&) const override { return {}; }
    UnwrapOutcome unwrap(const StoredKey&) override { throw std::bad_alloc(); }
    std::string describe(const StoredKey&) const override { return "throwing"; }
};

}  // namespace

// Issue 24: an exception that is not a sopskit Error, raised in one of phase 2's worker
// threads, reaches the caller (who can answer that one request) instead of ending the process
// (an exception escaping a std::thread calls std::terminate). Run in a child process, so that
// the old behaviour fails this test rather than the whole suite.
TEST(DecryptorPhase2, AnExceptionInAWorkerThreadReachesTheCaller) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    AgeFixture a;
    std::string stream;
    for (int i = 0; i < 8; ++i) {
        std::string s = kSecret;
        s.replace(s.find("name: db"), 8, "name: db" + std::to_string(i));
        stream += "---\n" + a.encrypt(s);
    }
    auto keys = std::make_shared<DecryptionKeys>();
    keys->ring.add(std::make_unique<ThrowingKeySource>());
    keys->fingerprint = "throwing";
    EXPECT_EXIT(
        {
            Decryptor d(keys, DecryptorOptions{false, nullptr, 4});
            int caught = 0;
            try {
                d.decrypt_manifests(stream);  // one document per worker
            } catch (const std::bad_alloc&) {
                ++caught;
            }
            try {
                d.decrypt_manifests("%YAML 1.2\n" + stream);  // the whole-stream path: decrypt_resources
            } catch (const std::bad_alloc&) {
                ++caught;
            }
            std::_Exit(caught == 2 ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}
