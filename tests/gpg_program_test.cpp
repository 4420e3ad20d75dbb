// How sopskit drives gpg for PGP data keys: one gpg run per decrypt or encrypt (no GPGME
// probes before it), the status lines that decide the outcome, the user's agent and pinentry
// for a passphrase-protected key.
#include <algorithm>
#include <filesystem>

#include "keys/gpg_status.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::detail::parse_gpg_status;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

const char* kFp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

// Upstream's key in a private GNUPGHOME; `gpg` runs a script standing in for gpg.
class GpgProgramTest : public sopskit::test::UpstreamGpgTest {
protected:
    std::string env() const { return "GNUPGHOME='" + home_.string() + "' SOPS_AGE_KEY_FILE=/nonexistent "; }
    sopskit::test::RunResult sopskit(const std::string& args, const std::string& extra_env = "") {
        return run("cd '" + dir_.string() + "' && " + env() + extra_env + "'" + sopskit::test::cli_path() + "' " + args);
    }
    // An executable script in the test folder.
    std::string script(const std::string& name, const std::string& body) {
        fs::path p = dir_ / name;
        write_file(p, "#!/bin/sh\n" + body);
        fs::permissions(p, fs::perms::owner_all);
        return p.string();
    }
    // A file encrypted to upstream's key by the real gpg.
    void make_encrypted_file() {
        write_file(dir_ / "plain.yaml", "password: hunter2\n");
        auto e = sopskit(std::string("encrypt --pgp ") + kFp + " plain.yaml > enc.yaml");
        ASSERT_EQ(e.exit_code, 0) << e.err;
    }
};

}  // namespace

TEST(GpgStatus, ReadsTheLinesThatDecideTheOutcome) {
    auto ok = parse_gpg_status(
        "[GNUPG:] ENC_TO 8DF172C08BBD52A6 18 0\n[GNUPG:] KEY_CONSIDERED FD89274F4BAEF1230DC26DB49C7902BF1A8F135D 0\n"
        "[GNUPG:] BEGIN_DECRYPTION\n[GNUPG:] PLAINTEXT_LENGTH 32\n[GNUPG:] DECRYPTION_OKAY\n[GNUPG:] GOODMDC\n[GNUPG:] END_DECRYPTION\n");
    EXPECT_TRUE(ok.decryption_okay);
    EXPECT_EQ(ok.no_seckey, 0);
    EXPECT_EQ(ok.error, 0u);

    auto none = parse_gpg_status("[GNUPG:] ENC_TO 1 18 0\n[GNUPG:] NO_SECKEY 1\n[GNUPG:] ENC_TO 2 1 0\n[GNUPG:] NO_SECKEY 2\n"
                                 "[GNUPG:] BEGIN_DECRYPTION\n[GNUPG:] DECRYPTION_FAILED\n");
    EXPECT_FALSE(none.decryption_okay);
    EXPECT_EQ(none.no_seckey, 2);

    // The agent's "Operation cancelled" (source 4, code 99); CRLF and the first error win.
    auto cancelled = parse_gpg_status("[GNUPG:] ERROR pkdecrypt_failed 67108963\r\n[GNUPG:] FAILURE decrypt 11\n");
    EXPECT_EQ(cancelled.error, 67108963u);
    EXPECT_EQ(cancelled.error_code(), 99u);

    auto refused = parse_gpg_status("[GNUPG:] INV_RECP 0 5DA4D87B539C22C8119198F9A4713290019944A4\n[GNUPG:] FAILURE encrypt 53\n");
    EXPECT_TRUE(refused.invalid_recipient);
    EXPECT_FALSE(refused.end_encryption);
    EXPECT_EQ(refused.error, 53u);

    // Log text and half lines are not status; a bad number is no code.
    auto noise = parse_gpg_status("gpg: [GNUPG:] DECRYPTION_OKAY\n [GNUPG:] NO_SECKEY 1\n[GNUPG:]DECRYPTION_OKAY\n"
                                  "[GNUPG:] DECRYPTION_OKAYX\n[GNUPG:] ERROR x 12abc\n[GNUPG:] ERROR x 99999999999\n[GNUPG:] BAD_PASSPHRASE");
    EXPECT_FALSE(noise.decryption_okay);
    EXPECT_EQ(noise.no_seckey, 0);
    EXPECT_EQ(noise.error, 0u);
    EXPECT_TRUE(noise.bad_passphrase) << "the last line needs no newline";
}

