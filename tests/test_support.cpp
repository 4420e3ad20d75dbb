#include "test_support.hpp"
#include <re2/re2.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace sopskit::test {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& contents) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << contents;
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::optional<fs::path> conformance_dir() {
    if (const char* env = std::getenv("SOPSKIT_CONFORMANCE_DIR"); env && *env) {
        if (fs::is_directory(env)) return fs::path(env);
        return std::nullopt;
    }
    fs::path p = fs::path(SOPSKIT_SOURCE_DIR) / ".." / "shared" / "conformance";
    if (fs::is_directory(p)) return fs::canonical(p);
    return std::nullopt;
}

namespace {
std::vector<fs::path>& temp_dirs() {
    static std::vector<fs::path> dirs;
    return dirs;
}
void remove_temp_dirs() {
    for (const auto& d : temp_dirs()) {
        std::error_code ec;
        fs::remove_all(d, ec);
    }
}
// Every test process (ctest runs one test per process) gets its own temporary folder and
// TMPDIR points into it: what the programs under test put in TMPDIR (edit and exec-file
// private folders, GnuPG homes, sockets) stays inside it and is removed with it, never left
// in the machine's /tmp.
class PrivateTmpdir : public ::testing::Environment {
  public:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "sopskit-test-process-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        folder_ = pattern;
        // Like /tmp: tests that run sopskit as another user need to make their folders here.
        ::chmod(folder_.c_str(), 01777);
        const char* old = std::getenv("TMPDIR");
        if (old) previous_ = old;
        ::setenv("TMPDIR", folder_.c_str(), 1);
    }
    void TearDown() override {
        remove_temp_dirs();
        temp_dirs().clear();
        std::error_code ignored;
        fs::remove_all(folder_, ignored);
        if (previous_) ::setenv("TMPDIR", previous_->c_str(), 1);
        else ::unsetenv("TMPDIR");
    }

  private:
    fs::path folder_;
    std::optional<std::string> previous_;
};
[[maybe_unused]] ::testing::Environment* const private_tmpdir = ::testing::AddGlobalTestEnvironment(new PrivateTmpdir);
}  // namespace

fs::path make_temp_dir() {
    static std::once_flag once;
    // Construct the list before registering the handler, so it outlives the handler.
    std::call_once(once, [] {
        temp_dirs();
        std::atexit(remove_temp_dirs);
    });
    std::string pattern = (fs::temp_directory_path() / "sopskit-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    temp_dirs().push_back(pattern);
    return pattern;
}

RunResult run(const std::string& command, const std::string& stdin_data) {
    fs::path dir = make_temp_dir();
    write_file(dir / "stdin", stdin_data);
    std::string full = "(" + command + ") <'" + (dir / "stdin").string() + "' >'" + (dir / "stdout").string() +
                       "' 2>'" + (dir / "stderr").string() + "'";
    int status = std::system(full.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(dir / "stdout");
    r.err = read_file(dir / "stderr");
    return r;
}

RunResult run_argv(const std::vector<std::string>& argv, const fs::path& cwd,
                   const std::vector<std::pair<std::string, std::string>>& env, const std::string& stdin_data) {
    fs::path dir = make_temp_dir();
    write_file(dir / "stdin", stdin_data);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int in = ::open((dir / "stdin").c_str(), O_RDONLY);
        int out = ::open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = ::open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) _exit(126);
        if (::chdir(cwd.c_str()) != 0) _exit(126);
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        ::execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    RunResult r;
    if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
        r.exit_code = 128 + r.signal;
    } else {
        r.exit_code = WEXITSTATUS(status);
    }
    r.out = read_file(dir / "stdout");
    r.err = read_file(dir / "stderr");
    return r;
}

bool kill_during(const std::vector<std::string>& argv, const fs::path& cwd,
                 const std::vector<std::pair<std::string, std::string>>& env, long delay_us) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t supervisor = fork();
    if (supervisor < 0) throw std::runtime_error("fork failed");
    if (supervisor == 0) {
        // Orphans of the program (an edit guardian) become our children, so waiting for all of
        // them is an event, not a guess.
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) _exit(2);
        pid_t pid = fork();
        if (pid == 0) {
            if (::chdir(cwd.c_str()) != 0) _exit(126);
            for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
            int devnull = ::open("/dev/null", O_RDWR);
            ::dup2(devnull, 0);
            ::dup2(devnull, 1);
            ::dup2(devnull, 2);
            ::execv(args[0], args.data());
            _exit(127);
        }
        struct timespec ts{delay_us / 1000000, (delay_us % 1000000) * 1000};
        while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        bool landed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
        }
        _exit(landed ? 1 : 0);
    }
    int status = 0;
    while (::waitpid(supervisor, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) throw std::runtime_error("kill_during: supervisor failed");
    return WEXITSTATUS(status) == 1;
}

