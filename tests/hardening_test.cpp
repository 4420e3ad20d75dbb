// Bad input, interrupted writes and secret hygiene, through the real CLI: every bad file gets a
// one-line error naming it with the documented exit code, nothing is changed on disk, and no
// plaintext value appears in any output.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <cstdio>
#include <iostream>
#include <filesystem>
#include <functional>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

// Plaintext values the tests look for in every output.
const char* kSecretA = "hunter2-alpha-7f3a";
const char* kSecretB = "hunter2-bravo-91c2";

class Hardening : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = sopskit::test::make_temp_dir();
        for (int i = 0; i < 2; ++i) {
            auto r = cli("keygen age --output key" + std::to_string(i) + ".txt");
            ASSERT_EQ(r.exit_code, 0) << r.err;
            recipients_.push_back(r.err.substr(r.err.find("age1"), 62));
        }
        write_file(dir_ / "plain.yaml", std::string("a: ") + kSecretA + "\nb: " + kSecretB + "\nplain_unencrypted: x\n");
        auto e = cli("encrypt --age " + recipients_[0] + " --output good.yaml plain.yaml");
        ASSERT_EQ(e.exit_code, 0) << e.err;
        good_ = read_file(dir_ / "good.yaml");
        // updatekeys has a rule to compare with: the file's own recipient, so nothing changes.
        write_file(dir_ / ".sops.yaml", "creation_rules:\n  - age: " + recipients_[0] + "\n");
    }

    // The CLI without a shell, so a crash shows as a signal rather than as an exit code.
    sopskit::test::RunResult cli(const std::string& args, const std::string& key = "key0.txt") {
        std::vector<std::string> argv{sopskit::test::cli_path()};
        std::istringstream words(args);
        for (std::string w; words >> w;) argv.push_back(w);
        return sopskit::test::run_argv(argv, dir_, {{"SOPS_AGE_KEY_FILE", key}});
    }

    // The decrypted text, or the error (so a mismatch shows why).
    std::string cli_decrypt(const std::string& file) {
        auto r = cli("decrypt " + file);
        return r.exit_code == 0 ? r.out : "exit " + std::to_string(r.exit_code) + ": " + r.err;
    }

    // The envelope's field (data/iv/tag) of a key's value, for targeted tampering.
    std::size_t field_pos(const std::string& file, const std::string& key, const std::string& field) {
        auto at = file.find(key + ": ENC[");
        return file.find(field + ":", at) + field.size() + 1;
    }

    // What a command must answer: its exit code and a piece of its one-line message.
    struct Expect {
        int exit_code;
        std::string message;
    };

    // Checks what every failure must do, for read-only and in-place commands alike. `read` is
    // the answer of decrypt, decrypt -i and rotate -i; `update` that of updatekeys -y, which
    // (as sops) reads only the metadata, so a tampered value passes it untouched.
    void expect_clean_failure(const std::string& name, const std::string& content, const Expect& read,
                              const Expect& update, const std::string& key = "key0.txt") {
        SCOPED_TRACE(name);
        fs::path f = dir_ / ("bad-" + name + ".yaml");
        write_file(f, content);
        ::chmod(f.c_str(), 0640);
        for (const std::string& cmd : {"decrypt", "decrypt -i", "rotate -i", "updatekeys -y"}) {
            SCOPED_TRACE(cmd);
            auto r = cli(cmd + " " + f.filename().string(), key);
            const Expect& want = cmd == "updatekeys -y" ? update : read;
            EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal;
            EXPECT_EQ(r.exit_code, want.exit_code) << r.err;
            // One line; only "no key could open the data key" (128) adds one line per key tried, as sops does.
            if (want.exit_code != 128) EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
            std::string first_line = r.err.substr(0, r.err.find('\n'));
            EXPECT_NE(first_line.find(f.filename().string()), std::string::npos) << "names the file: " << r.err;
            EXPECT_NE(first_line.find(want.message), std::string::npos) << "expected \"" << want.message << "\" in: " << r.err;
            for (const char* secret : {kSecretA, kSecretB}) {
                EXPECT_EQ(r.err.find(secret), std::string::npos) << "leaks plaintext: " << r.err;
                EXPECT_EQ(r.out.find(secret), std::string::npos) << "leaks plaintext on stdout";
            }
            EXPECT_EQ(read_file(f), content) << "the input must be untouched";
            struct stat st{};
            ASSERT_EQ(::stat(f.c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 0777, 0640u);
        }
        for (const auto& e : fs::directory_iterator(dir_))
            EXPECT_EQ(e.path().filename().string().find(".sopskit-"), std::string::npos) << "temp file left: " << e.path();
    }

    // updatekeys reads only the metadata (as sops): tampered values and unusable keys pass it,
    // and with the rule matching the file there is nothing to change.
    const Expect kUpToDate{0, "already up to date"};

    fs::path dir_;
    std::vector<std::string> recipients_;
    std::string good_;
};

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    auto p = s.find(from);
    if (p != std::string::npos) s.replace(p, from.size(), to);
    return s;
}