// GPGME ran gpgconf three times, `gpg --version` and `gpgsm --version` before each first
// operation: here the program SOPS_GPG_EXEC names must run exactly once per data key.
TEST_F(GpgProgramTest, EncryptAndDecryptRunGpgOnceEach) {
    std::string log = (dir_ / "runs.log").string();
    std::string wrapper = script("logging-gpg", "echo \"$@\" >> '" + log + "'\nexec gpg \"$@\"\n");
    write_file(dir_ / "plain.yaml", "password: hunter2\n");
    auto e = sopskit(std::string("encrypt --pgp ") + kFp + " plain.yaml > enc.yaml", "SOPS_GPG_EXEC='" + wrapper + "' ");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    auto d = sopskit("decrypt enc.yaml", "SOPS_GPG_EXEC='" + wrapper + "' ");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, "password: hunter2\n");
    std::string runs = read_file(log);
    EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 2) << runs;
    EXPECT_NE(runs.find("--encrypt --recipient " + std::string(kFp)), std::string::npos) << runs;
    EXPECT_NE(runs.find("--decrypt"), std::string::npos) << runs;
    EXPECT_EQ(runs.find("--version"), std::string::npos) << runs;
}

// What gpg reports decides the error: a cancelled pinentry, a refused key, too much output.
TEST_F(GpgProgramTest, StatusLinesDecideTheError) {
    make_encrypted_file();
    auto with_gpg = [&](const std::string& name, const std::string& body) {
        return sopskit("decrypt enc.yaml", "SOPS_GPG_EXEC='" + script(name, "cat > /dev/null\n" + body) + "' ");
    };
    auto cancelled = with_gpg("cancel", "echo '[GNUPG:] ERROR pkdecrypt_failed 67108963' >&3\nexit 2\n");
    EXPECT_EQ(cancelled.exit_code, 128) << cancelled.err;
    EXPECT_NE(cancelled.err.find("passphrase entry cancelled"), std::string::npos) << cancelled.err;

    auto bad = with_gpg("bad", "echo '[GNUPG:] BAD_PASSPHRASE 69CCA406370A2F30' >&3\nexit 2\n");
    EXPECT_NE(bad.err.find("bad passphrase"), std::string::npos) << bad.err;

    auto other = with_gpg("other", "echo 'gpg: something \033[2J broke' >&2\nexit 2\n");
    EXPECT_NE(other.err.find("gpg exited with status 2: gpg: something \\x1b[2J broke"), std::string::npos) << other.err;

    // Success is DECRYPTION_OKAY and exit 0, never the exit alone.
    auto silent = with_gpg("silent", "printf '%032d' 0\nexit 0\n");
    EXPECT_EQ(silent.exit_code, 128) << silent.err;

    auto long_output = with_gpg("long", "echo '[GNUPG:] DECRYPTION_OKAY' >&3\nprintf '%0100d' 0\nexit 0\n");
    EXPECT_EQ(long_output.exit_code, 128) << long_output.err;
    EXPECT_NE(long_output.err.find("more output than a data key"), std::string::npos) << long_output.err;
}

