// sops' key service: `sopskit keyservice` serving this host's keys, and the --keyservice client
// of every file command, over unix sockets and loopback TCP.
#include <chrono>
#include <cstdlib>

#include "keyservice_support.hpp"
#include "sopskit/age.hpp"
#include "test_support.hpp"

namespace {

using namespace sopskit::test;
namespace fs = std::filesystem;

class KeyService : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = make_temp_dir();
        fs::create_directories(dir_ / "server-home");
        fs::create_directories(dir_ / "client-home");
        auto id = sopskit::age::X25519Identity::generate();
        recipient_ = id.recipient();
        write_file(dir_ / "server-home/keys.txt", id.encode() + "\n");
        write_file(dir_ / "plain.yaml", "password: hunter2\nuser: admin\n");
    }
    Env server_env() const {
        return {{"HOME", (dir_ / "server-home").string()}, {"SOPS_AGE_KEY_FILE", (dir_ / "server-home/keys.txt").string()},
                {"GNUPGHOME", (dir_ / "server-home/gnupg").string()}};
    }
    // A client with no keys of its own: only a key service can open the file.
    Env client_env(Env extra = {}) const {
        Env env{{"HOME", (dir_ / "client-home").string()}, {"SOPS_AGE_KEY_FILE", (dir_ / "client-home/none.txt").string()},
                {"GNUPGHOME", (dir_ / "client-home/gnupg").string()}, {"XDG_CONFIG_HOME", (dir_ / "client-home").string()}};
        // Under the sanitizers: LeakSanitizer's exit-time thread stop crashes now and then
        // ("Tracer caught signal 11") while gRPC's threads of the loaded module start or end,
        // failing a client that did its work. Leak checks stay on everywhere else; ASan and
        // UBSan stay on here.
        if (const char* asan = std::getenv("ASAN_OPTIONS")) env.push_back({"ASAN_OPTIONS", std::string(asan) + ":detect_leaks=0"});
        for (auto& e : extra) env.push_back(std::move(e));
        return env;
    }
    RunResult sopskit(std::vector<std::string> args, const Env& env) {
        args.insert(args.begin(), cli_path());
        return run_argv(args, dir_, env);
    }
    fs::path dir_;
    std::string recipient_;
};

