// SOPS_AGE_KEY_CMD and SOPS_AGE_SSH_PRIVATE_KEY_CMD run as sops runs them (getsops/sops
// age/keysource.go): split into words as a shell quotes them, executed without a shell, with
// SOPS_AGE_RECIPIENT set; and a SOPS_AGE_KEY_FILE that cannot be opened is reported in sops'
// words instead of being passed over.
#include <filesystem>

#include "core/command_words.hpp"
#include "sopskit/age.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

struct KeyCommand {
    fs::path dir = sopskit::test::make_temp_dir();
    sopskit::age::X25519Identity id = sopskit::age::X25519Identity::generate();
    std::string cli = "'" + sopskit::test::cli_path() + "'";
    KeyCommand() {
        write_file(dir / "key.txt", id.encode() + "\n");
        write_file(dir / "plain.yaml", "password: hunter2\n");
        auto enc = run("cd '" + dir.string() + "' && " + cli + " -e --age " + id.recipient() + " plain.yaml > enc.yaml");
        EXPECT_EQ(enc.exit_code, 0) << enc.err;
    }
    // `sopskit -d enc.yaml` in the test folder with only this key source.
    sopskit::test::RunResult decrypt(const std::string& variable, const std::string& value) const {
        return run("cd '" + dir.string() + "' && env -u SOPS_AGE_KEY -u SOPS_AGE_KEY_FILE -u SOPS_AGE_KEY_CMD -u SOPS_AGE_SSH_PRIVATE_KEY_FILE "
                   "-u SOPS_AGE_SSH_PRIVATE_KEY_CMD HOME='" + dir.string() + "' XDG_CONFIG_HOME='" + dir.string() + "' " + variable + "=\"" +
                   value + "\" " + cli + " -d enc.yaml");
    }
};

}  // namespace

TEST(AgeKeyCommand, RunsWithoutAShellWithTheRecipientSet) {
    KeyCommand k;
    // Quoted words group as sops' shlex groups them.
    auto ok = k.decrypt("SOPS_AGE_KEY_CMD", "cat 'key.txt'");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "password: hunter2\n");
    // `;` is a character of a word, not a shell's command separator: nothing else runs, and
    // cat is asked for a file named "key.txt;".
    auto no_shell = k.decrypt("SOPS_AGE_KEY_CMD", "cat key.txt; touch ran-by-a-shell");
    EXPECT_NE(no_shell.exit_code, 0);
    EXPECT_FALSE(fs::exists(k.dir / "ran-by-a-shell"));
    EXPECT_NE(no_shell.err.find("failed to execute command cat key.txt; touch ran-by-a-shell: exit status 1"), std::string::npos)
        << no_shell.err;
    // The recipient reaches the command in its environment.
    auto env = k.decrypt("SOPS_AGE_KEY_CMD", "sh -c 'printf %s \\\"\\$SOPS_AGE_RECIPIENT\\\" > seen; cat key.txt'");
    EXPECT_EQ(env.exit_code, 0) << env.err;
    EXPECT_EQ(read_file(k.dir / "seen"), k.id.recipient());
    // A program that is not there, in Go's words.
    auto missing = k.decrypt("SOPS_AGE_KEY_CMD", "no-such-sopskit-helper --key");
    EXPECT_NE(missing.err.find("failed to execute command no-such-sopskit-helper --key: exec: \"no-such-sopskit-helper\": executable file "
                               "not found in $PATH"),
              std::string::npos)
        << missing.err;
    // SOPS_AGE_SSH_PRIVATE_KEY_CMD is run the same way.
    auto ssh = k.decrypt("SOPS_AGE_SSH_PRIVATE_KEY_CMD", "cat id; touch ran-by-a-shell");
    EXPECT_NE(ssh.exit_code, 0);
    EXPECT_FALSE(fs::exists(k.dir / "ran-by-a-shell"));
}

TEST(AgeKeyCommand, AMissingKeyFileIsReportedAsSopsReportsIt) {
    KeyCommand k;
    auto r = k.decrypt("SOPS_AGE_KEY_FILE", (k.dir / "missing.txt").string());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("failed to open SOPS_AGE_KEY_FILE file: open " + (k.dir / "missing.txt").string() + ": no such file or directory"),
              std::string::npos)
        << r.err;
    // The other sources still count: the default keys.txt opens the file.
    fs::create_directories(k.dir / "sops/age");
    fs::copy_file(k.dir / "key.txt", k.dir / "sops/age/keys.txt");
    r = k.decrypt("SOPS_AGE_KEY_FILE", (k.dir / "missing.txt").string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(AgeKeyCommand, WordsSplitAsShlexSplitsThem) {
    using sopskit::detail::split_command_words;
    EXPECT_EQ(*split_command_words("pass show 'age key' # comment"), (std::vector<std::string>{"pass", "show", "age key"}));
    EXPECT_EQ(*split_command_words("a\\ b \"c d\" e;f"), (std::vector<std::string>{"a b", "c d", "e;f"}));
    EXPECT_FALSE(split_command_words("unterminated 'quote"));
}
