// Nothing secret outlives sopskit: GnuPG homes of --serve (with their agents), build's work
// copy, edit's private folder with an editor's backup files, stale folders of dead runs. And the
// smaller hardening items: $EDITOR without a shell, exec-env's refused variables, escaped error
// text, capture() reading both pipes. Every wait is on an event (a pipe, a FIFO, a pidfd).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "sopskit/sops_file.hpp"
#include "sopskit/keygen.hpp"
#include "sopskit/pgp_keys.hpp"
#include "sopskit/private_dir.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

const char* kSecret = "hunter2-hygiene-5e1d";

// The CLI as a child with pipes on stdin, stdout and stderr, and extra environment.
struct Child {
    pid_t pid = -1;
    int in = -1, out = -1, err = -1;

    static Child start(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                       const fs::path& cwd) {
        int p_in[2], p_out[2], p_err[2];
        if (pipe2(p_in, O_CLOEXEC) || pipe2(p_out, O_CLOEXEC) || pipe2(p_err, O_CLOEXEC)) throw std::runtime_error("pipe");
        std::vector<std::string> argv_s{sopskit::test::cli_path()};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        Child c;
        c.pid = fork();
        if (c.pid == 0) {
            dup2(p_in[0], 0);
            dup2(p_out[1], 1);
            dup2(p_err[1], 2);
            if (chdir(cwd.c_str()) != 0) _exit(126);
            for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
            std::vector<char*> argv;
            for (auto& a : argv_s) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(p_in[0]);
        close(p_out[1]);
        close(p_err[1]);
        c.in = p_in[1];
        c.out = p_out[0];
        c.err = p_err[0];
        return c;
    }

    // Reads stdout up to and including a NUL (one --serve answer).
    std::string read_answer() {
        std::string got;
        char ch;
        while (read(out, &ch, 1) == 1) {
            if (ch == '\0') return got;
            got += ch;
        }
        return got + "(end of output)";
    }

    // stderr to its end: the CLI and its folders' guardians have all finished.
    std::string read_err_to_end() {
        std::string got;
        char buf[4096];
        for (ssize_t n; (n = read(err, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
        return got;
    }

    int wait_status() {
        int status = 0;
        waitpid(pid, &status, 0);
        for (int fd : {in, out, err})
            if (fd >= 0) close(fd);
        in = out = err = -1;
        return status;
    }
};

std::vector<fs::path> folders_named(const fs::path& dir, const std::string& prefix) {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path());
    return found;
}

// Processes whose command line mentions `text` (a GnuPG home's path).
std::vector<pid_t> processes_mentioning(const std::string& text) {
    std::vector<pid_t> found;
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline;
        try {
            cmdline = read_file(e.path() / "cmdline");
        } catch (const std::exception&) {
            continue;
        }
        if (cmdline.find(text) != std::string::npos && cmdline.find("gpg-agent") != std::string::npos)
            found.push_back(std::stoi(name));
    }
    return found;
}

// Waits (up to 30 s, on the process's pidfd) for a process that is not our child to end.
bool wait_gone(pid_t pid) {
    int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return errno == ESRCH;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, 30000);
    close(fd);
    return r == 1;
}

// A pid that was ours and is now gone.
pid_t dead_pid() {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
}

class SecretHygiene : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        tmp_ = dir_ / "tmp";
        fs::create_directory(tmp_);
        auto r = cli("keygen age --output key.txt");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        recipient_ = r.err.substr(r.err.find("age1"), 62);
    }

    sopskit::test::RunResult cli(const std::string& args, const std::string& env = "") {
        return run("cd '" + dir_.string() + "' && HOME='" + dir_.string() + "' TMPDIR='" + tmp_.string() +
                   "' SOPS_AGE_KEY_FILE=key.txt " + env + " '" + sopskit::test::cli_path() + "' " + args);
    }

    // An encrypted YAML file holding kSecret.
    void make_encrypted(const std::string& name) {
        write_file(dir_ / name, std::string("password: ") + kSecret + "\n");
        auto r = cli("encrypt -i --age " + recipient_ + " " + name);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }

    // An executable script in the test folder.
    fs::path script(const std::string& name, const std::string& body) {
        fs::path p = dir_ / name;
        write_file(p, "#!/bin/sh\n" + body);
        chmod(p.c_str(), 0755);
        return p;
    }

    // The CLI without a shell in between, with the test's folders and extra environment.
    sopskit::test::RunResult run_cli(const std::vector<std::string>& args, std::map<std::string, std::string> env) {
        env.insert({"TMPDIR", tmp_.string()});
        env.insert({"HOME", dir_.string()});
        env.insert({"SOPS_AGE_KEY_FILE", "key.txt"});
        Child c = Child::start(args, env, dir_);
        close(c.in);
        c.in = -1;
        sopskit::test::RunResult r;
        char buf[4096];
        for (ssize_t n; (n = read(c.out, buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
        r.err = c.read_err_to_end();
        int status = c.wait_status();
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return r;
    }

    fs::path dir_, tmp_;
    std::string recipient_;
};

// SIGTERM to `decrypt-manifests --serve` holding a PGP key: the GnuPG home is wiped and
// removed and its gpg-agent stopped before the process dies.
TEST_F(SecretHygiene, SigtermDuringServeLeavesNoGnupgHomeNorAgent) {
    REQUIRE_PROGRAM("gpg");
    using namespace sopskit;
    GeneratedPgpKey pgp = generate_pgp_key("hygiene", "ed25519");
    auto writer_home = GnupgHome::create_temporary();
    writer_home->import_keys(pgp.armored_public);
    KeyRing writer;
    writer.add(make_pgp_key_source(writer_home));
    EncryptRequest req;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"pgp", pgp.fingerprint, {}}}};
    std::string manifest = encrypt_document(std::string("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: ") +
                                                kSecret + "\n",
                                            req, writer);
    write_file(dir_ / "sops-gpg.yaml", secret_manifest("sops-gpg", "flux-system", {{"sops.asc", pgp.armored_secret.view()}}));

    Child c = Child::start({"decrypt-manifests", "--serve", "--decryption-secret", "sops-gpg.yaml"},
                           {{"TMPDIR", tmp_.string()}, {"HOME", dir_.string()}}, dir_);
    manifest += '\0';
    ASSERT_EQ(write(c.in, manifest.data(), manifest.size()), static_cast<ssize_t>(manifest.size()));
    std::string answer = c.read_answer();
    ASSERT_NE(answer.find(kSecret), std::string::npos) << "the PGP key decrypted: " << answer;
    auto homes = folders_named(tmp_, "sopskit-gpg-");
    ASSERT_EQ(homes.size(), 1u);
    std::vector<pid_t> agents = processes_mentioning(homes[0].string());
    ASSERT_FALSE(agents.empty()) << "the home's gpg-agent runs while serving";

    kill(c.pid, SIGTERM);
    c.read_err_to_end();
    int status = c.wait_status();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "dies of the signal, as before";
    EXPECT_TRUE(folders_named(tmp_, "sopskit-gpg-").empty()) << "the GnuPG home with the secret key is removed";
    for (pid_t agent : agents) EXPECT_TRUE(wait_gone(agent)) << "gpg-agent " << agent << " was stopped";
    EXPECT_TRUE(processes_mentioning(homes[0].string()).empty());
}