TEST_F(KeyService, AgeEncryptAndDecryptThroughAUnixSocket) {
    ServerProcess server = keyservice(dir_, {"--network", "unix", "--address", (dir_ / "ks.sock").string()}, server_env());
    ASSERT_EQ(server.address(), "unix://" + (dir_ / "ks.sock").string()) << server.log();
    const std::string uri = "unix://" + (dir_ / "ks.sock").string();
    // Encrypt with the local key service off: the data key is wrapped by the server.
    auto enc = sopskit({"encrypt", "--enable-local-keyservice=false", "--keyservice", uri, "--age", recipient_, "plain.yaml"},
                       client_env());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    write_file(dir_ / "secret.yaml", enc.out);
    EXPECT_NE(server.log().find("op=encrypt key=age " + recipient_ + " result=OK"), std::string::npos) << server.log();

    // The client alone cannot open it; through the key service (after the local one) it can.
    auto alone = sopskit({"decrypt", "secret.yaml"}, client_env());
    EXPECT_NE(alone.exit_code, 0);
    auto dec = sopskit({"decrypt", "--keyservice", uri, "secret.yaml"}, client_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, "password: hunter2\nuser: admin\n");
    EXPECT_NE(server.log().find("op=decrypt key=age " + recipient_ + " result=OK"), std::string::npos) << server.log();
    // SOPS_KEYSERVICE does the same; the access log never shows key material.
    auto by_env = sopskit({"decrypt", "secret.yaml"}, client_env({{"SOPS_KEYSERVICE", uri}}));
    EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
    EXPECT_EQ(server.log().find("AGE-SECRET-KEY"), std::string::npos);
    EXPECT_EQ(server.log().find("-----BEGIN AGE"), std::string::npos);
    EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST_F(KeyService, PgpOverLoopbackTcpWithPortZero) {
    REQUIRE_CONFORMANCE(conf);
    REQUIRE_PROGRAM("gpg");
    fs::create_directories(dir_ / "server-home/gnupg");
    fs::permissions(dir_ / "server-home/gnupg", fs::perms::owner_all, fs::perm_options::replace);
    auto imp = run("GNUPGHOME='" + (dir_ / "server-home/gnupg").string() + "' gpg --batch --quiet --import '" +
                   (conf / "sops/pgp/sops_functional_tests_key.asc").string() + "'");
    ASSERT_EQ(imp.exit_code, 0) << imp.err;
    const std::string fp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
    ServerProcess server = keyservice(dir_, {"--address", "127.0.0.1:0"}, server_env());
    ASSERT_EQ(server.address().rfind("tcp://127.0.0.1:", 0), 0u) << server.log();
    auto enc = sopskit({"encrypt", "--enable-local-keyservice=false", "--keyservice", server.address(), "--pgp", fp, "plain.yaml"},
                       client_env());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    write_file(dir_ / "secret.yaml", enc.out);
    EXPECT_NE(enc.out.find("fp: " + fp), std::string::npos);
    auto dec = sopskit({"decrypt", "--enable-local-keyservice=false", "--keyservice", server.address(), "secret.yaml"}, client_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, "password: hunter2\nuser: admin\n");
    run("gpgconf --homedir '" + (dir_ / "server-home/gnupg").string() + "' --kill all");
}

TEST_F(KeyService, FailsOverToTheNextKeyServiceAndReportsEach) {
    ServerProcess server = keyservice(dir_, {"--network", "unix", "--address", (dir_ / "ks.sock").string()}, server_env());
    ASSERT_FALSE(server.address().empty()) << server.log();
    const std::string dead = "unix://" + (dir_ / "nobody-here.sock").string(), live = "unix://" + (dir_ / "ks.sock").string();
    auto enc = sopskit({"encrypt", "--age", recipient_, "plain.yaml"}, client_env());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    write_file(dir_ / "secret.yaml", enc.out);
    auto dec = sopskit({"decrypt", "--keyservice", dead, "--keyservice", live, "secret.yaml"}, client_env());
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_EQ(dec.out, "password: hunter2\nuser: admin\n");
    // Server gone: every service's error, sops-style, one line per key.
    server.kill_now();
    auto none = sopskit({"decrypt", "--keyservice", dead, "--keyservice", live, "secret.yaml"}, client_env());
    EXPECT_EQ(none.exit_code, 128) << none.err;
    EXPECT_NE(none.err.find("rpc error: code = Unavailable"), std::string::npos) << none.err;
    EXPECT_NE(none.err.find("local key service: "), std::string::npos) << none.err;
    // A write through a dead key service leaves the file as it was.
    const std::string before = read_file(dir_ / "secret.yaml");
    const auto files = std::distance(fs::directory_iterator(dir_), fs::directory_iterator());
    auto rot = sopskit({"rotate", "-i", "--keyservice", dead, "--keyservice", live, "secret.yaml"}, client_env());
    EXPECT_NE(rot.exit_code, 0);
    EXPECT_EQ(read_file(dir_ / "secret.yaml"), before);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), files);  // no temp file left
    // Nothing at all to ask: sops' words for encryption.
    auto nothing = sopskit({"encrypt", "--enable-local-keyservice=false", "--age", recipient_, "plain.yaml"}, client_env());
    EXPECT_NE(nothing.exit_code, 0);
    EXPECT_NE(nothing.err.find("no key services provided, cannot update master keys"), std::string::npos) << nothing.err;
}

