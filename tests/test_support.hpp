// Shared helpers for the test suite: files, the conformance folder, running commands.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace sopskit::test {

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& contents);

// ../shared/conformance beside the checkout (or $SOPSKIT_CONFORMANCE_DIR); nullopt when absent,
// as in a user's clone. Tests that need it skip visibly with REQUIRE_CONFORMANCE.
std::optional<std::filesystem::path> conformance_dir();

// A fresh empty folder for one test, removed when the process exits.
std::filesystem::path make_temp_dir();

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
    int signal = 0;  // the signal that killed the program (run_argv only; a shell reports 128+N as exit_code)
};
// Runs a shell command with the given stdin; captures stdout and stderr.
RunResult run(const std::string& command, const std::string& stdin_data = "");
// Runs a program without a shell, so a death by signal is told apart from an exit code:
// argv[0] is the program's path, `cwd` its working folder, `env` added to the environment.
RunResult run_argv(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                   const std::vector<std::pair<std::string, std::string>>& env = {}, const std::string& stdin_data = "");
// Starts argv (argv[0] a path) in `cwd` with `env` added and output discarded, sends it SIGKILL
// after `delay_us`, and returns once it and every process it started have exited (they are
// re-parented to a private subreaper and reaped there), so no sleep is needed before looking at
// what they left. True when the kill landed while the program was still running.
bool kill_during(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                 const std::vector<std::pair<std::string, std::string>>& env, long delay_us);
// A loopback TCP port the kernel just handed out (bound to port 0, read back, released), for a
// peer server that cannot report its own port; check the server then says it listens there.
int free_loopback_port();
// A YAML file's sops section with the variable parts masked: every "key: value" becomes
// "key: *", "enc: |" stands for both block styles, armored lines are dropped, so a test can
// pin the fields and their order.
std::string metadata_shape(const std::string& file);
// Whether a YAML file's sops section is exactly `shape`: literal text in which <time> stands for
// a quoted RFC 3339 UTC time ("2006-01-02T15:04:05Z"), <base64> and <base64url> (unpadded) for
// encoded bytes, <mac> for the MAC envelope, <armor> for the lines of an indented armored block.
// Pins field names, order and the form of each value at once.
bool metadata_matches(const std::string& file, const std::string& shape);
// Whether a program is on PATH.
bool have_program(const std::string& name);

// npm `packages` (with versions) installed once into <build>/<folder>, under a lock and with a
// completion marker (test processes run concurrently); empty when npm or the registry fails.
std::string npm_install_once(const std::string& folder, const std::string& packages);

// Path of the built sopskit CLI.
std::string cli_path();

// A new private GNUPGHOME at `home` (made, mode 700): an ed25519 signing key for `user_id` with a
// cv25519 encryption subkey, both under `passphrase` ("" for none). `agent_conf`, when given, is
// written to gpg-agent.conf first. The agent is left running. Empty fingerprints on failure.
struct GnupgTestKey {
    std::string primary, subkey;  // fingerprints
};
GnupgTestKey make_gnupg_home_with_cv25519(const std::filesystem::path& home, const std::string& user_id, const std::string& passphrase,
                                          const std::string& agent_conf = "");

// A temporary folder with a private GNUPGHOME holding upstream's public PGP test key
// (conformance/sops/pgp); skipped where the fixtures or gpg are missing.
class UpstreamGpgTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    std::filesystem::path dir_, home_, conformance_;
};

}  // namespace sopskit::test

#define REQUIRE_CONFORMANCE(var)                                                        \
    auto var##_opt = ::sopskit::test::conformance_dir();                                \
    if (!var##_opt) GTEST_SKIP() << "../shared/conformance not present: skipping upstream vectors"; \
    const std::filesystem::path var = *var##_opt

#define REQUIRE_PROGRAM(name) \
    if (!::sopskit::test::have_program(name)) GTEST_SKIP() << "peer program '" << name << "' not installed"