// The user's own GnuPG home keeps its agent and pinentry: a passphrase-protected key is
// unlocked through the pinentry the agent is configured with (here a script that answers).
TEST_F(GpgProgramTest, PassphraseProtectedKeyUsesTheAgentsPinentry) {
    fs::path gh = dir_ / "locked";
    // s2k-count: quick to protect and unlock.
    std::string fp = sopskit::test::make_gnupg_home_with_cv25519(gh, "locked <l@x>", "pw", "s2k-count 65536\n").primary;
    ASSERT_EQ(fp.size(), 40u);
    run("gpgconf --homedir '" + gh.string() + "' --kill all");
    fs::path asked = dir_ / "pinentry-asked";
    std::string pinentry = script("pinentry.sh",
                                  "echo 'OK ready'\n"
                                  "while read -r cmd rest; do\n"
                                  "  case \"$cmd\" in\n"
                                  "    GETPIN) touch '" + asked.string() + "'; echo 'D pw'; echo OK ;;\n"
                                  "    BYE) echo OK; exit 0 ;;\n"
                                  "    *) echo OK ;;\n"
                                  "  esac\n"
                                  "done\n");
    write_file(gh / "gpg-agent.conf", "s2k-count 65536\npinentry-program " + pinentry + "\n");
    write_file(dir_ / "plain.yaml", "password: hunter2\n");
    std::string home_env = "GNUPGHOME='" + gh.string() + "' ";
    auto e = sopskit("encrypt --pgp " + fp + " plain.yaml > locked.yaml", home_env);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    auto d = sopskit("decrypt locked.yaml", home_env);
    run("gpgconf --homedir '" + gh.string() + "' --kill all");
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, "password: hunter2\n");
    EXPECT_TRUE(fs::exists(asked)) << "the agent's pinentry was not asked";
}

// Decrypt and encrypt no longer open GPGME (nor libassuan, libgpg-error): only gpg maps them.
TEST_F(GpgProgramTest, DecryptAndEncryptMapNoGpgme) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "sanitized builds link GPGME at start-up";
#endif
    make_encrypted_file();
    for (const std::string args : {std::string("decrypt enc.yaml"), std::string("encrypt --pgp ") + kFp + " plain.yaml"}) {
        SCOPED_TRACE(args);
        fs::path trace = dir_ / "ld";
        fs::create_directory(trace);
        auto r = sopskit(args, "LD_DEBUG=files LD_DEBUG_OUTPUT='" + (trace / "t").string() + "' ");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        // One trace file per process; gpg's own (it maps libassuan) is not sopskit's, which is
        // the one with libsodium (libcrypto is opened on first use, not at start).
        std::string ours;
        for (const auto& entry : fs::directory_iterator(trace)) {
            std::string text = read_file(entry.path());
            if (text.find("libsodium.so") != std::string::npos) ours += text;
        }
        fs::remove_all(trace);
        ASSERT_NE(ours.find("libsodium.so"), std::string::npos) << "no trace of sopskit itself";
        for (const char* lib : {"libgpgme", "libassuan", "libgpg-error"})
            EXPECT_EQ(ours.find(lib), std::string::npos) << lib << " was loaded";
    }
}

// A gpg in the working directory (a repository being decrypted) is never run, even with "."
// or an empty entry on PATH; SOPS_GPG_EXEC names are looked up the same way.
TEST_F(GpgProgramTest, GpgInTheWorkingDirectoryIsNeverRun) {
    make_encrypted_file();
    fs::path ran = dir_ / "planted-gpg-ran";
    script("gpg", "touch '" + ran.string() + "'\nexit 1\n");
    auto d = sopskit("decrypt enc.yaml", "PATH=.::/usr/bin:/bin ");
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, "password: hunter2\n");
    auto named = sopskit("decrypt enc.yaml", "PATH=.:/nonexistent SOPS_GPG_EXEC=gpg ");
    EXPECT_NE(named.exit_code, 0);
    EXPECT_NE(named.err.find("SOPS_GPG_EXEC: cannot find program 'gpg'"), std::string::npos) << named.err;
    EXPECT_FALSE(fs::exists(ran)) << "ran ./gpg";
}