TEST_F(KeyService, SlowServerHitsTheClientDeadline) {
    Env env = server_env();
    env.emplace_back("SOPSKIT_KEYSERVICE_TEST_DELAY_MS", "5000");
    ServerProcess server = keyservice(dir_, {"--network", "unix", "--address", (dir_ / "ks.sock").string()}, env);
    ASSERT_FALSE(server.address().empty()) << server.log();
    auto enc = sopskit({"encrypt", "--age", recipient_, "plain.yaml"}, client_env());
    write_file(dir_ / "secret.yaml", enc.out);
    const auto start = std::chrono::steady_clock::now();
    auto dec = sopskit({"decrypt", "--keyservice", "unix://" + (dir_ / "ks.sock").string(), "secret.yaml"},
                       client_env({{"SOPSKIT_KEYSERVICE_TIMEOUT_S", "1"}}));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
    EXPECT_NE(dec.exit_code, 0);
    EXPECT_NE(dec.err.find("code = DeadlineExceeded"), std::string::npos) << dec.err;
}

TEST_F(KeyService, BadUriIsNamedAndNoGrpcIsLoadedWithoutAKeyService) {
    auto enc = sopskit({"encrypt", "--age", recipient_, "plain.yaml"}, client_env());
    ASSERT_EQ(enc.exit_code, 0);
    write_file(dir_ / "secret.yaml", enc.out);
    auto dec = sopskit({"decrypt", "--keyservice", "http://x", "secret.yaml"}, client_env());
    EXPECT_NE(dec.exit_code, 0);
    EXPECT_NE(dec.err.find("invalid key service http://x: unsupported scheme http"), std::string::npos) << dec.err;
    // The CLI does not link gRPC: the module is separate.
    auto ldd = run("ldd '" + cli_path() + "'");
    EXPECT_EQ(ldd.out.find("libgrpc"), std::string::npos) << ldd.out;
}

}  // namespace

