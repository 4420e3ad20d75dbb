// Where results are written, through the real CLI: a write goes to what the user named, as
// sops' os.Create does. Symlinks are followed (the link stays a link), hard links keep sharing
// one inode, owner, group and mode are kept, devices and FIFOs are written into and never
// replaced, and new files get a mode chosen by what they hold. The file cases run twice: as the
// invoking user and, when that is root, as an ordinary user (uid 65534) in a folder it owns.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::write_file;

namespace {

const char* kPlain = "password: hunter2-write-path\nuser: admin\n";
constexpr uid_t kOrdinaryUid = 65534;
constexpr gid_t kOrdinaryGid = 65534;

struct Outcome {
    int exit_code = -1;
    std::string out, err;
};

struct Stat {
    struct stat st {};
    bool ok = false;
};

Stat lstat_of(const fs::path& p) {
    Stat s;
    s.ok = ::lstat(p.c_str(), &s.st) == 0;
    return s;
}

Stat stat_of(const fs::path& p) {
    Stat s;
    s.ok = ::stat(p.c_str(), &s.st) == 0;
    return s;
}

std::string temp_files_in(const fs::path& dir) {
    std::string found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".sopskit-") != std::string::npos) found += e.path().string() + " ";
    return found;
}

class WritePath : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        ordinary_ = GetParam() && ::geteuid() == 0;
        dir_ = sopskit::test::make_temp_dir();
        capture_ = sopskit::test::make_temp_dir();
        write_file(capture_ / "stdin", "");
        fs::create_directory(dir_ / "tmp");
        hand_over();
        auto r = cli("keygen age --output key.txt");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        recipient_ = r.err.substr(r.err.find("age1"), 62);
    }

    // Gives everything in the folder to the user the CLI runs as.
    void hand_over() {
        if (!ordinary_) return;
        ASSERT_EQ(::chown(dir_.c_str(), kOrdinaryUid, kOrdinaryGid), 0);
        for (const auto& e : fs::recursive_directory_iterator(dir_))
            ASSERT_EQ(::lchown(e.path().c_str(), kOrdinaryUid, kOrdinaryGid), 0) << e.path();
    }

    // Runs a shell command in the folder, with a private HOME and TMPDIR, as the test's user.
    // Capture files are opened before privileges are dropped, in a folder the CLI cannot see.
    Outcome shell(const std::string& command) {
        std::string script = "cd '" + dir_.string() + "' && HOME='" + dir_.string() + "' TMPDIR='" + (dir_ / "tmp").string() +
                             "' SOPS_AGE_KEY_FILE=key.txt && export HOME TMPDIR SOPS_AGE_KEY_FILE && " + command;
        std::string in = (capture_ / "stdin").string(), out = (capture_ / "stdout").string(), err = (capture_ / "stderr").string();
        bool drop = ordinary_;
        pid_t pid = ::fork();
        if (pid == 0) {
            int fds[3] = {::open(in.c_str(), O_RDONLY), ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
                          ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)};
            for (int i = 0; i < 3; ++i) {
                if (fds[i] < 0 || ::dup2(fds[i], i) < 0) ::_exit(126);
                // Its own output, as a shell redirection would give it (reopened via /proc/self/fd).
                if (drop && i > 0 && ::fchown(i, kOrdinaryUid, kOrdinaryGid) != 0) ::_exit(126);
            }
            if (drop && (::setgroups(0, nullptr) != 0 || ::setgid(kOrdinaryGid) != 0 || ::setuid(kOrdinaryUid) != 0)) ::_exit(125);
            ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        Outcome o;
        o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        o.out = read_file(out);
        o.err = read_file(err);
        return o;
    }

    Outcome cli(const std::string& args) { return shell("'" + sopskit::test::cli_path() + "' " + args); }

    std::string decrypted(const std::string& file) {
        auto r = cli("decrypt " + file);
        return r.exit_code == 0 ? r.out : "exit " + std::to_string(r.exit_code) + ": " + r.err;
    }

    std::string encrypt_args() const { return "--age " + recipient_; }

    bool ordinary_ = false;
    fs::path dir_, capture_;
    std::string recipient_;
};

