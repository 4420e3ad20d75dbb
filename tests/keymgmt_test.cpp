// Key management as admins and rotation scripts use it: rotate, updatekeys, set/unset,
// filestatus, and batch runs that survive kill -9.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/format.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

class KeyMgmt : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        for (int i = 0; i < 2; ++i) {
            ids_.push_back(age::X25519Identity::generate());
            write_file(dir_ / ("key" + std::to_string(i) + ".txt"), ids_.back().encode() + "\n");
        }
    }
    std::string recipient(int i) const { return ids_[i].recipient(); }
    // Runs the CLI in the test folder with age key `key` (-1: none).
    sopskit::test::RunResult cli(const std::string& args, int key = 0, const std::string& in = "") {
        std::string env = "SOPS_AGE_KEY_FILE='" + (key >= 0 ? (dir_ / ("key" + std::to_string(key) + ".txt")).string() : "/nonexistent") + "' ";
        return run("cd '" + dir_.string() + "' && " + env + "'" + sopskit::test::cli_path() + "' " + args, in);
    }
    std::string value_line(const std::string& file, const std::string& key) {
        std::string text = read_file(dir_ / file);
        auto p = text.find(key + ": ");
        return text.substr(p, text.find('\n', p) - p);
    }
    fs::path dir_;
    std::vector<age::X25519Identity> ids_;
};

}  // namespace