namespace {

// A CA, a server certificate for localhost/127.0.0.1, and client certificates by CN.
void make_certificates(const fs::path& dir, const std::vector<std::string>& clients) {
    const std::string d = "'" + dir.string() + "'";
    std::string script = "set -e; cd " + d + "; printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext;"
                         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca 2>/dev/null;"
                         "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null;"
                         "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext 2>/dev/null;";
    for (const auto& cn : clients)
        script += "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + cn + ".key -out " + cn + ".csr -subj /CN=" + cn +
                  " 2>/dev/null; openssl x509 -req -in " + cn + ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -out " + cn + ".crt -days 2 2>/dev/null;";
    // A client whose certificate no trusted CA signed.
    script += "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key -out stranger.crt -days 2 -subj /CN=allowed 2>/dev/null";
    auto r = run(script);
    ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace

TEST_F(KeyService, MutualTlsAndPolicyOnlyAPermittedCertificateUnwraps) {
    REQUIRE_PROGRAM("openssl");
    make_certificates(dir_, {"allowed", "denied"});
    write_file(dir_ / "policy.yaml", "rules:\n  - clients: {subjects: [\"CN=allowed\"]}\n    keys: [\"age:*\"]\n    operations: [decrypt]\n");
    ServerProcess server = keyservice(dir_, {"--address", "127.0.0.1:0", "--tls-cert", "server.crt", "--tls-key", "server.key",
                                             "--client-ca", "ca.crt", "--policy", "policy.yaml"}, server_env());
    ASSERT_FALSE(server.address().empty()) << server.log();
    auto enc = sopskit({"encrypt", "--age", recipient_, "plain.yaml"}, client_env());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    write_file(dir_ / "secret.yaml", enc.out);
    auto as = [&](const std::string& who) {
        Env tls{{"SOPSKIT_KEYSERVICE_CA", (dir_ / "ca.crt").string()}, {"SOPSKIT_KEYSERVICE_SERVER_NAME", "localhost"}};
        if (!who.empty()) {
            tls.emplace_back("SOPSKIT_KEYSERVICE_CERT", (dir_ / (who + ".crt")).string());
            tls.emplace_back("SOPSKIT_KEYSERVICE_KEY", (dir_ / (who + ".key")).string());
        }
        return sopskit({"decrypt", "--keyservice", server.address(), "secret.yaml"}, client_env(tls));
    };
    auto allowed = as("allowed");
    ASSERT_EQ(allowed.exit_code, 0) << allowed.err << server.log();
    EXPECT_EQ(allowed.out, "password: hunter2\nuser: admin\n");
    EXPECT_NE(server.log().find("subject=\"CN=allowed\" op=decrypt key=age " + recipient_ + " result=OK"), std::string::npos) << server.log();

    // A certificate from the CA that the policy does not name: PERMISSION_DENIED, logged.
    auto denied = as("denied");
    EXPECT_NE(denied.exit_code, 0);
    EXPECT_EQ(denied.out.find("hunter2"), std::string::npos);
    EXPECT_NE(denied.err.find("code = PermissionDenied desc = permission denied: no policy rule lets this client decrypt with age:" + recipient_),
              std::string::npos) << denied.err;
    EXPECT_NE(server.log().find("subject=\"CN=denied\" op=decrypt key=age " + recipient_ + " result=PermissionDenied"), std::string::npos)
        << server.log();
    // Encrypting is not granted even to the allowed client.
    Env allowed_tls{{"SOPSKIT_KEYSERVICE_CA", (dir_ / "ca.crt").string()}, {"SOPSKIT_KEYSERVICE_SERVER_NAME", "localhost"},
                    {"SOPSKIT_KEYSERVICE_CERT", (dir_ / "allowed.crt").string()}, {"SOPSKIT_KEYSERVICE_KEY", (dir_ / "allowed.key").string()}};
    auto wrap = sopskit({"encrypt", "--enable-local-keyservice=false", "--keyservice", server.address(), "--age", recipient_, "plain.yaml"},
                        client_env(allowed_tls));
    EXPECT_NE(wrap.exit_code, 0);
    EXPECT_NE(wrap.err.find("PermissionDenied"), std::string::npos) << wrap.err;
    // No certificate, one no trusted CA signed, or no TLS at all: no connection.
    for (const char* who : {"", "stranger"}) {
        auto r = as(who);
        EXPECT_NE(r.exit_code, 0) << who;
        EXPECT_NE(r.err.find("code = Unavailable"), std::string::npos) << who << ": " << r.err;
    }
    auto plain = sopskit({"decrypt", "--keyservice", server.address(), "secret.yaml"}, client_env());
    EXPECT_NE(plain.exit_code, 0);
    // No key material in the log.
    EXPECT_EQ(server.log().find("AGE-SECRET-KEY"), std::string::npos);
    EXPECT_EQ(server.log().find("BEGIN AGE"), std::string::npos);
}

TEST_F(KeyService, BadPolicyStopsTheServerNamingThePlace) {
    write_file(dir_ / "policy.yaml", "rules:\n  - clients: \"*\"\n    keys: [\"age:*\"]\n    operations: [unwrap]\n");
    auto r = sopskit({"keyservice", "--network", "unix", "--address", (dir_ / "ks.sock").string(), "--policy", "policy.yaml"}, server_env());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("key service policy policy.yaml: rules[0].operations: expected encrypt or decrypt, got unwrap"), std::string::npos)
        << r.err;
}

namespace {

TEST_F(KeyService, DecryptorAsksTheKeyServiceAfterTheDecryptionSecret) {
    ServerProcess server = keyservice(dir_, {"--network", "unix", "--address", (dir_ / "ks.sock").string()}, server_env());
    ASSERT_FALSE(server.address().empty()) << server.log();
    write_file(dir_ / "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n");
    auto enc = sopskit({"encrypt", "-i", "--age", recipient_, "--encrypted-regex", "^(data|stringData)$", "secret.yaml"}, client_env());
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    // The Secret holds another age key: only the key service can open the file.
    write_file(dir_ / "decryption.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-age\nstringData:\n  other.agekey: " +
                                             sopskit::age::X25519Identity::generate().encode() + "\n");
    auto alone = sopskit({"decrypt-manifests", "--decryption-secret", "decryption.yaml", "secret.yaml"}, client_env());
    EXPECT_NE(alone.exit_code, 0);
    auto r = sopskit({"decrypt-manifests", "--decryption-secret", "decryption.yaml", "--keyservice", server.address(), "secret.yaml"},
                     client_env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("password: hunter2"), std::string::npos) << r.out;
    EXPECT_NE(server.log().find("op=decrypt key=age " + recipient_ + " result=OK"), std::string::npos) << server.log();
}

}  // namespace
