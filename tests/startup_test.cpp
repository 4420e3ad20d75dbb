// Start-up: a command maps only the libraries it uses (GPGME, libssh and libcurl are opened on
// first use), and the loader behind that (core/lazy_module.hpp) reports what is missing.
#include <algorithm>
#include <filesystem>
#include <list>
#include <sstream>
#include <string>
#include <vector>

#include "argv_names.hpp"
#include "command_groups.hpp"
#include "core/lazy_module.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::cli::ArgvNames;
using sopskit::detail::LazyModule;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

const char* kSecret =
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata:\n"
    "    name: demo\n"
    "stringData:\n"
    "    password: hunter2\n";

// The shared objects the dynamic loader opened while `command` ran (LD_DEBUG=files, which
// glibc prints on stderr), plus the command's own result.
struct Loaded {
    sopskit::test::RunResult result;
    std::string files;
};

Loaded run_traced(const fs::path& dir, const std::string& args, const std::string& stdin_data = "",
                  const std::string& env = "SOPS_AGE_KEY_FILE=key.txt") {
    Loaded l;
    l.result = run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' " + env + " LD_DEBUG=files LD_DEBUG_OUTPUT='" + (dir / "ld").string() + "' '" +
                       sopskit::test::cli_path() + "' " + args,
                   stdin_data);
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().rfind("ld.", 0) == 0) {
            l.files += sopskit::test::read_file(entry.path());
            fs::remove(entry.path());
        }
    return l;
}

// A temporary folder with an age identity (key.txt) and s.enc.yaml, kSecret encrypted to it.
fs::path folder_with_age_secret() {
    fs::path dir = sopskit::test::make_temp_dir();
    auto keygen = run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' '" + sopskit::test::cli_path() + "' keygen age --output key.txt");
    EXPECT_EQ(keygen.exit_code, 0) << keygen.err;
    std::string printed = keygen.out + keygen.err;  // the recipient goes to stderr with --output
    std::string recipient = printed.substr(std::min(printed.find("age1"), printed.size()));
    recipient = recipient.substr(0, recipient.find_first_of(" \n"));
    write_file(dir / "s.yaml", kSecret);
    auto enc = run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' '" + sopskit::test::cli_path() + "' encrypt --age " + recipient +
                   " s.yaml > s.enc.yaml");
    EXPECT_EQ(enc.exit_code, 0) << enc.err;
    return dir;
}

}  // namespace

TEST(Startup, AgeDecryptMapsNoGnupgSshOrCurl) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "sanitized builds link GPGME and libssh at start-up (LeakSanitizer cannot scan a dlopen'ed GPGME)";
#endif
    fs::path dir = folder_with_age_secret();
    Loaded dec = run_traced(dir, "decrypt s.enc.yaml", "");
    // The trace must have worked, or the test would pass for nothing.
    ASSERT_NE(dec.files.find("libsodium.so"), std::string::npos) << dec.files;
    ASSERT_EQ(dec.result.exit_code, 0) << dec.result.err;
    EXPECT_EQ(dec.result.out, kSecret);
    std::vector<const char*> unused = {"libgpgme", "libassuan", "libgpg-error", "libssh", "libgssapi", "libkrb5", "libcurl"};
#ifdef SOPSKIT_CLI_LAZY_LIBCRYPTO
    unused.push_back("libcrypto");  // cli/lazy_libcrypto.S: opened on the first OpenSSL call
#endif
    for (const char* lib : unused) EXPECT_EQ(dec.files.find(lib), std::string::npos) << lib << " was loaded for an age-only decrypt";
}

TEST(Startup, OpensslConfigFileIsNotRead) {
    fs::path dir = folder_with_age_secret();
    // A configuration that would leave OpenSSL with the null provider only: no AES-256-GCM.
    write_file(dir / "openssl.cnf",
               "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\nnull = null_sect\n[null_sect]\nactivate = 1\n");
    auto dec = run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' SOPS_AGE_KEY_FILE=key.txt OPENSSL_CONF='" +
                   (dir / "openssl.cnf").string() + "' '" + sopskit::test::cli_path() + "' decrypt s.enc.yaml");
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, kSecret);
}