std::string without_line(const std::string& s, const std::string& starting) {
    auto p = s.find(starting);
    if (p == std::string::npos) return s;
    return s.substr(0, p) + s.substr(s.find('\n', p) + 1);
}

}  // namespace

TEST_F(Hardening, TamperedFilesFailWithSopsExitCodes) {
    auto flip = [&](std::size_t pos) {
        std::string s = good_;
        s[pos] = s[pos] == 'A' ? 'B' : 'A';
        return s;
    };
    expect_clean_failure("ciphertext-byte", flip(field_pos(good_, "a", "data")), {25, "Could not decrypt with AES_GCM: message authentication failed"}, kUpToDate);
    expect_clean_failure("tag-byte", flip(field_pos(good_, "a", "tag")), {25, "Could not decrypt with AES_GCM: message authentication failed"}, kUpToDate);
    auto value_of = [&](const std::string& key) {
        auto p = good_.find(key + ": ENC[") + key.size() + 2;
        return good_.substr(p, good_.find('\n', p) - p);
    };
    std::string swapped = replace_once(good_, value_of("a"), "@@");
    swapped = replace_once(swapped, value_of("b"), value_of("a"));
    swapped = replace_once(swapped, "@@", value_of("b"));
    expect_clean_failure("swapped-values", swapped, {25, "Could not decrypt with AES_GCM: message authentication failed"}, kUpToDate);
    expect_clean_failure("mac-removed", without_line(good_, "    mac: "), {51, "MAC mismatch: the file has no MAC"}, kUpToDate);
    expect_clean_failure("mac-changed", flip(good_.find("mac: ENC[AES256_GCM,data:") + 25), {51, "Cannot decrypt MAC: the MAC or lastmodified was changed"}, kUpToDate);
    auto lm = good_.find("lastmodified: \"") + 15;
    std::string older = good_;
    older.replace(lm, 4, "1999");
    expect_clean_failure("lastmodified-changed", older, {51, "Cannot decrypt MAC: the MAC or lastmodified was changed"}, kUpToDate);
    expect_clean_failure("plaintext-changed", replace_once(good_, "plain_unencrypted: x", "plain_unencrypted: y"), {51, "MAC mismatch: the file's contents do not match its MAC"}, kUpToDate);
}

TEST_F(Hardening, KeysThatCannotOpenTheFile) {
    expect_clean_failure("wrong-key", good_, {128, "Failed to get the data key required to decrypt the SOPS file:"}, kUpToDate, "key1.txt");
    expect_clean_failure("no-key", good_, {128, "Failed to get the data key required to decrypt the SOPS file:"}, kUpToDate, "/nonexistent");
}

