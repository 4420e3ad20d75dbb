// Git credential Secrets against real peers: a real sshd on loopback with its own host keys,
// ssh-keygen, and the ssh client with strict host-key checking.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "sopskit/age.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/git_secret.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

std::string string_data(const std::string& manifest, const std::string& key) {
    Branch doc = load_plain(Format::Yaml, manifest).at(0);
    for (const auto& item : doc)
        if (item.key.text == "stringData")
            for (const auto& e : item.value.map)
                if (e.key.text == key) return e.value.text;
    return "<missing>";
}

// A throwaway sshd on a loopback port, with ECDSA, Ed25519 and RSA host keys.
class Sshd : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists("/usr/sbin/sshd")) GTEST_SKIP() << "openssh-server (sshd) not installed";
        if (!sopskit::test::have_program("ssh") || !sopskit::test::have_program("ssh-keygen")) GTEST_SKIP() << "ssh client not installed";
        dir_ = sopskit::test::make_temp_dir();
        for (const char* t : {"ecdsa", "ed25519", "rsa"})
            ASSERT_EQ(run("ssh-keygen -q -t " + std::string(t) + " -N '' -f '" + (dir_ / (std::string("host_") + t)).string() + "'").exit_code, 0);
        port_ = sopskit::test::free_loopback_port();
        user_ = run("id -un").out;
        user_.pop_back();
        write_file(dir_ / "authorized_keys", "");
        std::string cfg = "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\n";
        for (const char* t : {"ecdsa", "ed25519", "rsa"}) cfg += "HostKey " + (dir_ / (std::string("host_") + t)).string() + "\n";
        cfg += "PidFile " + (dir_ / "sshd.pid").string() + "\nAuthorizedKeysFile " + (dir_ / "authorized_keys").string() +
               "\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
               "UsePAM no\nPermitRootLogin yes\n";
        write_file(dir_ / "sshd_config", cfg);
        if (geteuid() == 0) fs::create_directories("/run/sshd");
        // sshd's log comes through a pipe: its "Server listening" line is the event to wait for,
        // and the end of the pipe means it died (the port taken in between, a bad config).
        int log[2];
        ASSERT_EQ(::pipe2(log, O_CLOEXEC), 0);
        pid_ = fork();
        if (pid_ == 0) {
            ::dup2(log[1], 2);
            execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").c_str(), nullptr);
            _exit(127);
        }
        ::close(log[1]);
        log_fd_ = log[0];
        std::string seen;
        const std::string ready = "Server listening on 127.0.0.1 port " + std::to_string(port_) + ".";
        while (seen.find(ready) == std::string::npos) {
            struct pollfd p{log_fd_, POLLIN, 0};
            char buf[512];
            ssize_t n = ::poll(&p, 1, 60000) == 1 ? ::read(log_fd_, buf, sizeof buf) : 0;
            if (n <= 0) FAIL() << "sshd did not start on port " << port_ << ": " << seen;
            seen.append(buf, static_cast<std::size_t>(n));
        }
        // Keep reading sshd's log so it never blocks on a full pipe; ends when sshd does.
        drain_ = std::thread([fd = log_fd_] {
            char buf[512];
            while (::read(fd, buf, sizeof buf) > 0) {
            }
        });
    }
    void TearDown() override {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
        if (drain_.joinable()) drain_.join();
        if (log_fd_ >= 0) ::close(log_fd_);
    }
    std::string host_pub(const char* type) {
        std::string pub = read_file(dir_ / (std::string("host_") + type + ".pub"));
        return pub.substr(0, pub.find(' ', pub.find(' ') + 1));
    }
    fs::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    int log_fd_ = -1;
    std::thread drain_;
    std::string user_;
};

}  // namespace

TEST_F(Sshd, ScanGivesTheHostKeyFluxsClientPrefers) {
    std::string line = scan_known_hosts("127.0.0.1", port_);
    EXPECT_EQ(line, "[127.0.0.1]:" + std::to_string(port_) + " " + host_pub("ecdsa"));
}