// An ssh-rsa recipient needs OpenSSL (RSA-OAEP): libcrypto is opened then, and started without
// openssl.cnf as at start-up before (a configuration with only the null provider has no RSA).
TEST(Startup, SshRsaRecipientOpensLibcryptoOnFirstUseWithoutItsConfig) {
    fs::path dir = sopskit::test::make_temp_dir();
    auto gen = run("ssh-keygen -q -t rsa -b 2048 -N '' -f '" + (dir / "id").string() + "'");
    if (gen.exit_code != 0) GTEST_SKIP() << "ssh-keygen not available";
    write_file(dir / "s.yaml", kSecret);
    write_file(dir / "openssl.cnf",
               "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\nnull = null_sect\n[null_sect]\nactivate = 1\n");
    std::string pub = sopskit::test::read_file(dir / "id.pub");
    pub = pub.substr(0, pub.find_first_of("\n"));
    std::string env = "OPENSSL_CONF='" + (dir / "openssl.cnf").string() + "' SOPS_AGE_SSH_PRIVATE_KEY_FILE=id";
    auto enc = run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' " + env + " '" + sopskit::test::cli_path() +
                   "' encrypt --age '" + pub + "' s.yaml > s.enc.yaml");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    Loaded dec = run_traced(dir, "decrypt s.enc.yaml", "", env);
    ASSERT_EQ(dec.result.exit_code, 0) << dec.result.err;
    EXPECT_EQ(dec.result.out, kSecret);
    EXPECT_NE(dec.files.find("libcrypto.so"), std::string::npos) << dec.files;
}

TEST(Startup, SshKeyAndHostScanOpenLibsshOnFirstUse) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "sanitized builds link GPGME and libssh at start-up (LeakSanitizer cannot scan a dlopen'ed GPGME)";
#endif
    fs::path dir = sopskit::test::make_temp_dir();
    auto gen = run("ssh-keygen -q -t ed25519 -N '' -f '" + (dir / "id").string() + "'");
    if (gen.exit_code != 0) GTEST_SKIP() << "ssh-keygen not available";
    // Nothing listens on the port: the key is read (libssh), then the host scan (libssh) fails.
    int port = sopskit::test::free_loopback_port();
    Loaded l = run_traced(dir, "create secret git auth --url ssh://git@127.0.0.1:" + std::to_string(port) +
                                   "/repo --private-key-file id --export");
    EXPECT_NE(l.result.exit_code, 0);
    EXPECT_NE(l.result.err.find("SSH key scan for host 127.0.0.1:" + std::to_string(port) + " failed"), std::string::npos)
        << l.result.err;
    EXPECT_NE(l.files.find("libssh.so.4"), std::string::npos) << "libssh was not opened for an SSH key";
    EXPECT_EQ(l.files.find("libgpgme"), std::string::npos) << "GPGME was opened for an SSH key";
}

TEST(LazyModule, ResolvesSymbolsOnceFromASoname) {
    LazyModule m({"libm.so.6"}, "maths");
    double (*cosine)(double) = nullptr;
    int binds = 0;
    std::string error;
    auto bind = [&](LazyModule::Binder& b) {
        ++binds;
        b("cos", cosine);
    };
    ASSERT_TRUE(m.load(bind, error)) << error;
    ASSERT_TRUE(m.load(bind, error)) << error;
    EXPECT_EQ(binds, 1);
    ASSERT_NE(cosine, nullptr);
    EXPECT_EQ(cosine(0.0), 1.0);
}

TEST(LazyModule, MissingLibraryNamesThePurposeAndTriesEachCandidate) {
    fs::path dir = sopskit::test::make_temp_dir();
    LazyModule m({(dir / "absent.so").string(), "libm.so.6"}, "second choice");
    void (*fn)() = nullptr;
    std::string error;
    EXPECT_TRUE(m.load([&](LazyModule::Binder& b) { b("sin", fn); }, error)) << error;

    LazyModule none({(dir / "absent.so").string(), "libsopskit-no-such-library.so.0"},
                    "PGP keys need GPGME (Debian: libgpgme11)");
    std::string why;
    EXPECT_FALSE(none.load([&](LazyModule::Binder& b) { b("sin", fn); }, why));
    EXPECT_EQ(why.rfind("PGP keys need GPGME (Debian: libgpgme11): ", 0), 0u) << why;
    EXPECT_NE(why.find("absent.so"), std::string::npos) << why;
    std::string again;
    EXPECT_FALSE(none.load([&](LazyModule::Binder&) {}, again));
    EXPECT_EQ(again, why);
}