TEST_F(Hardening, MalformedDocumentsAreRefused) {
    expect_clean_failure("truncated", good_.substr(0, good_.size() * 2 / 3), {1, "invalid sops metadata: lastmodified/created_at is not an RFC 3339 time"}, {1, "invalid sops metadata: lastmodified/created_at is not an RFC 3339 time"});
    expect_clean_failure("not-sops", "a: b\nc: [1, 2]\n", {1, "sops metadata not found"}, {1, "sops metadata not found"});
    expect_clean_failure("empty", "", {1, "sops metadata not found"}, {1, "sops metadata not found"});
    expect_clean_failure("duplicate-keys", "a: 1\na: 2\n" + good_, {2, "mapping key \"a\" already defined at line 1"}, {2, "mapping key \"a\" already defined at line 1"});
    expect_clean_failure("invalid-utf8", "a: \xff\xfe\n" + good_, {2, "line 1, column 4: invalid leading UTF-8 octet"}, {2, "line 1, column 4: invalid leading UTF-8 octet"});
    expect_clean_failure("nul-byte", std::string("a: b\0c\n", 7) + good_, {2, "line 1, column 5: control characters are not allowed"}, {2, "line 1, column 5: control characters are not allowed"});
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "[";
    expect_clean_failure("deep-100000", "a: " + deep + "\n", {2, "nesting deeper than 10000 levels"}, {2, "nesting deeper than 10000 levels"});
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'k'; ++c)
        bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
                char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
                ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
    expect_clean_failure("alias-bomb", bomb, {2, "document contains excessive aliasing"}, {2, "document contains excessive aliasing"});
    expect_clean_failure("metadata-wrong-types", replace_once(good_, "    age:", "    age: 5\n    agex:"), {1, "invalid sops metadata: 'age' must be a list"}, {1, "invalid sops metadata: 'age' must be a list"});
    expect_clean_failure("metadata-mac-not-string", replace_once(without_line(good_, "    mac: "), "sops:\n", "sops:\n    mac: [1]\n"), {1, "invalid sops metadata: field 'mac' must be a string"}, {1, "invalid sops metadata: field 'mac' must be a string"});
}

TEST_F(Hardening, UnknownMetadataFieldsAreKept) {
    write_file(dir_ / "extra.yaml", replace_once(good_, "sops:\n", "sops:\n    future_field: 1\n"));
    auto r = cli("decrypt extra.yaml");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(kSecretA), std::string::npos);
}