int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string metadata_shape(const std::string& file) {
    std::string section = file.substr(file.find("sops:\n"));
    std::string shape;
    for (std::size_t p = 0; p < section.size();) {
        std::size_t nl = section.find('\n', p);
        std::string line = section.substr(p, nl - p);
        p = nl == std::string::npos ? section.size() : nl + 1;
        bool key_line = line.find(':') != std::string::npos && line.find("-----") == std::string::npos &&
                        line.rfind("                ", 0) != 0;
        if (!key_line) continue;  // armored lines
        if (auto e = line.find("enc: |"); e != std::string::npos)
            line = line.substr(0, e + 6);  // "|" or "|-": whether the armor ends in a newline is the tool's
        else if (auto c = line.find(": "); c != std::string::npos)
            line = line.substr(0, c + 2) + "*";
        shape += line + "\n";
    }
    return shape;
}

bool metadata_matches(const std::string& file, const std::string& shape) {
    static const std::pair<std::string, std::string> placeholders[] = {
        {"<time>", R"("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")"},
        {"<base64>", "[A-Za-z0-9+/]+={0,2}"},
        {"<base64url>", "[A-Za-z0-9_-]+"},
        {"<mac>", R"(ENC\[AES256_GCM,data:[A-Za-z0-9+/]+={0,2},iv:[A-Za-z0-9+/]{43}=,tag:[A-Za-z0-9+/]{22}==,type:str\])"},
        {"<armor>", R"((?: +-----BEGIN [A-Z ]+-----\n)(?: +[^\n]*\n)*? +-----END [A-Z ]+-----\n)"},
    };
    std::string pattern;
    for (std::size_t at = 0; at < shape.size();) {
        bool matched = false;
        for (const auto& [name, re] : placeholders)
            if (shape.compare(at, name.size(), name) == 0) {
                pattern += re;
                at += name.size();
                matched = true;
                break;
            }
        if (matched) continue;
        std::size_t next = shape.find('<', at + 1);
        std::string literal = shape.substr(at, next == std::string::npos ? std::string::npos : next - at);
        pattern += RE2::QuoteMeta(literal);
        at += literal.size();
    }
    std::size_t start = file.find("sops:\n");
    if (start == std::string::npos) return false;
    RE2 re(pattern);
    return re.ok() && RE2::FullMatch(file.substr(start), re);
}

bool have_program(const std::string& name) {
    return std::system(("command -v '" + name + "' >/dev/null 2>&1").c_str()) == 0;
}

std::string cli_path() { return SOPSKIT_CLI_PATH; }

std::string npm_install_once(const std::string& folder, const std::string& packages) {
    std::filesystem::path dir = std::filesystem::path(SOPSKIT_CLI_PATH).parent_path().parent_path() / folder;
    std::filesystem::create_directories(dir);
    auto r = run("cd '" + dir.string() + "' && flock .lock sh -c '[ -e .installed ] || "
                 "{ npm_config_cache=\"$PWD/.npm-cache\" npm install --silent --no-audit --no-fund " + packages + " >/dev/null 2>&1 && touch .installed; }'");
    if (r.exit_code != 0 || !std::filesystem::exists(dir / ".installed")) return {};
    return dir.string();
}

GnupgTestKey make_gnupg_home_with_cv25519(const fs::path& home, const std::string& user_id, const std::string& passphrase,
                                          const std::string& agent_conf) {
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    if (!agent_conf.empty()) write_file(home / "gpg-agent.conf", agent_conf);
    const std::string env = "GNUPGHOME='" + home.string() + "' gpg --batch --quiet ";
    const std::string unlocked = env + "--pinentry-mode loopback --passphrase '" + passphrase + "' ";
    // The fingerprint after the first line starting with `record` in --with-colons output.
    auto fingerprint_after = [&](const char* record) {
        auto r = run(env + "--with-colons --list-keys '" + user_id + "' | awk -F: '/^" + record + "/ {s=1} /^fpr/ && s {print $10; exit}'");
        return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : std::string();
    };
    GnupgTestKey key;
    if (run(unlocked + "--quick-gen-key '" + user_id + "' ed25519 cert,sign never").exit_code != 0) return key;
    key.primary = fingerprint_after("pub");
    if (key.primary.empty() || run(unlocked + "--quick-add-key " + key.primary + " cv25519 encr never").exit_code != 0) return {};
    key.subkey = fingerprint_after("sub");
    return key;
}

void UpstreamGpgTest::SetUp() {
    auto conf = conformance_dir();
    if (!conf) GTEST_SKIP() << "../shared/conformance not present: these tests use upstream's PGP test key";
    if (!have_program("gpg")) GTEST_SKIP() << "gpg not installed";
    dir_ = make_temp_dir();
    home_ = dir_ / "gnupg";
    std::filesystem::create_directory(home_);
    std::filesystem::permissions(home_, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    auto r = run("GNUPGHOME='" + home_.string() + "' gpg --batch --quiet --import '" +
                 (*conf / "sops/pgp/sops_functional_tests_key.asc").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    conformance_ = *conf;
}

void UpstreamGpgTest::TearDown() {
    if (!home_.empty()) run("gpgconf --homedir '" + home_.string() + "' --kill all");
}

}  // namespace sopskit::test