// SIGKILL of `build` while kustomize runs on the decrypted work copy: its guardian wipes it.
TEST_F(SecretHygiene, SigkillOfBuildLeavesNoWorkCopy) {
    fs::create_directories(dir_ / "repo");
    write_file(dir_ / "repo/secret.env", std::string("password=") + kSecret + "\n");
    ASSERT_EQ(cli("encrypt -i --age " + recipient_ + " repo/secret.env").exit_code, 0);
    write_file(dir_ / "repo/kustomization.yaml",
               "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n- name: app\n  envs:\n  - secret.env\n");
    // A kubectl that says where it runs, then waits until told to go.
    fs::create_directory(dir_ / "bin");
    ASSERT_EQ(mkfifo((dir_ / "ready").c_str(), 0600), 0);
    ASSERT_EQ(mkfifo((dir_ / "go").c_str(), 0600), 0);
    script("bin/kubectl", "printf '%s\\n' \"$2\" > '" + (dir_ / "ready").string() + "'\nread _ < '" + (dir_ / "go").string() + "'\n");
    int ready = open((dir_ / "ready").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(ready, 0);

    Child c = Child::start({"build", "repo"},
                           {{"TMPDIR", tmp_.string()}, {"HOME", dir_.string()}, {"SOPS_AGE_KEY_FILE", "key.txt"},
                            {"PATH", (dir_ / "bin").string() + ":/usr/bin:/bin"}},
                           dir_);
    pollfd fds[2] = {{ready, POLLIN, 0}, {c.err, POLLIN, 0}};
    ASSERT_EQ(poll(fds, 2, 60000), 1);
    ASSERT_TRUE(fds[0].revents & POLLIN) << "kubectl did not start: " << c.read_err_to_end();
    char buf[4096];
    ssize_t n = read(ready, buf, sizeof buf);
    ASSERT_GT(n, 0);
    std::string work_dir(buf, static_cast<std::size_t>(n) - 1);
    EXPECT_NE(read_file(fs::path(work_dir) / "secret.env").find(kSecret), std::string::npos)
        << "the work copy holds the decrypted source while kustomize runs";

    kill(c.pid, SIGKILL);
    c.read_err_to_end();  // the guardian holds stderr until it has cleaned up
    c.wait_status();
    EXPECT_TRUE(folders_named(tmp_, "sopskit-build-").empty()) << "the work copy is removed";
    EXPECT_FALSE(fs::exists(work_dir));
    int go = open((dir_ / "go").c_str(), O_WRONLY | O_CLOEXEC);  // let the fake kubectl end
    close(go);
    close(ready);
}

// An editor that leaves backup, swap and autosave files beside the plaintext: all of them go.
TEST_F(SecretHygiene, EditRemovesTheEditorsBackupFiles) {
    make_encrypted("s.yaml");
    fs::path editor = script("editor.sh",
                             "cp \"$1\" \"$1~\"\n"
                             "cp \"$1\" \"$(dirname \"$1\")/.$(basename \"$1\").swp\"\n"
                             "cp \"$1\" \"$1.save\"\n"
                             "mkdir \"$(dirname \"$1\")/backups\" && cp \"$1\" \"$(dirname \"$1\")/backups/copy\"\n"
                             "printf 'extra: value\\n' >> \"$1\"\n");
    auto r = cli("edit s.yaml", "EDITOR='" + editor.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_empty(tmp_)) << "nothing left of the private folder";
    EXPECT_NE(cli("decrypt s.yaml").out.find("extra: value"), std::string::npos);
}

// Folders of a crashed run (dead pid, lock free) go at the next start; live ones stay.
TEST_F(SecretHygiene, StaleFoldersOfDeadRunsAreRemovedAtNextStart) {
    make_encrypted("s.yaml");
    auto make_folder = [&](pid_t pid, const std::string& tail) {
        fs::path f = tmp_ / ("sopskit-edit-" + std::to_string(pid) + "-" + tail);
        fs::create_directory(f);
        write_file(f / ".sopskit-lock", "");
        write_file(f / "s.yaml", std::string("password: ") + kSecret + "\n");
        return f;
    };
    fs::path stale = make_folder(dead_pid(), "aB3xYz");
    fs::path live = make_folder(getpid(), "qW7eRt");
    // A dead pid here, but the lock is held: a live run in another pid namespace.
    fs::path locked = make_folder(dead_pid(), "zX9cVb");
    int lock = open((locked / ".sopskit-lock").c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_EQ(flock(lock, LOCK_EX), 0);

    fs::path editor = script("editor.sh", "printf 'extra: value\\n' >> \"$1\"\n");
    auto r = cli("edit s.yaml", "EDITOR='" + editor.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(stale)) << "the dead run's plaintext is gone";
    EXPECT_TRUE(fs::exists(live / "s.yaml"));
    EXPECT_TRUE(fs::exists(locked / "s.yaml"));
    close(lock);
}

// $EDITOR is split into words like sops does, never given to a shell: quotes group words, and
// a `;` is only an argument.
TEST_F(SecretHygiene, EditorRunsWithoutAShell) {
    make_encrypted("s.yaml");
    fs::path args = dir_ / "args.txt";
    fs::path editor = script("my editor.sh", "for a; do printf '%s\\n' \"$a\" >> '" + args.string() +
                                                 "'; last=\"$a\"; done\nprintf 'extra: value\\n' >> \"$last\"\n");
    fs::path pwned = dir_ / "pwned";
    auto r = run_cli({"edit", "s.yaml"}, {{"EDITOR", "'" + editor.string() + "' \"--flag with space\" it\\'s ; touch " + pwned.string()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(pwned)) << "a shell ran the second command";
    std::string got = read_file(args);
    std::string file_arg = got.substr(got.rfind('\n', got.size() - 2) + 1);
    EXPECT_EQ(got, "--flag with space\nit's\n;\ntouch\n" + pwned.string() + "\n" + file_arg);
    EXPECT_NE(file_arg.find("/sopskit-edit-"), std::string::npos) << file_arg;
    // An unterminated quote is refused before anything runs.
    auto bad = run_cli({"edit", "s.yaml"}, {{"EDITOR", "'" + editor.string()}});
    EXPECT_EQ(bad.exit_code, 201) << bad.err;
    EXPECT_NE(bad.err.find("invalid $EDITOR"), std::string::npos) << bad.err;
}

// A file cannot set LD_PRELOAD, PATH and the like for exec-env's command, unless asked; the
// command does not get SOPS_AGE_KEY unless asked.
TEST_F(SecretHygiene, ExecEnvRefusesVariablesThatChangeHowProgramsRun) {
    fs::path marker = dir_ / "ran";
    for (const std::string& name : {"LD_PRELOAD", "PATH", "BASH_ENV", "SOPS_AGE_KEY_FILE"}) {
        SCOPED_TRACE(name);
        write_file(dir_ / "env.yaml", name + ": " + (dir_ / "evil.so").string() + "\nFOO: bar\n");
        ASSERT_EQ(cli("encrypt -i --age " + recipient_ + " env.yaml").exit_code, 0);
        auto r = cli("exec-env env.yaml 'echo x > " + marker.string() + "'");
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("--allow-unsafe-env"), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(marker)) << "the command ran";
    }
    write_file(dir_ / "env.yaml", "LD_PRELOAD: ''\nFOO: bar\n");
    ASSERT_EQ(cli("encrypt -i --age " + recipient_ + " env.yaml").exit_code, 0);
    auto allowed = cli("exec-env --allow-unsafe-env env.yaml 'echo \"[$LD_PRELOAD][$FOO]\"'");
    EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
    EXPECT_EQ(allowed.out, "[][bar]\n");

    write_file(dir_ / "env.yaml", "FOO: bar\n");
    ASSERT_EQ(cli("encrypt -i --age " + recipient_ + " env.yaml").exit_code, 0);
    std::string key = read_file(dir_ / "key.txt");
    key = key.substr(key.find("AGE-SECRET-KEY-"), 74);
    auto r = run_cli({"exec-env", "env.yaml", "echo \"[$FOO][${SOPS_AGE_KEY-unset}]\""}, {{"SOPS_AGE_KEY", key}, {"SOPS_AGE_KEY_FILE", ""}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "[bar][unset]\n");
    auto passed = run_cli({"exec-env", "--pass-age-key", "env.yaml", "echo \"[${SOPS_AGE_KEY-unset}]\""},
                          {{"SOPS_AGE_KEY", key}, {"SOPS_AGE_KEY_FILE", ""}});
    EXPECT_EQ(passed.out, "[" + key + "]\n");
}

// Control characters from a file (a recipient, a file name) are escaped in the printed error.
TEST_F(SecretHygiene, ErrorTextEscapesControlCharacters) {
    make_encrypted("s.yaml");
    std::string file = read_file(dir_ / "s.yaml");
    std::size_t at = file.find("recipient: ") + 11;
    std::size_t end = file.find('\n', at);
    file.replace(at, end - at, "\"age1fake\\r\\nsopskit: forged line\\e[2J\"");
    write_file(dir_ / "forged.yaml", file);
    auto other_key = cli("keygen age --output other.txt");
    ASSERT_EQ(other_key.exit_code, 0);
    auto r = cli("decrypt forged.yaml", "SOPS_AGE_KEY_FILE=other.txt");
    EXPECT_EQ(r.exit_code, 128) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("age1fake\\r\\nsopskit: forged line\\x1b[2J"), std::string::npos) << r.err;
    for (const auto& line : {std::string("\nsopskit: forged line")}) EXPECT_EQ(r.err.find(line), std::string::npos) << r.err;

    auto missing = run_cli({"decrypt", "no\r\nsuch\x07.yaml"}, {});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
    EXPECT_NE(missing.err.find("no\\r\\nsuch\\x07.yaml"), std::string::npos) << missing.err;
}

// A kustomize that fills its stderr pipe before writing stdout must not deadlock build; and
// kubectl is never taken from a relative PATH entry (the working directory).
TEST_F(SecretHygiene, BuildReadsKubectlOutputsWithoutDeadlockAndIgnoresRelativePath) {
    fs::create_directories(dir_ / "repo");
    write_file(dir_ / "repo/kustomization.yaml", "resources: []\n");
    fs::create_directory(dir_ / "bin");
    script("bin/kubectl",
           "yes w | tr -d '\\n' | head -c 300000 >&2\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: ok\\n'\n");
    auto r = run("cd '" + dir_.string() + "' && TMPDIR='" + tmp_.string() + "' SOPS_AGE_KEY_FILE=key.txt PATH='" +
                 (dir_ / "bin").string() + ":/usr/bin:/bin' timeout 60 '" + sopskit::test::cli_path() + "' build repo");
    EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 300);
    EXPECT_NE(r.out.find("name: ok"), std::string::npos);

    // "." and "" in PATH: a kubectl in the working directory is not run.
    fs::path pwned = dir_ / "pwned";
    script("kubectl", "touch '" + pwned.string() + "'\n");
    auto rel = run("cd '" + dir_.string() + "' && TMPDIR='" + tmp_.string() + "' PATH=.::/nonexistent '" +
                   sopskit::test::cli_path() + "' build repo");
    EXPECT_NE(rel.exit_code, 0);
    EXPECT_FALSE(fs::exists(pwned)) << "ran ./kubectl";
    EXPECT_NE(rel.err.find("kubectl not found"), std::string::npos) << rel.err;
}

// An isolated GnuPG home never prompts: with a passphrase-protected key, decryption fails at
// once and the agent never starts its pinentry (here a script that would leave a marker).
TEST_F(SecretHygiene, IsolatedGnupgHomeNeverAsksForAPassphrase) {
    REQUIRE_PROGRAM("gpg");
    fs::path gh = dir_ / "gh";
    std::string fp = sopskit::test::make_gnupg_home_with_cv25519(gh, "locked <l@x>", "pw").primary;
    ASSERT_EQ(fp.size(), 40u);
    std::string gpg = "GNUPGHOME='" + gh.string() + "' gpg --batch --pinentry-mode loopback --passphrase pw ";
    auto pub = run("GNUPGHOME='" + gh.string() + "' gpg --batch --armor --export " + fp);
    auto sec = run(gpg + "--armor --export-secret-keys " + fp);
    ASSERT_NE(sec.out.find("PRIVATE KEY"), std::string::npos) << sec.err;
    run("gpgconf --homedir '" + gh.string() + "' --kill all");

    using namespace sopskit;
    auto writer_home = GnupgHome::create_temporary();
    writer_home->import_keys(pub.out);
    KeyRing writer;
    writer.add(make_pgp_key_source(writer_home));
    EncryptRequest req;
    req.key_groups = {{{"pgp", fp, {}}}};
    std::string file = encrypt_document("p: x\n", req, writer);

    auto home = GnupgHome::create_temporary();
    fs::path marker = dir_ / "pinentry-ran";
    fs::path pinentry = script("pinentry.sh", "touch '" + marker.string() + "'\nexit 1\n");
    write_file(fs::path(home->path()) / "gpg-agent.conf", "pinentry-program " + pinentry.string() + "\n");
    home->import_keys(sec.out);
    KeyRing reader;
    reader.add(make_pgp_key_source(home));
    EXPECT_THROW(decrypt_document(file, Format::Yaml, reader, DecryptOptions{}, StoreOptions{}), Error);
    EXPECT_FALSE(fs::exists(marker)) << "the agent started a pinentry";
}

// What the wipe does with what an editor or a copied repository may leave: deep and read-only
// folders go; a symlink is removed, never followed (its target outside stays intact); a file
// with another name outside (a hard link) is unlinked but not overwritten; a FIFO does not block.
TEST_F(SecretHygiene, PrivateDirWipesItsTreeAndNothingOutside) {
    fs::path outside = dir_ / "outside.txt";
    write_file(outside, kSecret);
    std::string path;
    {
        setenv("TMPDIR", tmp_.c_str(), 1);
        auto dir = sopskit::PrivateDir::create("sopskit-unit");
        unsetenv("TMPDIR");
        path = dir->path();
        EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
        fs::path deep = path;
        for (int i = 0; i < 60; ++i) deep /= "d" + std::to_string(i);
        fs::create_directories(deep);
        write_file(deep / "plain.txt", kSecret);
        fs::create_directory(fs::path(path) / "ro");
        write_file(fs::path(path) / "ro/plain.txt", kSecret);
        chmod((fs::path(path) / "ro").c_str(), 0500);
        fs::create_symlink(outside, fs::path(path) / "link");
        fs::create_hard_link(outside, fs::path(path) / "hard");
        ASSERT_EQ(mkfifo((fs::path(path) / "fifo").c_str(), 0600), 0);
        write_file(fs::path(path) / "a.yaml~", kSecret);
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(read_file(outside), kSecret) << "nothing outside the folder is touched";
}

}  // namespace
