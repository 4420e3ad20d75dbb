// `sopskit decrypt` of PGP data keys through the running gpg-agent with no gpg process
// (lib/src/keys/pgp_agent_decrypt.cpp), and gpg run as before whenever that route does not
// apply. A `gpg` first on PATH logs every run and hands over to the real one.
#include <algorithm>

#include "openpgp_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

class PgpAgentDecrypt : public sopskit::test::OpenpgpGpgHome {
protected:
    void SetUp() override {
        OpenpgpGpgHome::SetUp();
        if (IsSkipped()) return;
        dir_ = sopskit::test::make_temp_dir();
        fs::create_directory(dir_ / "bin");
        auto real = run("command -v gpg");
        write_file(dir_ / "bin" / "gpg", "#!/bin/sh\necho \"$@\" >> '" + (dir_ / "runs.log").string() + "'\nexec " + real.out.substr(0, real.out.find('\n')) + " \"$@\"\n");
        fs::permissions(dir_ / "bin" / "gpg", fs::perms::owner_all);
        write_file(dir_ / "plain.yaml", "password: hunter2\n");
    }
    sopskit::test::RunResult sopskit(const std::string& args, const std::string& extra_env = "") {
        return run("cd '" + dir_.string() + "' && PATH='" + (dir_ / "bin").string() + "':\"$PATH\" GNUPGHOME='" + home_->string() +
                   "' SOPS_AGE_KEY_FILE=/nonexistent " + extra_env + " '" + sopskit::test::cli_path() + "' " + args);
    }
    // gpg runs logged since the last call.
    int gpg_runs() {
        fs::path log = dir_ / "runs.log";
        if (!fs::exists(log)) return 0;
        std::string text = read_file(log);
        fs::remove(log);
        return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    }
    fs::path dir_;
};

}  // namespace

TEST_F(PgpAgentDecrypt, NoGpgRunWhenTheAgentHoldsTheKey) {
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        auto e = sopskit("encrypt --pgp " + *fp + " plain.yaml > enc.yaml");
        ASSERT_EQ(e.exit_code, 0) << e.err;
        EXPECT_EQ(gpg_runs(), 1) << "encrypt runs gpg";
        run("gpgconf --homedir '" + home_->string() + "' --launch gpg-agent");
        auto d = sopskit("decrypt enc.yaml");
        EXPECT_EQ(d.exit_code, 0) << d.err;
        EXPECT_EQ(d.out, "password: hunter2\n");
        EXPECT_EQ(gpg_runs(), 0) << "decrypt ran gpg";
    }
}

// No agent running, SOPS_GPG_EXEC set, a damaged message: gpg decrypts (or explains) as before.
TEST_F(PgpAgentDecrypt, GpgRunsWhenTheAgentRouteDoesNotApply) {
    auto e = sopskit("encrypt --pgp " + *cv25519_ + " plain.yaml > enc.yaml");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    gpg_runs();
    run("gpgconf --homedir '" + home_->string() + "' --kill gpg-agent");
    // No agent, but an unprotected key: read from its file (pgp_key_file_test.cpp has the
    // protected key that no agent can open, which gpg decrypts as before).
    auto no_agent = sopskit("decrypt enc.yaml");
    EXPECT_EQ(no_agent.out, "password: hunter2\n") << no_agent.err;
    EXPECT_EQ(gpg_runs(), 0) << "no agent, an unprotected key: no gpg run";
    auto exec = sopskit("decrypt enc.yaml", "SOPS_GPG_EXEC='" + (dir_ / "bin" / "gpg").string() + "'");
    EXPECT_EQ(exec.out, "password: hunter2\n") << exec.err;
    EXPECT_EQ(gpg_runs(), 1) << "SOPS_GPG_EXEC: that program decides";

    // gpg.conf options by which gpg looks for keys elsewhere or judges messages otherwise.
    for (std::string conf : {"no-default-keyring\n", "# comment\n  --keyring /x/y.kbx\n", "compliance de-vs\n"}) {
        SCOPED_TRACE(conf);
        write_file(*home_ / "gpg.conf", conf);
        auto configured = sopskit("decrypt enc.yaml");
        fs::remove(*home_ / "gpg.conf");
        EXPECT_EQ(gpg_runs(), 1) << configured.err;
    }
    write_file(*home_ / "gpg.conf", "# keyring x\ndefault-key 0x1234\n\n");
    auto harmless = sopskit("decrypt enc.yaml");
    fs::remove(*home_ / "gpg.conf");
    EXPECT_EQ(harmless.out, "password: hunter2\n") << harmless.err;
    EXPECT_EQ(gpg_runs(), 0) << "options that change nothing for a decrypt";

    // A data key message whose encrypted data is cut short: gpg's own error, as before.
    std::string file = read_file(dir_ / "enc.yaml");
    std::size_t end = file.find("-----END PGP MESSAGE-----");
    ASSERT_NE(end, std::string::npos);
    std::size_t end_line = file.rfind('\n', end) + 1;
    std::size_t checksum_line = file.rfind('\n', end_line - 2) + 1;
    std::size_t last_body_line = file.rfind('\n', checksum_line - 2) + 1;  // dropped with the checksum
    write_file(dir_ / "cut.yaml", file.substr(0, last_body_line) + file.substr(end_line));
    auto damaged = sopskit("decrypt cut.yaml");
    EXPECT_NE(damaged.exit_code, 0);
    EXPECT_EQ(damaged.out, "");
    EXPECT_EQ(gpg_runs(), 1) << damaged.err << read_file(dir_ / "cut.yaml");
}

// A file whose keys this home does not hold: gpg runs and explains, in the words it used before
// (its message is gpg's own, localised; sopskit does not imitate it).
TEST_F(PgpAgentDecrypt, NoSecretKeyIsReportedByGpgAsBefore) {
    fs::path other = dir_ / "other";
    std::string fp = sopskit::test::make_gnupg_home_with_cv25519(other, "other <o@x>", "").primary;
    ASSERT_EQ(fp.size(), 40u);
    auto e = run("cd '" + dir_.string() + "' && GNUPGHOME='" + other.string() + "' '" + sopskit::test::cli_path() + "' encrypt --pgp " + fp +
                 " plain.yaml > theirs.yaml");
    run("gpgconf --homedir '" + other.string() + "' --kill all");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    run("gpgconf --homedir '" + home_->string() + "' --launch gpg-agent");
    gpg_runs();
    auto ours = sopskit("decrypt theirs.yaml");
    EXPECT_EQ(gpg_runs(), 1) << ours.err;
    auto by_gpg = sopskit("decrypt theirs.yaml", "SOPS_GPG_EXEC='" + (dir_ / "bin" / "gpg").string() + "'");
    EXPECT_EQ(gpg_runs(), 1);
    EXPECT_NE(ours.exit_code, 0);
    EXPECT_EQ(ours.exit_code, by_gpg.exit_code);
    EXPECT_EQ(ours.err, by_gpg.err);
    EXPECT_NE(ours.err.find("No secret key"), std::string::npos) << ours.err;
}