TEST_F(KeyMgmt, RotateMakesANewDataKeyAndKeepsRecipients) {
    write_file(dir_ / "s.yaml", "a: one\nb: two\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " s.yaml").exit_code, 0);
    std::string before = read_file(dir_ / "s.yaml");
    auto r = cli("-r -i s.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string after = read_file(dir_ / "s.yaml");
    EXPECT_NE(before, after);
    EXPECT_NE(value_line("s.yaml", "a"), before.substr(0, before.find('\n')));
    EXPECT_NE(after.find(recipient(0)), std::string::npos);
    EXPECT_EQ(cli("-d s.yaml").out, "a: one\nb: two\n");
    // Add the second recipient, remove the first.
    r = cli("rotate -i --add-age " + recipient(1) + " --rm-age " + recipient(0) + " s.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(cli("-d s.yaml", 1).out, "a: one\nb: two\n");
    EXPECT_EQ(cli("-d s.yaml", 0).exit_code, 128) << "the removed recipient must not decrypt";
}

TEST_F(KeyMgmt, UpdateKeysFollowsTheCreationRule) {
    write_file(dir_ / ".sops.yaml", "creation_rules:\n  - age: " + recipient(0) + "," + recipient(1) + "\n");
    write_file(dir_ / "s.yaml", "password: hunter2\n");
    ASSERT_EQ(cli("-e -i s.yaml").exit_code, 0);
    EXPECT_EQ(cli("-d s.yaml", 1).exit_code, 0);
    std::string value_before = value_line("s.yaml", "password");
    auto same = cli("updatekeys -y s.yaml");
    EXPECT_EQ(same.exit_code, 0);
    EXPECT_NE(same.err.find("already up to date"), std::string::npos);
    write_file(dir_ / ".sops.yaml", "creation_rules:\n  - age: " + recipient(0) + "\n");
    auto r = cli("updatekeys -y s.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("--- " + recipient(1)), std::string::npos) << r.out;
    EXPECT_EQ(cli("-d s.yaml", 1).exit_code, 128) << "updatekeys removed that recipient";
    EXPECT_EQ(cli("-d s.yaml", 0).out, "password: hunter2\n");
    EXPECT_EQ(value_line("s.yaml", "password"), value_before) << "values and the data key are kept";
}

TEST_F(KeyMgmt, SetAndUnsetKeepOtherCiphertexts) {
    write_file(dir_ / "s.yaml", "a: one\nb: two\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " s.yaml").exit_code, 0);
    std::string b_before = value_line("s.yaml", "b");
    auto r = cli("set s.yaml '[\"a\"]' '\"uno\"'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(value_line("s.yaml", "b"), b_before) << "unchanged values keep their IV and ciphertext";
    EXPECT_EQ(cli("-d s.yaml").out, "a: uno\nb: two\n");
    ASSERT_EQ(cli("set s.yaml '[\"c\"][\"d\"]' '{\"e\": 1}'").exit_code, 0);
    EXPECT_EQ(cli("-d s.yaml").out, "a: uno\nb: two\nc:\n    d:\n        e: 1\n");
    ASSERT_EQ(cli("set --value-stdin s.yaml '[\"a\"]'", 0, "\"from stdin\"").exit_code, 0);
    EXPECT_EQ(cli("-d --extract '[\"a\"]' s.yaml").out, "from stdin");
    ASSERT_EQ(cli("unset s.yaml '[\"c\"]'").exit_code, 0);
    EXPECT_EQ(cli("-d s.yaml").out, "a: from stdin\nb: two\n");
    auto missing = cli("unset s.yaml '[\"nope\"]'");
    EXPECT_EQ(missing.exit_code, 1) << missing.err;
    EXPECT_NE(missing.err.find("Key not found: nope"), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("s.yaml"), std::string::npos);
    EXPECT_EQ(cli("unset --idempotent s.yaml '[\"nope\"]'").exit_code, 0);
    EXPECT_EQ(cli("set s.yaml '[\"a\"]' 'not json'").exit_code, 7);
}

TEST_F(KeyMgmt, FileStatus) {
    write_file(dir_ / "s.yaml", "a: one\n");
    EXPECT_EQ(cli("filestatus s.yaml").out, "{\"encrypted\":false}\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " s.yaml").exit_code, 0);
    EXPECT_EQ(cli("filestatus s.yaml").out, "{\"encrypted\":true}\n");
}

TEST_F(KeyMgmt, BatchEncryptAndRotateWithJsonReport) {
    write_file(dir_ / ".sops.yaml", "creation_rules:\n  - path_regex: secrets/.*\n    encrypted_regex: ^(data|stringData)$\n    age: " +
                                        recipient(0) + "\n");
    fs::create_directories(dir_ / "secrets/sub");
    for (int i = 0; i < 12; ++i)
        write_file(dir_ / "secrets" / (i % 2 ? "sub" : "") / ("s" + std::to_string(i) + ".yaml"),
                   "kind: Secret\nstringData:\n    num: \"" + std::to_string(i) + "\"\n");
    write_file(dir_ / "secrets/broken.yaml", "kind: [unclosed\n");
    auto enc = cli("encrypt -i --json secrets");
    EXPECT_EQ(enc.exit_code, 2) << "one file fails, so the run reports failure";
    int encrypted = 0, failed = 0;
    for (std::size_t p = 0; (p = enc.out.find("\"action\":\"encrypted\"", p)) != std::string::npos; ++p) ++encrypted;
    for (std::size_t p = 0; (p = enc.out.find("\"result\":\"error\"", p)) != std::string::npos; ++p) ++failed;
    EXPECT_EQ(encrypted, 12) << enc.out;
    EXPECT_EQ(failed, 1) << enc.out;
    fs::remove(dir_ / "secrets/broken.yaml");
    auto again = cli("encrypt -i --json secrets");
    EXPECT_EQ(again.exit_code, 0) << again.out;
    EXPECT_NE(again.out.find("\"action\":\"skipped\""), std::string::npos);
    auto rot = cli("rotate -i --json secrets");
    EXPECT_EQ(rot.exit_code, 0) << rot.out << rot.err;
    EXPECT_NE(rot.out.find("\"action\":\"rotated\""), std::string::npos);
    EXPECT_EQ(cli("-d secrets/sub/s5.yaml").out, "kind: Secret\nstringData:\n    num: \"5\"\n");
}

TEST_F(KeyMgmt, KillNineDuringBatchRotateLeavesEveryFileWholeAndDecryptable) {
    fs::create_directories(dir_ / "fleet");
    std::string big(20000, 'x');
    for (int i = 0; i < 60; ++i) write_file(dir_ / "fleet" / ("f" + std::to_string(i) + ".yaml"), "k: " + big + std::to_string(i) + "\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " fleet").exit_code, 0);
    // Checked in-process: 180 CLI runs cost minutes under the sanitizers.
    age::IdentitySet identities;
    identities.add(ids_[0].clone());
    KeyRing ring;
    ring.add(make_age_key_source(std::move(identities)));
    int landed = 0;
    for (int delay_ms : {5, 20, 60}) {
        landed += sopskit::test::kill_during({sopskit::test::cli_path(), "rotate", "-i", "fleet"}, dir_,
                                             {{"SOPS_AGE_KEY_FILE", (dir_ / "key0.txt").string()}}, delay_ms * 1000L);
        for (int i = 0; i < 60; ++i) {
            std::string file = read_file(dir_ / "fleet" / ("f" + std::to_string(i) + ".yaml"));
            try {
                auto d = decrypt_document(file, Format::Yaml, ring);
                EXPECT_EQ(d.branches.at(0).at(0).value.text, big + std::to_string(i));
            } catch (const std::exception& e) {
                ADD_FAILURE() << "file " << i << " after kill at " << delay_ms << " ms: " << e.what();
            }
        }
        for (const auto& e : fs::directory_iterator(dir_ / "fleet")) {
            std::string name = e.path().filename().string();
            if (name.find(".sopskit-") != std::string::npos) fs::remove(e.path());  // an interrupted temp file (ciphertext only)
        }
    }
    EXPECT_GE(landed, 2) << "the kills must land while the 60 files are rotated, not after";
}

TEST_F(KeyMgmt, EditReencryptsChangesAndKeepsTheOriginalOnBadInput) {
    write_file(dir_ / "s.yaml", "a: one\nb: two\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " s.yaml").exit_code, 0);
    std::string b_before = value_line("s.yaml", "b");
    fs::create_directory(dir_ / "tmp");
    std::string tmp = "TMPDIR='" + (dir_ / "tmp").string() + "' ";
    auto edited = run("cd '" + dir_.string() + "' && " + tmp + "SOPS_AGE_KEY_FILE=key0.txt EDITOR=\"sed -i s/one/uno/\" '" +
                      sopskit::test::cli_path() + "' edit s.yaml");
    ASSERT_EQ(edited.exit_code, 0) << edited.err;
    EXPECT_EQ(cli("-d s.yaml").out, "a: uno\nb: two\n");
    EXPECT_EQ(value_line("s.yaml", "b"), b_before) << "edit keeps the data key and unchanged ciphertext";
    EXPECT_TRUE(fs::is_empty(dir_ / "tmp")) << "the private temp folder must be removed";

    std::string before = read_file(dir_ / "s.yaml");
    auto unchanged = run("cd '" + dir_.string() + "' && " + tmp + "SOPS_AGE_KEY_FILE=key0.txt EDITOR=true '" +
                         sopskit::test::cli_path() + "' edit s.yaml </dev/null");
    EXPECT_EQ(unchanged.exit_code, 200);
    auto bad = run("cd '" + dir_.string() + "' && " + tmp + "SOPS_AGE_KEY_FILE=key0.txt EDITOR=\"sh -c 'echo \\\"a: [broken\\\" > \\$0'\" '" +
                   sopskit::test::cli_path() + "' edit s.yaml </dev/null");
    EXPECT_EQ(bad.exit_code, 1) << bad.err;
    EXPECT_NE(bad.err.find("invalid syntax"), std::string::npos) << bad.err;
    EXPECT_EQ(read_file(dir_ / "s.yaml"), before) << "a failed edit leaves the original";
    EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));

    // Killed while the editor runs: the temp folder still goes. The editor tells the test it
    // runs (its pid through a FIFO), so the SIGTERM lands while it edits, without polling.
    ASSERT_EQ(::mkfifo((dir_ / "editor-started").c_str(), 0600), 0);
    write_file(dir_ / "slow-editor", "#!/bin/sh\necho $$ > '" + (dir_ / "editor-started").string() + "'\nexec sleep 30\n");
    fs::permissions(dir_ / "slow-editor", fs::perms::owner_all);
    int started = ::open((dir_ / "editor-started").c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(started, 0);
    pid_t pid = fork();
    if (pid == 0) {
        chdir(dir_.c_str());
        setenv("TMPDIR", (dir_ / "tmp").c_str(), 1);
        setenv("SOPS_AGE_KEY_FILE", "key0.txt", 1);
        setenv("EDITOR", (dir_ / "slow-editor").c_str(), 1);
        execl(sopskit::test::cli_path().c_str(), "sopskit", "edit", "s.yaml", nullptr);
        _exit(127);
    }
    struct pollfd wait_for{started, POLLIN, 0};
    ASSERT_EQ(::poll(&wait_for, 1, 120000), 1) << "the editor never started";
    char editor_pid[32] = {};
    ASSERT_GT(::read(started, editor_pid, sizeof editor_pid - 1), 0);
    ::close(started);
    EXPECT_FALSE(fs::is_empty(dir_ / "tmp")) << "the editor should be running on a temp file";
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    ::kill(std::atoi(editor_pid), SIGKILL);  // the editor is not sopskit's to stop
    EXPECT_TRUE(WIFSIGNALED(status) || WEXITSTATUS(status) != 0) << "sopskit must not report success when terminated";
    EXPECT_TRUE(fs::is_empty(dir_ / "tmp")) << "SIGTERM must not leave plaintext behind";
    EXPECT_EQ(read_file(dir_ / "s.yaml"), before);
}

TEST_F(KeyMgmt, ExecEnvAndExecFile) {
    write_file(dir_ / "s.yaml", "DB_PASSWORD: hunter2\nport: 5432\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " s.yaml").exit_code, 0);
    auto env = cli("exec-env s.yaml 'echo \"$DB_PASSWORD:$port\"'");
    EXPECT_EQ(env.exit_code, 0) << env.err;
    EXPECT_EQ(env.out, "hunter2:5432\n");
    auto fifo = cli("exec-file s.yaml 'cat {}'");
    EXPECT_EQ(fifo.exit_code, 0) << fifo.err;
    EXPECT_EQ(fifo.out, "DB_PASSWORD: hunter2\nport: 5432\n");
    auto file = cli("exec-file --no-fifo --output-type json s.yaml 'cat {}; test -f {}'");
    EXPECT_EQ(file.exit_code, 0) << file.err;
    EXPECT_NE(file.out.find("\"DB_PASSWORD\": \"hunter2\""), std::string::npos);
    EXPECT_EQ(cli("exec-env s.yaml 'exit 7'").exit_code, 7) << "the command's exit code is passed on";
    EXPECT_EQ(cli("exec-file s.yaml 'true'").exit_code, 0) << "a command that never opens the FIFO must not hang";
}

TEST_F(KeyMgmt, GroupsAddAndDeleteWithShamir) {
    write_file(dir_ / "s.yaml", "a: one\n");
    ASSERT_EQ(cli("-e -i --age " + recipient(0) + " s.yaml").exit_code, 0);
    auto add = cli("groups add -i --file s.yaml --age " + recipient(1) + " --shamir-secret-sharing-threshold 2");
    ASSERT_EQ(add.exit_code, 0) << add.err;
    std::string text = read_file(dir_ / "s.yaml");
    EXPECT_NE(text.find("key_groups:"), std::string::npos);
    EXPECT_NE(text.find("shamir_threshold: 2"), std::string::npos);
    EXPECT_EQ(cli("-d s.yaml", 0).exit_code, 128) << "one group alone is below the threshold";
    write_file(dir_ / "both.txt", ids_[0].encode() + "\n" + ids_[1].encode() + "\n");
    auto both = run("cd '" + dir_.string() + "' && SOPS_AGE_KEY_FILE=both.txt '" + sopskit::test::cli_path() + "' -d s.yaml");
    EXPECT_EQ(both.out, "a: one\n") << both.err;
    auto del = run("cd '" + dir_.string() + "' && SOPS_AGE_KEY_FILE=both.txt '" + sopskit::test::cli_path() +
                   "' groups delete -i --file s.yaml 1");
    ASSERT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(cli("-d s.yaml", 0).out, "a: one\n");
}