INSTANTIATE_TEST_SUITE_P(Users, WritePath, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "AsOrdinaryUser" : "AsInvoker"; });

}  // namespace

TEST_P(WritePath, InPlaceThroughASymlinkWritesTheTargetAndKeepsTheLink) {
    write_file(dir_ / "real.yaml", kPlain);
    ::chmod((dir_ / "real.yaml").c_str(), 0640);
    fs::create_symlink("real.yaml", dir_ / "link.yaml");
    hand_over();
    auto r = cli("encrypt -i " + encrypt_args() + " link.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::is_symlink(dir_ / "link.yaml")) << "the link was replaced";
    EXPECT_EQ(fs::read_symlink(dir_ / "link.yaml"), "real.yaml");
    std::string now = read_file(dir_ / "real.yaml");
    EXPECT_EQ(now.find("hunter2"), std::string::npos) << "the target was left in plaintext";
    EXPECT_EQ(decrypted("real.yaml"), kPlain);
    EXPECT_EQ(lstat_of(dir_ / "real.yaml").st.st_mode & 07777, 0640u);

    // decrypt -i through the link: plaintext lands in the target, still 0640.
    r = cli("decrypt -i link.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_symlink(dir_ / "link.yaml"));
    EXPECT_EQ(read_file(dir_ / "real.yaml"), kPlain);
    EXPECT_EQ(lstat_of(dir_ / "real.yaml").st.st_mode & 07777, 0640u);
    EXPECT_EQ(temp_files_in(dir_), "");
}

TEST_P(WritePath, ChainedRelativeLinksResolveFromEachLinksFolder) {
    for (const char* d : {"a", "b", "data"}) fs::create_directory(dir_ / d);
    write_file(dir_ / "data/real.yaml", kPlain);
    fs::create_symlink("../b/l2.yaml", dir_ / "a/l1.yaml");  // relative to a/, not to the working folder
    fs::create_symlink("../data/real.yaml", dir_ / "b/l2.yaml");
    hand_over();
    auto r = cli("encrypt -i " + encrypt_args() + " a/l1.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli("set a/l1.yaml '[\"user\"]' '\"root\"'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli("rotate -i a/l1.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(fs::read_symlink(dir_ / "a/l1.yaml"), "../b/l2.yaml");
    EXPECT_EQ(fs::read_symlink(dir_ / "b/l2.yaml"), "../data/real.yaml");
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir_ / "data/real.yaml")));
    EXPECT_EQ(decrypted("data/real.yaml"), "password: hunter2-write-path\nuser: root\n");
    for (const char* d : {"a", "b", "data"}) EXPECT_EQ(temp_files_in(dir_ / d), "");
}

TEST_P(WritePath, ADanglingLinkCreatesItsTarget) {
    write_file(dir_ / "in.yaml", kPlain);
    fs::create_directory(dir_ / "out");
    fs::create_symlink("out/new.yaml", dir_ / "dangling");
    hand_over();
    auto r = shell("umask 022 && '" + sopskit::test::cli_path() + "' encrypt " + encrypt_args() + " --output dangling in.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_symlink(dir_ / "dangling"));
    ASSERT_TRUE(fs::is_regular_file(fs::symlink_status(dir_ / "out/new.yaml")));
    EXPECT_EQ(decrypted("out/new.yaml"), kPlain);
    EXPECT_EQ(lstat_of(dir_ / "out/new.yaml").st.st_mode & 07777, 0644u);
}

TEST_P(WritePath, HardLinksKeepSharingOneInode) {
    write_file(dir_ / "a.yaml", kPlain);
    ::chmod((dir_ / "a.yaml").c_str(), 0640);
    fs::create_hard_link(dir_ / "a.yaml", dir_ / "b.yaml");
    hand_over();
    ino_t inode = lstat_of(dir_ / "a.yaml").st.st_ino;
    auto r = cli("encrypt -i " + encrypt_args() + " a.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* name : {"a.yaml", "b.yaml"}) {
        SCOPED_TRACE(name);
        Stat s = lstat_of(dir_ / name);
        EXPECT_EQ(s.st.st_ino, inode);
        EXPECT_EQ(s.st.st_nlink, 2u);
        EXPECT_EQ(s.st.st_mode & 07777, 0640u);
    }
    EXPECT_EQ(read_file(dir_ / "b.yaml"), read_file(dir_ / "a.yaml"));
    EXPECT_EQ(decrypted("b.yaml"), kPlain);
    r = cli("unset b.yaml '[\"user\"]'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(decrypted("a.yaml"), "password: hunter2-write-path\n");
    EXPECT_EQ(lstat_of(dir_ / "a.yaml").st.st_ino, inode);
    EXPECT_EQ(temp_files_in(dir_), "");
}

TEST_P(WritePath, AFifoIsWrittenIntoAndStaysAFifo) {
    write_file(dir_ / "in.yaml", kPlain);
    ASSERT_EQ(::mkfifo((dir_ / "pipe").c_str(), 0600), 0);
    hand_over();
    ASSERT_EQ(cli("encrypt " + encrypt_args() + " --output enc.yaml in.yaml").exit_code, 0);
    for (const std::string& command : {std::string("decrypt --output pipe enc.yaml"), "encrypt " + encrypt_args() + " --output pipe in.yaml"}) {
        SCOPED_TRACE(command);
        // Opened before the CLI runs, so neither side can hang the test: the reader gives up
        // after 10 s without a writer (the old code replaced the FIFO and never wrote to it).
        int fd = ::open((dir_ / "pipe").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        std::string got;
        std::thread reader([&] {
            char buf[4096];
            for (;;) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 10000) <= 0) break;
                ssize_t n = ::read(fd, buf, sizeof buf);
                if (n > 0) got.append(buf, static_cast<std::size_t>(n));
                else if (n == 0 || errno != EAGAIN) break;
            }
        });
        auto r = cli(command);
        reader.join();
        ::close(fd);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_TRUE(S_ISFIFO(lstat_of(dir_ / "pipe").st.st_mode)) << "the FIFO was replaced";
        if (command.rfind("decrypt", 0) == 0) EXPECT_EQ(got, kPlain);
        else EXPECT_NE(got.find("ENC[AES256_GCM"), std::string::npos) << got;
    }
    EXPECT_EQ(temp_files_in(dir_), "");
}

TEST_P(WritePath, ACharacterDeviceIsWrittenIntoAndStaysADevice) {
    if (::geteuid() != 0) GTEST_SKIP() << "making a device node needs root";
    // A null device of our own, inside the test's folder (never the machine's /dev).
    const dev_t null_dev = ::makedev(1, 3);
    if (::mknod((dir_ / "null").c_str(), S_IFCHR | 0666, null_dev) != 0)
        GTEST_SKIP() << "mknod refused here (" << std::strerror(errno) << "): no CAP_MKNOD";
    int probe = ::open((dir_ / "null").c_str(), O_WRONLY);
    if (probe < 0) GTEST_SKIP() << "device nodes cannot be opened here (" << std::strerror(errno) << "): a nodev mount";
    ::close(probe);
    write_file(dir_ / "in.yaml", kPlain);
    hand_over();
    ASSERT_EQ(cli("encrypt " + encrypt_args() + " --output enc.yaml in.yaml").exit_code, 0);
    for (const std::string& command : {std::string("decrypt --output null enc.yaml"), "encrypt " + encrypt_args() + " --output null in.yaml"}) {
        SCOPED_TRACE(command);
        auto r = cli(command);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        Stat s = lstat_of(dir_ / "null");
        ASSERT_TRUE(s.ok);
        EXPECT_TRUE(S_ISCHR(s.st.st_mode)) << "the device node was replaced by a regular file";
        EXPECT_EQ(s.st.st_rdev, null_dev);
    }
    EXPECT_EQ(temp_files_in(dir_), "");
}

TEST_P(WritePath, ALinkToTheProcessStdoutWritesToStdout) {
    // As --output /dev/stdout does, but with a link of our own: /proc/self/fd/1 names an
    // open file, not a path, so it is written into.
    write_file(dir_ / "in.yaml", kPlain);
    fs::create_symlink("/proc/self/fd/1", dir_ / "stdout-link");
    hand_over();
    ASSERT_EQ(cli("encrypt " + encrypt_args() + " --output enc.yaml in.yaml").exit_code, 0);
    auto r = cli("decrypt --output stdout-link enc.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kPlain);
    EXPECT_TRUE(fs::is_symlink(dir_ / "stdout-link"));
    r = shell("'" + sopskit::test::cli_path() + "' decrypt --output stdout-link enc.yaml | cat");  // a pipe
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kPlain);
    EXPECT_TRUE(fs::is_symlink(dir_ / "stdout-link"));
}

TEST_P(WritePath, NewOutputFilesGetSopsModeAndPlaintextGets0600) {
    write_file(dir_ / "in.yaml", kPlain);
    hand_over();
    const std::string exe = "'" + sopskit::test::cli_path() + "' ";
    for (auto [umask, shared] : {std::pair{"022", 0644u}, std::pair{"077", 0600u}, std::pair{"002", 0664u}}) {
        SCOPED_TRACE(std::string("umask ") + umask);
        std::string u = std::string("umask ") + umask + " && ";
        fs::remove(dir_ / "enc.yaml");
        fs::remove(dir_ / "plain.yaml");
        auto r = shell(u + exe + "encrypt " + encrypt_args() + " --output enc.yaml in.yaml");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(lstat_of(dir_ / "enc.yaml").st.st_mode & 07777, shared) << "ciphertext: 0666 minus the umask, as sops";
        r = shell(u + exe + "decrypt --output plain.yaml enc.yaml");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(lstat_of(dir_ / "plain.yaml").st.st_mode & 07777, 0600u) << "decrypted plaintext: 0600";
        EXPECT_EQ(read_file(dir_ / "plain.yaml"), kPlain);
    }
    // An existing file keeps the mode its owner gave it.
    ::chmod((dir_ / "plain.yaml").c_str(), 0640);
    ASSERT_EQ(cli("decrypt --output plain.yaml enc.yaml").exit_code, 0);
    EXPECT_EQ(lstat_of(dir_ / "plain.yaml").st.st_mode & 07777, 0640u);
}

TEST_P(WritePath, KeygenOutputOverAWorldReadableFileEndsPrivate) {
    write_file(dir_ / "old-key.txt", "not a key\n");
    ::chmod((dir_ / "old-key.txt").c_str(), 0644);
    write_file(dir_ / "target.txt", "");
    ::chmod((dir_ / "target.txt").c_str(), 0644);
    fs::create_symlink("target.txt", dir_ / "key-link");
    hand_over();
    for (const char* name : {"old-key.txt", "key-link"}) {
        SCOPED_TRACE(name);
        auto r = cli(std::string("keygen age --output ") + name);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        Stat s = stat_of(dir_ / name);
        EXPECT_EQ(s.st.st_mode & 07777, 0600u) << "a private key must not stay world-readable";
        EXPECT_NE(read_file(dir_ / name).find("AGE-SECRET-KEY-1"), std::string::npos);
    }
    EXPECT_TRUE(fs::is_symlink(dir_ / "key-link"));
}

TEST_P(WritePath, ExecFileRefusesAFilenameOutsideItsFolder) {
    write_file(dir_ / "in.yaml", kPlain);
    hand_over();
    ASSERT_EQ(cli("encrypt " + encrypt_args() + " --output enc.yaml in.yaml").exit_code, 0);
    for (const std::string& name : std::vector<std::string>{"../x", (dir_ / "abs-x").string(), "a/../../x", ".."}) {
        for (const char* fifo : {"", "--no-fifo "}) {
            SCOPED_TRACE(name + " " + fifo);
            auto r = cli(std::string("exec-file ") + fifo + "--filename '" + name + "' enc.yaml 'cat {} > ran.txt'");
            EXPECT_EQ(r.exit_code, 1) << r.err;
            EXPECT_NE(r.err.find("The provided filename is not a local path."), std::string::npos) << r.err;
            EXPECT_FALSE(fs::exists(dir_ / "ran.txt")) << "the command ran";
            EXPECT_FALSE(fs::exists(dir_ / "tmp/x") || fs::exists(dir_ / "abs-x")) << "plaintext outside the private folder";
        }
    }
    auto r = cli("exec-file --no-fifo --filename secrets.yaml enc.yaml 'cat {}'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kPlain);
}

TEST_P(WritePath, WhatCannotBeWrittenIsRefusedNamingIt) {
    write_file(dir_ / "in.yaml", kPlain);
    fs::create_directory(dir_ / "folder");
    write_file(dir_ / "read-only.yaml", "old\n");
    ::chmod((dir_ / "read-only.yaml").c_str(), 0444);
    hand_over();
    std::vector<std::pair<std::string, std::string>> cases{{"folder", "Is a directory"}, {"missing/out.yaml", "No such file"}};
    if (::geteuid() != 0 || ordinary_) cases.emplace_back("read-only.yaml", "Permission denied");  // as sops' os.Create
    for (const auto& [target, reason] : cases) {
        SCOPED_TRACE(target);
        auto r = cli("encrypt " + encrypt_args() + " --output " + target + " in.yaml");
        EXPECT_EQ(r.exit_code, 3) << r.err;
        EXPECT_NE(r.err.find("Could not write output file " + target + ": "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    EXPECT_TRUE(fs::is_empty(dir_ / "folder"));
    EXPECT_FALSE(fs::exists(dir_ / "missing"));
    EXPECT_EQ(read_file(dir_ / "read-only.yaml"), "old\n");
    EXPECT_EQ(temp_files_in(dir_), "");
}

// An ordinary user cannot give a new file someone else's owner: the file is written in place,
// and so is a file in a folder the user may not create files in.
TEST(WritePathOwner, AnOrdinaryUserWritesInPlaceWhenTheOwnerCannotBeKept) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to prepare files owned by another user";
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path work = dir / "work", locked = dir / "locked";
    fs::create_directories(work);
    fs::create_directories(locked);
    const std::string exe = "'" + sopskit::test::cli_path() + "' ";
    auto as_ordinary = [&](const std::string& command) {
        return sopskit::test::run("cd '" + work.string() + "' && HOME='" + work.string() +
                                  "' SOPS_AGE_KEY_FILE=key.txt setpriv --reuid=65534 --regid=65534 --clear-groups " + command);
    };
    if (!sopskit::test::have_program("setpriv")) GTEST_SKIP() << "setpriv (util-linux) not installed";
    ASSERT_EQ(::chown(dir.c_str(), 0, 0), 0);
    ::chmod(dir.c_str(), 0755);
    ASSERT_EQ(::chown(work.c_str(), kOrdinaryUid, kOrdinaryGid), 0);
    auto key = as_ordinary(exe + "keygen age --output key.txt");
    ASSERT_EQ(key.exit_code, 0) << key.err;
    std::string recipient = key.err.substr(key.err.find("age1"), 62);

    // Someone else's file the group may write: owner 12345 stays.
    write_file(work / "shared.yaml", kPlain);
    ASSERT_EQ(::chown((work / "shared.yaml").c_str(), 12345, kOrdinaryGid), 0);
    ::chmod((work / "shared.yaml").c_str(), 0660);
    // The user's own file in a root-owned folder: no temp file can be made beside it.
    write_file(locked / "mine.yaml", kPlain);
    ASSERT_EQ(::chown((locked / "mine.yaml").c_str(), kOrdinaryUid, kOrdinaryGid), 0);
    ::chmod((locked / "mine.yaml").c_str(), 0640);
    for (const fs::path& file : {work / "shared.yaml", locked / "mine.yaml"}) {
        SCOPED_TRACE(file.string());
        Stat before = lstat_of(file);
        auto r = as_ordinary(exe + "encrypt -i --age " + recipient + " '" + file.string() + "'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        Stat after = lstat_of(file);
        EXPECT_EQ(after.st.st_uid, before.st.st_uid);
        EXPECT_EQ(after.st.st_gid, before.st.st_gid);
        EXPECT_EQ(after.st.st_mode & 07777, before.st.st_mode & 07777);
        EXPECT_EQ(after.st.st_ino, before.st.st_ino) << "written in place";
        auto d = as_ordinary(exe + "decrypt '" + file.string() + "'");
        EXPECT_EQ(d.out, kPlain) << d.err;
    }
}

TEST(WritePathOwner, RootKeepsOwnerGroupAndModeOfAnotherUsersFile) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
    fs::path dir = sopskit::test::make_temp_dir();
    const std::string cli = "cd '" + dir.string() + "' && HOME='" + dir.string() + "' SOPS_AGE_KEY_FILE=key.txt '" +
                            sopskit::test::cli_path() + "' ";
    auto key = sopskit::test::run(cli + "keygen age --output key.txt");
    ASSERT_EQ(key.exit_code, 0) << key.err;
    std::string recipient = key.err.substr(key.err.find("age1"), 62);
    write_file(dir / "theirs.yaml", kPlain);
    ASSERT_EQ(::chown((dir / "theirs.yaml").c_str(), 12345, 12346), 0);
    ::chmod((dir / "theirs.yaml").c_str(), 0640);
    for (const std::string& command : {"encrypt -i --age " + recipient, std::string("rotate -i"), std::string("decrypt -i")}) {
        SCOPED_TRACE(command);
        auto r = sopskit::test::run(cli + command + " theirs.yaml");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        Stat s = lstat_of(dir / "theirs.yaml");
        EXPECT_EQ(s.st.st_uid, 12345u);
        EXPECT_EQ(s.st.st_gid, 12346u);
        EXPECT_EQ(s.st.st_mode & 07777, 0640u);
    }
    EXPECT_EQ(read_file(dir / "theirs.yaml"), kPlain);
    EXPECT_EQ(temp_files_in(dir), "");
}

// A temporary file holding plaintext is 0600 from its creation until it is complete; only then
// does it get the target's mode. A file-size limit (ulimit -f) kills the CLI with SIGXFSZ in
// the middle of writing a large decrypt -i, which leaves the half-written temporary file
// behind, as a crash would: it must not be readable by others (the old code gave it the
// original's 0644 before writing a byte).
TEST(WritePathTemp, APlaintextTempFileIsPrivateUntilComplete) {
    fs::path dir = sopskit::test::make_temp_dir();
    const std::string cli = "cd '" + dir.string() + "' && HOME='" + dir.string() + "' SOPS_AGE_KEY_FILE=key.txt '" +
                            sopskit::test::cli_path() + "' ";
    auto key = sopskit::test::run(cli + "keygen age --output key.txt");
    ASSERT_EQ(key.exit_code, 0) << key.err;
    std::string recipient = key.err.substr(key.err.find("age1"), 62);
    std::string plain;
    for (int i = 0; plain.size() < (std::size_t{4} << 20); ++i) plain += "line " + std::to_string(i) + " of a large secret\n";
    write_file(dir / "big.bin", plain);
    auto e = sopskit::test::run(cli + "encrypt -i --age " + recipient + " big.bin");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    ::chmod((dir / "big.bin").c_str(), 0644);
    const std::string encrypted = read_file(dir / "big.bin");

    // 2048 blocks: 1 MiB (512-byte blocks, dash) or 2 MiB (bash); the plaintext is 4 MiB.
    auto d = sopskit::test::run("ulimit -f 2048 && " + cli + "decrypt -i big.bin");
    EXPECT_NE(d.exit_code, 0) << "the size limit did not stop the write";
    EXPECT_EQ(read_file(dir / "big.bin"), encrypted) << "the original must be untouched";
    int temps = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().find(".sopskit-") == std::string::npos) continue;
        ++temps;
        Stat s = lstat_of(entry.path());
        EXPECT_GT(s.st.st_size, 0) << "killed before writing: the test proves nothing";
        EXPECT_LT(static_cast<std::size_t>(s.st.st_size), plain.size());
        EXPECT_EQ(s.st.st_mode & 07777, 0600u) << "a half-written plaintext temp file readable by others";
    }
    EXPECT_EQ(temps, 1) << "expected the killed run's temporary file";
}