TEST_F(Hardening, HugeInputIsRefusedBeforeItIsRead) {
    fs::path big = dir_ / "huge.yaml";
    write_file(big, "");
    // Twice the 64 MiB limit, sparse; kept small in case a file system stores the holes.
    fs::resize_file(big, std::uintmax_t{128} << 20);
    // Measured through a small helper: wait4() here would report this test process's own peak.
    auto measured = run("cd '" + dir_.string() + "' && '" SOPSKIT_PEAK_RSS_PATH "' '" + sopskit::test::cli_path() +
                        "' decrypt huge.yaml");
    ASSERT_EQ(measured.exit_code, 0) << measured.err;
    int exit_status = -1;
    long peak_kib = -1;
    ASSERT_EQ(std::sscanf(measured.out.c_str(), "%d %ld", &exit_status, &peak_kib), 2) << measured.out;
    EXPECT_EQ(exit_status, 2);
    EXPECT_LT(peak_kib, 200 * 1024) << "KiB: the 128 MiB file must not be read into memory (sanitizer builds included)";
    auto r = cli("decrypt huge.yaml");
    EXPECT_NE(r.err.find("input limit"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("huge.yaml"), std::string::npos) << r.err;
    // The limit is the user's to raise.
    auto piped = run("yes | tr -d '\\n' | head -c 70000000 | SOPSKIT_MAX_INPUT_SIZE=1000 '" + sopskit::test::cli_path() +
                     "' decrypt --input-type yaml /dev/stdin");
    EXPECT_EQ(piped.exit_code, 2) << piped.err;
}

// SIGKILL at many moments of an in-place encrypt, rotate and edit of a large file: the file
// is always the complete old or the complete new version with its mode, and no temp file
// holding plaintext survives (edit's private copy is removed by its guardian).
TEST_F(Hardening, KillNineDuringInPlaceWritesNeverLosesTheFile) {
    std::string plain;
    for (int i = 0; i < 20000; ++i) plain += "k" + std::to_string(i) + ": " + kSecretA + "-" + std::to_string(i) + "\n";
    fs::path f = dir_ / "big.yaml";
    fs::create_directory(dir_ / "tmp");
    auto leftovers_hold_plaintext = [&]() -> std::string {
      try {
        for (const fs::path& where : {dir_, dir_ / "tmp"})
            for (const auto& e : fs::recursive_directory_iterator(where)) {
                std::string name = e.path().filename().string();
                if (!e.is_regular_file() || name.find("key") == 0 || name == "plain.yaml" || name == "good.yaml" ||
                    e.path() == f)
                    continue;
                if (read_file(e.path()).find(kSecretA) != std::string::npos) return e.path().string();
            }
      } catch (const std::exception&) {
        return "(a file vanished while looking: look again)";
      }
        return std::string();
    };
    // Returns once sopskit and its edit guardian are gone: what is left on disk is final.
    auto kill_during = [&](const std::vector<std::string>& argv, int delay_us, const char* editor) {
        std::vector<std::pair<std::string, std::string>> env{{"SOPS_AGE_KEY_FILE", "key0.txt"},
                                                             {"TMPDIR", (dir_ / "tmp").string()}};
        if (editor) env.emplace_back("EDITOR", editor);
        return sopskit::test::kill_during(argv, dir_, env, delay_us);
    };
    auto no_plaintext_left = leftovers_hold_plaintext;
    const std::string exe = sopskit::test::cli_path();
    // $EDITOR is a program, not shell code: a script that only sleeps.
    const fs::path slow_editor = dir_ / "slow-editor.sh";
    write_file(slow_editor, "#!/bin/sh\nsleep 5\n");
    ::chmod(slow_editor.c_str(), 0755);
    // Delays as fractions of one uncontended run, so the kills spread over the run on a fast
    // machine and under sanitizers alike; the late ones aim at the write itself.
    // The run is timed as it is killed (exec'd directly, no shell), fastest of three: a first,
    // cold run is slower and would push the late kills past the end.
    const std::vector<std::string> encrypt_in_place{exe, "encrypt", "-i", "--age", recipients_[0], "big.yaml"};
    long run_us = std::numeric_limits<long>::max();
    for (int i = 0; i < 3; ++i) {
        write_file(f, plain);
        auto t0 = std::chrono::steady_clock::now();
        auto timed = sopskit::test::run_argv(encrypt_in_place, dir_, {{"SOPS_AGE_KEY_FILE", "key0.txt"}});
        ASSERT_EQ(timed.exit_code, 0) << timed.err;
        run_us = std::min<long>(
            run_us, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    }
    std::vector<int> delays;
    for (double fraction : {0.0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98})
        delays.push_back(static_cast<int>(fraction * run_us));
    int interrupted = 0, mid_write = 0;
    for (int delay : delays) {
        SCOPED_TRACE("encrypt, kill after " + std::to_string(delay) + " us");
        write_file(f, plain);
        ::chmod(f.c_str(), 0640);
        bool landed = kill_during(encrypt_in_place, delay, nullptr);
        interrupted += landed;
        for (const auto& e : fs::directory_iterator(dir_))
            if (e.path().filename().string().find(".sopskit-") != std::string::npos) {
                ++mid_write;  // killed while writing the new version (ciphertext only): clean up
                fs::remove(e.path());
            }
        std::string now = read_file(f);
        if (now != plain) {
            auto d = cli_decrypt("big.yaml");
            ASSERT_EQ(d, plain) << "neither the old nor a complete new file";
        }
        struct stat st{};
        ::stat(f.c_str(), &st);
        EXPECT_EQ(st.st_mode & 0777, 0640u);
        EXPECT_EQ(no_plaintext_left(), "");
    }
    std::cout << "[ kill ] one encrypt " << run_us << " us; " << interrupted << " of " << delays.size()
              << " kills landed while it ran, " << mid_write << " while writing the new file\n";
    EXPECT_GE(interrupted, 5) << "the kills must land during the run, not after it";
    write_file(f, plain);
    ::chmod(f.c_str(), 0640);
    ASSERT_EQ(cli("encrypt -i --age " + recipients_[0] + " big.yaml").exit_code, 0);
    for (int delay : delays) {
        SCOPED_TRACE("rotate and edit, kill after " + std::to_string(delay) + " us");
        kill_during({exe, "rotate", "-i", "big.yaml"}, delay, nullptr);
        EXPECT_EQ(cli_decrypt("big.yaml"), plain);
        for (const auto& e : fs::directory_iterator(dir_))
            if (e.path().filename().string().find(".sopskit-") != std::string::npos) fs::remove(e.path());
        // The editor sleeps, so every kill lands while sopskit runs (for late delays, while the
        // plaintext copy exists); the guardian must have removed that copy by the time it exits.
        EXPECT_TRUE(kill_during({exe, "edit", "big.yaml"}, delay, slow_editor.c_str())) << "the edit ended before the kill";
        EXPECT_EQ(cli_decrypt("big.yaml"), plain);
        struct stat st{};
        ::stat(f.c_str(), &st);
        EXPECT_EQ(st.st_mode & 0777, 0640u);
        EXPECT_EQ(no_plaintext_left(), "");
    }
}