TEST_F(Sshd, GeneratedKeysLogInWithStrictHostKeyChecking) {
    for (auto [algo, curve] : std::vector<std::pair<std::string, std::string>>{
             {"ecdsa", "p256"}, {"ecdsa", "p384"}, {"ecdsa", "p521"}, {"ed25519", ""}, {"rsa", ""}}) {
        SCOPED_TRACE(algo + " " + curve);
        auto r = run("'" + sopskit::test::cli_path() + "' create secret git dev-team-auth -n apps --url ssh://" + user_ +
                     "@127.0.0.1:" + std::to_string(port_) + "/org/dev-team --ssh-key-algorithm " + algo +
                     (curve.empty() ? "" : " --ssh-ecdsa-curve " + curve) + " --export");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out.rfind("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: dev-team-auth\n  namespace: apps\nstringData:\n", 0), 0u) << r.out;
        EXPECT_EQ(r.out.substr(r.out.size() - 2), "\n\n") << "Flux's export ends with an empty line";
        EXPECT_EQ(r.out.find("type:"), std::string::npos);
        std::string identity = string_data(r.out, "identity"), pub = string_data(r.out, "identity.pub"),
                    known = string_data(r.out, "known_hosts");
        EXPECT_EQ(identity.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << "PKCS#8 PEM as Flux writes";
        EXPECT_EQ(known.find('\n'), std::string::npos);
        write_file(dir_ / "identity", identity);
        fs::permissions(dir_ / "identity", fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
        write_file(dir_ / "known_hosts", known + "\n");
        write_file(dir_ / "authorized_keys", pub);
        if (algo == "ed25519") {
            // OpenSSH cannot read Ed25519 keys in PKCS#8 PEM (Flux's format; Go reads it), so
            // check the pair with OpenSSL and skip the login for this kind.
            auto raw = run("openssl pkey -in '" + (dir_ / "identity").string() + "' -pubout -outform DER | tail -c 32 | base64 -w0");
            auto ours = run("echo '" + pub.substr(12, pub.size() - 13) + "' | base64 -d | tail -c 32 | base64 -w0");
            EXPECT_EQ(raw.out, ours.out) << "identity.pub matches the private key";
            continue;
        }
        auto derived = run("ssh-keygen -y -f '" + (dir_ / "identity").string() + "'");
        EXPECT_EQ(derived.out, pub) << "ssh-keygen derives the same public key";
        auto login = run("ssh -F /dev/null -i '" + (dir_ / "identity").string() + "' -o IdentitiesOnly=yes -o BatchMode=yes -o "
                         "StrictHostKeyChecking=yes -o UserKnownHostsFile='" + (dir_ / "known_hosts").string() + "' -p " +
                         std::to_string(port_) + " " + user_ + "@127.0.0.1 echo logged-in");
        EXPECT_EQ(login.out, "logged-in\n") << login.err;
    }
}

TEST_F(Sshd, EncryptedInOneStepAndDeployKey) {
    auto id = age::X25519Identity::generate();
    write_file(dir_ / "age.txt", id.encode() + "\n");
    std::string url = "ssh://git@127.0.0.1:" + std::to_string(port_) + "/org/repo";
    auto r = run("cd '" + dir_.string() + "' && '" + sopskit::test::cli_path() + "' create secret git auth --url " + url +
                 " --encrypt --age " + id.recipient() + " --output auth.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string enc = read_file(dir_ / "auth.yaml");
    EXPECT_EQ(enc.find("PRIVATE KEY"), std::string::npos) << "no plaintext private key on disk";
    EXPECT_NE(enc.find("name: auth"), std::string::npos);
    auto dec = run("SOPS_AGE_KEY_FILE='" + (dir_ / "age.txt").string() + "' '" + sopskit::test::cli_path() + "' -d '" +
                   (dir_ / "auth.yaml").string() + "'");
    ASSERT_EQ(dec.exit_code, 0) << dec.err;
    EXPECT_NE(dec.out.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
    auto key = run("SOPS_AGE_KEY_FILE='" + (dir_ / "age.txt").string() + "' '" + sopskit::test::cli_path() + "' deploy-key '" +
                   (dir_ / "auth.yaml").string() + "'");
    EXPECT_EQ(key.exit_code, 0) << key.err;
    EXPECT_EQ(key.out, string_data(dec.out, "identity.pub"));
    EXPECT_EQ(key.out.rfind("ecdsa-sha2-nistp384 ", 0), 0u) << "Flux's default: ECDSA P-384";
}

TEST(GitSecret, ValidationErrorsAreFluxs) {
    auto msg = [](GitSecretOptions o) {
        try {
            git_secret_manifest(o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    GitSecretOptions o;
    o.name = "x";
    o.url = "https://example.com/r";
    EXPECT_NE(msg(o).find("RFC 1123"), std::string::npos) << "names need 2+ characters";
    o.name = "ok-name";
    EXPECT_EQ(msg(o), "for Git over HTTP/S the username and password, or a bearer token is required");
    o.username = "u", o.password = "p", o.bearer_token = "t";
    EXPECT_EQ(msg(o), "user credentials and bearer token cannot be used together");
    o.url = "git@github.com:org/repo";
    EXPECT_EQ(msg(o), "git URL scheme '' not supported, can be: ssh, http and https");
    o.url = "ssh://git@127.0.0.1:1/x";
    o.known_hosts_override = "h k v";
    o.ssh_key_algorithm = "dsa";
    EXPECT_EQ(msg(o), "unsupported public key algorithm 'dsa', must be one of: rsa, ecdsa, ed25519");
    o.ssh_key_algorithm = "rsa", o.ssh_rsa_bits = 1000;
    EXPECT_EQ(msg(o), "RSA key bit size must be at least 1024");
    o.ssh_rsa_bits = 1028;
    EXPECT_EQ(msg(o), "RSA key bit size must be a multiples of 8");
    o.ssh_key_algorithm = "ecdsa", o.ssh_ecdsa_curve = "p999";
    EXPECT_EQ(msg(o), "unsupported curve 'p999', must be one of: p256, p384, p521");
}

TEST(GitSecret, BasicAuthAndTokenShapes) {
    GitSecretOptions o;
    o.name = "https-auth";
    o.url = "https://github.com/org/repo";
    o.username = "git";
    o.password = "pa55";
    o.ca_crt = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
    o.labels = parse_labels({"team=dev,tier=1"});
    std::string m = git_secret_manifest(o);
    EXPECT_EQ(m, "---\napiVersion: v1\nkind: Secret\nmetadata:\n  labels:\n    team: dev\n    tier: \"1\"\n  name: https-auth\n"
                 "  namespace: flux-system\nstringData:\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    abc\n"
                 "    -----END CERTIFICATE-----\n  password: pa55\n  username: git\n\n");
    o.username.clear();
    o.password.clear();
    o.bearer_token = "tok";
    EXPECT_NE(git_secret_manifest(o).find("  bearerToken: tok\n"), std::string::npos);
    EXPECT_THROW(parse_labels({"novalue"}), Error);
}

TEST(GitSecret, UnreachableHostIsAClearError) {
    try {
        scan_known_hosts("127.0.0.1", 1, std::chrono::seconds(5));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("SSH key scan for host 127.0.0.1:1 failed, error: ", 0), 0u) << e.what();
    }
}

TEST(GitSecret, DecryptionSecretNamesEntriesByAdler32) {
    // Flux's MakeSOPSSecret names entries fmt.Sprintf("%v.agekey", adler32.Checksum(key)): the
    // standard Adler-32 (running sum seeded with 1). Expected numbers come from Python's
    // zlib.adler32, an independent implementation; seeding with 0 would give 930088196 and
    // 3181384194.
    const std::string age_key = "AGE-SECRET-KEY-1ABC\n";
    const std::string pgp_key = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----\n";
    // Entries sorted as strings, as sigs.k8s.io/yaml renders a map.
    std::string m = flux_decryption_secret("sops-keys", "flux-system", {age_key}, {pgp_key});
    EXPECT_EQ(m, "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-keys\n  namespace: flux-system\nstringData:\n"
                 "  3186364931.asc: |\n    -----BEGIN PGP PRIVATE KEY BLOCK-----\n    x\n    -----END PGP PRIVATE KEY BLOCK-----\n"
                 "  931398917.agekey: |\n    AGE-SECRET-KEY-1ABC\n"
                 "type: Opaque\n\n");
    // The textbook vector: Adler-32("Wikipedia") = 0x11E60398.
    EXPECT_NE(flux_decryption_secret("k", "ns", {"Wikipedia"}, {}).find("  300286872.agekey: Wikipedia\n"), std::string::npos);
}

TEST(GitSecret, PrivateKeyFileIsKeptVerbatimAndOpenedWithThePassword) {
    REQUIRE_PROGRAM("ssh-keygen");
    fs::path dir = sopskit::test::make_temp_dir();
    for (const char* t : {"ed25519", "ecdsa", "rsa"}) {
        SCOPED_TRACE(t);
        fs::path key = dir / (std::string("k_") + t);
        ASSERT_EQ(run("ssh-keygen -q -t " + std::string(t) + " -N 'pass phrase' -C comment -f '" + key.string() + "'").exit_code, 0);
        GitSecretOptions o;
        o.name = "from-file";
        o.url = "ssh://git@example.invalid/org/repo";
        o.known_hosts_override = "example.invalid ssh-ed25519 AAAA";
        o.private_key_file_bytes = read_file(key);
        o.password = "pass phrase";
        std::string m = git_secret_manifest(o);
        EXPECT_EQ(string_data(m, "identity"), read_file(key)) << "the file's bytes, verbatim";
        std::string pub = read_file(key.string() + ".pub");
        EXPECT_EQ(string_data(m, "identity.pub"), pub.substr(0, pub.rfind(' ')) + "\n") << "derived, without the comment";
        EXPECT_EQ(string_data(m, "password"), "pass phrase");
        o.password = "wrong";
        EXPECT_THROW(git_secret_manifest(o), Error);
    }
}

TEST(OtherSecrets, HelmTlsAndOciShapes) {
    fs::path dir = sopskit::test::make_temp_dir();
    auto gen = run("cd '" + dir.string() + "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem "
                   "-out c.pem -days 1 -subj /CN=test 2>/dev/null && openssl req -x509 -newkey ec -pkeyopt "
                   "ec_paramgen_curve:P-256 -nodes -keyout other.pem -out other_c.pem -days 1 -subj /CN=o 2>/dev/null");
    ASSERT_EQ(gen.exit_code, 0);
    TlsMaterial pair{read_file(dir / "c.pem"), read_file(dir / "k.pem"), std::nullopt};
    std::string tls = tls_secret_manifest("tls-auth", "flux-system", {}, pair);
    EXPECT_NE(tls.find("type: kubernetes.io/tls"), std::string::npos);
    EXPECT_NE(tls.find("  tls.crt: |\n"), std::string::npos);
    TlsMaterial mismatched{read_file(dir / "c.pem"), read_file(dir / "other.pem"), std::nullopt};
    EXPECT_THROW(tls_secret_manifest("tls-auth", "flux-system", {}, mismatched), Error);
    TlsMaterial ca_only{std::nullopt, std::nullopt, read_file(dir / "c.pem")};
    EXPECT_NE(tls_secret_manifest("tls-auth", "flux-system", {}, ca_only).find("type: Opaque"), std::string::npos);
    std::string helm = helm_secret_manifest("helm-auth", "flux-system", {}, "u", "p", TlsMaterial{});
    EXPECT_NE(helm.find("type: kubernetes.io/basic-auth"), std::string::npos);
    EXPECT_THROW(helm_secret_manifest("helm-auth", "flux-system", {}, "u", "", TlsMaterial{}), Error);
    EXPECT_EQ(helm_secret_manifest("helm-auth", "flux-system", {}, "", "", TlsMaterial{}).find("stringData"), std::string::npos)
        << "Flux's empty StringData is omitempty";
    std::string oci = oci_secret_manifest("ghcr-auth", "flux-system", "ghcr.io", "me", "pw");
    EXPECT_NE(oci.find("  .dockerconfigjson: |-\n    {\n      \"auths\": {\n        \"ghcr.io\": {\n          \"username\": \"me\",\n"
                       "          \"password\": \"pw\",\n          \"auth\": \"bWU6cHc=\"\n        }\n      }\n    }\n"),
              std::string::npos) << oci;
    EXPECT_NE(oci.find("type: kubernetes.io/dockerconfigjson"), std::string::npos);
}