TEST(LazyModule, MissingSymbolIsAnErrorNamingIt) {
    LazyModule m({"libm.so.6"}, "maths");
    double (*cosine)(double) = nullptr;
    void (*nope)() = nullptr;
    bool complete = true;
    std::string error;
    EXPECT_FALSE(m.load(
        [&](LazyModule::Binder& b) {
            b("cos", cosine);
            b("sopskit_no_such_function", nope);
            complete = b.complete();
        },
        error));
    EXPECT_FALSE(complete);
    EXPECT_EQ(error, "libm.so.6 lacks sopskit_no_such_function");
}

TEST(LazyModule, ModulesAreLookedForBesideTheExecutableFirst) {
    auto candidates = sopskit::detail::module_candidates("libsopskit_example.so");
    ASSERT_EQ(candidates.size(), 2u);
    EXPECT_EQ(fs::path(candidates[0]), fs::canonical("/proc/self/exe").parent_path() / "libsopskit_example.so");
    EXPECT_TRUE(fs::path(candidates[1]).is_absolute());
    EXPECT_EQ(fs::path(candidates[1]).filename(), "libsopskit_example.so");
    EXPECT_EQ(fs::path(candidates[1]).parent_path().filename(), "sopskit");
}

namespace {
ArgvNames names_of(std::vector<std::string> args) {
    // argv must outlive the views ArgvNames holds, also after the next call: each call's
    // strings stay (a list never moves its elements).
    static std::list<std::vector<std::string>> keep;
    std::vector<std::string>& kept = keep.emplace_back(std::move(args));
    std::vector<char*> argv;
    for (auto& a : kept) argv.push_back(a.data());
    return ArgvNames(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST(ArgvNames, LongNamesShortClustersAndValuesCount) {
    ArgvNames n = names_of({"sopskit", "decrypt", "--output=o.yaml", "-ia", "--extract", "--indent", "f.yaml"});
    EXPECT_TRUE(n.mentions("--output"));
    EXPECT_TRUE(n.mentions("-i,--in-place"));  // from the cluster "-ia"
    EXPECT_TRUE(n.mentions("-a,--age"));
    EXPECT_TRUE(n.mentions("--indent"));       // a value of --extract that looks like an option
    EXPECT_TRUE(n.mentions("file"));           // positionals always
    EXPECT_FALSE(n.mentions("--input-type"));
    EXPECT_FALSE(n.mentions("-p,--pgp"));
    EXPECT_FALSE(n.mentions("--out"));         // whole names only, as CLI11 matches them
    EXPECT_FALSE(n.mentions("-h,--help"));
    EXPECT_TRUE(names_of({"sopskit", "decrypt", "-ih"}).mentions("-h,--help"));
    EXPECT_TRUE(names_of({"sopskit", "decrypt", "--help=1"}).mentions("-h,--help"));
    EXPECT_TRUE(n.has_word("decrypt"));
    EXPECT_TRUE(n.has_word("f.yaml"));
    EXPECT_FALSE(n.has_word("edit"));
    EXPECT_TRUE(ArgvNames().mentions("--anything"));  // unfiltered
    EXPECT_TRUE(ArgvNames().has_word("edit"));
}

// `decrypt`, `encrypt` and `rotate` register only the options their arguments name; these are
// the forms where that could go wrong, each read as with every option registered.
TEST(Startup, OneShotCommandsParseAsWithEveryOption) {
    fs::path dir = folder_with_age_secret();
    auto cli = [&](const std::string& args) {
        return run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' SOPS_AGE_KEY_FILE=key.txt '" + sopskit::test::cli_path() +
                   "' " + args);
    };
    auto extract = cli("decrypt --output=out.txt --extract='[\"stringData\"][\"password\"]' s.enc.yaml");
    ASSERT_EQ(extract.exit_code, 0) << extract.err;
    EXPECT_EQ(sopskit::test::read_file(dir / "out.txt"), "hunter2");

    // Help inside a cluster of short flags lists every option, not only the named ones.
    auto help = cli("decrypt -ih");
    EXPECT_EQ(help.exit_code, 0) << help.err;
    EXPECT_NE(help.out.find("--extract"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("--rm-hckms"), std::string::npos) << help.out;

    // "-ia R": -i, then -a taking the next argument.
    std::string key = sopskit::test::read_file(dir / "key.txt");
    std::string recipient = key.substr(key.find("age1"));
    recipient = recipient.substr(0, recipient.find_first_of(" \n"));
    write_file(dir / "t.yaml", kSecret);
    auto in_place = cli("encrypt -ia " + recipient + " t.yaml");
    ASSERT_EQ(in_place.exit_code, 0) << in_place.err;
    EXPECT_NE(sopskit::test::read_file(dir / "t.yaml").find("ENC[AES256_GCM"), std::string::npos);
    EXPECT_EQ(cli("decrypt t.yaml").out, kSecret);

    // No file and no command: the help, of every command and option.
    for (const char* nothing : {"", "--indent 2"}) {
        auto usage = cli(nothing);
        EXPECT_EQ(usage.exit_code, 100) << nothing;
        EXPECT_NE(usage.err.find("decrypt-manifests"), std::string::npos) << nothing << ": " << usage.err;
        EXPECT_NE(usage.err.find("--rm-hckms"), std::string::npos) << nothing << ": " << usage.err;
    }

    auto unknown = cli("decrypt --bogus s.enc.yaml");
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_EQ(unknown.err, "The following argument was not expected: --bogus\nRun with --help for more information.\n");
    auto missing = cli("decrypt s.enc.yaml --extract");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "--extract: 1 required TEXT missing\nRun with --help for more information.\n");
    auto bad = cli("decrypt --indent x s.enc.yaml");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_EQ(bad.err, "Could not convert: --indent = x\nRun with --help for more information.\n");
    // The key-service switch is read from the environment without being named.
    auto env = run("cd '" + dir.string() + "' && HOME='" + dir.string() + "' SOPS_AGE_KEY_FILE=key.txt SOPS_ENABLE_LOCAL_KEYSERVICE=false '" +
                   sopskit::test::cli_path() + "' decrypt s.enc.yaml");
    EXPECT_NE(env.exit_code, 0);
    EXPECT_NE(env.err.find("Failed to get the data key"), std::string::npos) << env.err;
}

// main registers a group of subcommands only when one of its names is an argument: every
// subcommand `--help` lists must be in command_groups.hpp, under the group that registers it.
TEST(Startup, CommandGroupsListEverySubcommand) {
    namespace g = sopskit::cli::command_groups;
    std::vector<std::string_view> listed;
    for (const auto* group : {&g::kKeygen, &g::kAudit, &g::kPublish, &g::kKeyservice, &g::kKmsEmulator})
        listed.insert(listed.end(), std::begin(*group), std::end(*group));
    for (std::string_view n : g::kKeymgmt) listed.push_back(n);
    for (std::string_view n : g::kEditExec) listed.push_back(n);
    for (std::string_view n : g::kSecret) listed.push_back(n);
    for (std::string_view n : g::kDecryptor) listed.push_back(n);
    for (std::string_view n : g::kDocs) listed.push_back(n);
    for (std::string_view n : g::kFile) listed.push_back(n);

    fs::path dir = sopskit::test::make_temp_dir();
    std::string cli = "cd '" + dir.string() + "' && HOME='" + dir.string() + "' '" + sopskit::test::cli_path() + "' ";
    auto help = run(cli + "--help");
    ASSERT_EQ(help.exit_code, 0) << help.err;
    size_t at = help.out.find("Subcommands:\n");
    ASSERT_NE(at, std::string::npos) << help.out;
    std::istringstream lines(help.out.substr(at + 13));
    int seen = 0;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string name;
        if (line.rfind("  ", 0) != 0 || !(words >> name)) continue;
        ++seen;
        EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << name << " is missing from cli/command_groups.hpp";
        // Registered, the subcommand rejects the root's --version; left out, `name` would be
        // read as a file and the version printed.
        auto r = run(cli + name + " --version", "");
        EXPECT_NE(r.exit_code, 0) << name << ": " << r.out;
        EXPECT_EQ(r.out.find("drop-in for sops"), std::string::npos) << name << " was not registered: " << r.out;
    }
    EXPECT_GE(seen, 20);
}
