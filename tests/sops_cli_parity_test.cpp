// The sopskit command where sops' own functional suite and sops scripts rely on sops' exact
// behaviour: where .sops.yaml is looked up, exit codes and message text, legacy flags.
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

const char* kFp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

// A temporary folder with a private GNUPGHOME holding upstream's test key.
class SopsParity : public sopskit::test::UpstreamGpgTest {
protected:
    std::string env() const {
        return "GNUPGHOME='" + home_.string() + "' HOME='" + dir_.string() + "' SOPS_AGE_KEY_FILE=/nonexistent ";
    }
    // Runs sopskit in `cwd`, a folder relative to the test folder.
    sopskit::test::RunResult sopskit(const std::string& args, const std::string& cwd = ".", const std::string& in = "") {
        return run("cd '" + (dir_ / cwd).string() + "' && " + env() + "'" + sopskit::test::cli_path() + "' " + args, in);
    }
};

}  // namespace

// sops looks for .sops.yaml from the working directory upwards (LookupConfigFile(".")), not
// from the file's folder: its functional suite keeps its files in /tmp and its config beside it.
TEST_F(SopsParity, ConfigIsFoundFromTheWorkingDirectoryNotTheFile) {
    fs::create_directories(dir_ / "project/sub");
    fs::create_directories(dir_ / "elsewhere");
    write_file(dir_ / "project/.sops.yaml", std::string("creation_rules:\n  - pgp: ") + kFp + "\n");
    write_file(dir_ / "elsewhere/s.yaml", "a: secret\n");
    auto e = sopskit("encrypt ../../elsewhere/s.yaml", "project/sub");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.out.find(kFp), std::string::npos);

    // A config beside the file but not above the working directory is not used.
    write_file(dir_ / "elsewhere/.sops.yaml", std::string("creation_rules:\n  - pgp: ") + kFp + "\n");
    fs::create_directories(dir_ / "plain");
    auto none = sopskit("encrypt ../elsewhere/s.yaml", "plain");
    EXPECT_NE(none.exit_code, 0) << none.out;

    // SOPS_CONFIG names the config, as --config does.
    auto with_env = run("cd '" + (dir_ / "plain").string() + "' && " + env() + "SOPS_CONFIG=../project/.sops.yaml '" +
                        sopskit::test::cli_path() + "' encrypt ../elsewhere/s.yaml");
    EXPECT_EQ(with_env.exit_code, 0) << with_env.err;
}

// Under the name `sops` errors are sops' bare lines; the key-group message is checked byte for
// byte by sops' functional suite.
TEST_F(SopsParity, RunAsSopsPrintsSopsErrorLinesAndVersion) {
    fs::create_symlink(sopskit::test::cli_path(), dir_ / "sops");
    fs::create_directories(dir_ / "cfg");
    auto sops = [&](const std::string& args) { return run("cd '" + (dir_ / "cfg").string() + "' && " + env() + "../sops " + args); };
    write_file(dir_ / "cfg/.sops.yaml", "creation_rules:\n  - path_regex: zero\\.yaml\n    key_groups: []\n  - path_regex: empty\\.yaml\n"
                                    "    key_groups:\n      - {}\n");
    write_file(dir_ / "cfg/zero.yaml", "a: secret\n");
    write_file(dir_ / "cfg/empty.yaml", "a: secret\n");
    for (const char* f : {"zero.yaml", "empty.yaml"}) {
        auto r = sops(std::string("encrypt -i ") + f);
        EXPECT_EQ(r.exit_code, 1) << f;
        EXPECT_EQ(r.err, "Could not generate data key: [empty key group provided]\n") << f;
        EXPECT_EQ(read_file(dir_ / "cfg" / f), "a: secret\n");
    }
    auto missing = sops("decrypt nope.yaml");
    EXPECT_EQ(missing.exit_code, 100);
    EXPECT_EQ(missing.err, "Error: cannot operate on non-existent file \"" + (dir_ / "cfg/nope.yaml").string() + "\"\n");
    auto plain = sops("decrypt zero.yaml");
    EXPECT_EQ(plain.exit_code, 1);
    EXPECT_EQ(plain.err, "sops metadata not found\n");

    auto version = sops("--version");
    EXPECT_EQ(version.out, "sops 3.13.2\n");
    auto own = sopskit("--version");
    // A config error is a plain error in sops: exit code 1.
    write_file(dir_ / "cfg/other.yaml", "a: b\n");
    auto norule = sops("encrypt other.yaml");
    EXPECT_EQ(norule.exit_code, 1);
    EXPECT_EQ(norule.err, "error loading config: no matching creation rules found\n");
    EXPECT_NE(own.out.find("sopskit "), std::string::npos);
    EXPECT_NE(own.out.find("sops 3.13.2"), std::string::npos) << own.out;

    // No key flag and no config: sops' words and exit code 1.
    fs::create_directories(dir_ / "noconf");
    write_file(dir_ / "noconf/x.yaml", "a: b\n");
    auto nokeys = run("cd '" + (dir_ / "noconf").string() + "' && " + env() + "../sops encrypt x.yaml");
    EXPECT_EQ(nokeys.exit_code, 1);
    EXPECT_EQ(nokeys.err, "config file not found, or has no creation rules, and no keys provided through command line options\n");
}

// `sops --set 'INDEX VALUE' FILE` writes the file; `set --output-type` writes that type.
TEST_F(SopsParity, LegacySetAndSetOutputType) {
    write_file(dir_ / "s.yaml", "a: 2\nb: ba\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " s.yaml").exit_code, 0);
    auto set = sopskit("--set '[\"a\"] \"aaa\"' s.yaml");
    ASSERT_EQ(set.exit_code, 0) << set.err;
    EXPECT_EQ(sopskit("decrypt s.yaml").out, "a: aaa\nb: ba\n");
    auto bad = sopskit("set s.yaml 'a' '1'");
    EXPECT_EQ(bad.exit_code, 7) << bad.err;

    write_file(dir_ / "j.json", "{\"a\": 2, \"b\": \"ba\"}");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " j.json").exit_code, 0);
    auto typed = sopskit("set --output-type yaml j.json '[\"b\"]' '\"ba\"'");
    ASSERT_EQ(typed.exit_code, 0) << typed.err;
    EXPECT_EQ(read_file(dir_ / "j.json").rfind("a: ENC[", 0), 0u);
    // The output type follows the file name, not --input-type.
    auto d = sopskit("decrypt --input-type yaml j.json");
    EXPECT_EQ(d.out.rfind("{", 0), 0u) << d.out;
}

// sops 3.13.2's INI store: go-ini's """ multi-line values (3.13.0/3.13.1 wrote metadata so),
// no blank line after the last section; YAML block scalars at the end of an input without a
// final line break have none either.
TEST_F(SopsParity, StoresReadAndWriteAsSops3132) {
    auto conf = sopskit::test::conformance_dir();
    auto old_ini = sopskit("decrypt '" + (*conf / "sops/functional-tests/res/format-2.enc.ini").string() + "'");
    EXPECT_EQ(old_ini.exit_code, 0) << old_ini.err;
    EXPECT_EQ(old_ini.out, "[foo]\nbar = baz\n");
    write_file(dir_ / "two.ini", "[a]\nx = 1\n\n[b]\ny = 2\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " two.ini").exit_code, 0);
    EXPECT_EQ(sopskit("decrypt two.ini").out, "[a]\nx = 1\n\n[b]\ny = 2\n");

    write_file(dir_ / "m.yaml", "multiline: |\n  multi\n  line");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " m.yaml").exit_code, 0);
    auto x = sopskit("decrypt --extract '[\"multiline\"]' m.yaml");
    EXPECT_EQ(x.out, "multi\nline");
}

// sops defines --config, --indent, --mac-only-encrypted and the comment regexes on its root
// command: given before the subcommand they apply; `stores:` indents in .sops.yaml too.
TEST_F(SopsParity, RootFlagsBeforeTheSubcommandAndStoreIndents) {
    fs::create_directories(dir_ / "conf");
    write_file(dir_ / "conf/c.yaml", std::string("creation_rules:\n  - pgp: ") + kFp + "\n");
    write_file(dir_ / "j.json", "{\"a\": {\"b\": 1}}");
    auto e = sopskit("--config conf/c.yaml --mac-only-encrypted encrypt j.json");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.out.find("\"mac_only_encrypted\": true"), std::string::npos) << e.out;
    write_file(dir_ / "j.enc.json", e.out);
    auto flat = sopskit("--indent 0 decrypt j.enc.json");
    EXPECT_EQ(flat.out, "{\n\"a\": {\n\"b\": 1\n}\n}\n");
    auto two = sopskit("--indent 2 decrypt j.enc.json");
    EXPECT_EQ(two.out, "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");

    write_file(dir_ / ".sops.yaml", std::string("creation_rules:\n  - pgp: ") + kFp +
                                        "\nstores:\n  yaml:\n    indent: 2\n  json:\n    indent: 3\n");
    auto json = sopskit("decrypt j.enc.json");
    EXPECT_EQ(json.out, "{\n   \"a\": {\n      \"b\": 1\n   }\n}\n");
    auto yaml = sopskit("decrypt --output-type yaml j.enc.json");
    EXPECT_EQ(yaml.out, "a:\n  b: 1\n");
    auto flag_wins = sopskit("decrypt --indent 4 --output-type yaml j.enc.json");
    EXPECT_EQ(flag_wins.out, "a:\n    b: 1\n");
}

// Legacy spellings sops takes: -a for --age, --verbose and --disable-version-check; a key kind
// named twice in --decryption-order is refused with sops' code 112.
TEST_F(SopsParity, LegacyFlagsAndDecryptionOrder) {
    write_file(dir_ / "k.yaml", "a: b\n");
    auto enc = sopskit(std::string("--disable-version-check --verbose encrypt -a age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --pgp ") +
                       kFp + " -i k.yaml");
    ASSERT_EQ(enc.exit_code, 0) << enc.err;
    EXPECT_NE(read_file(dir_ / "k.yaml").find("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"), std::string::npos);
    auto dup = sopskit("decrypt --decryption-order pgp,age,pgp k.yaml");
    EXPECT_EQ(dup.exit_code, 112);
    EXPECT_NE(dup.err.find("Duplicate decryption key type: pgp"), std::string::npos) << dup.err;
    auto unknown = sopskit("decrypt --verbose --decryption-order nosuchkind,pgp k.yaml");
    EXPECT_EQ(unknown.exit_code, 0) << unknown.err;  // sops ignores a kind it does not know
    EXPECT_EQ(unknown.out, "a: b\n");
}

// `sops FILE` edits; a failing editor is 201; keys added to a missing file is 49.
TEST_F(SopsParity, LegacyEditModeEditorFailureAndKeyChangeOnMissingFile) {
    write_file(dir_ / "e.yaml", "a: b\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " e.yaml").exit_code, 0);
    write_file(dir_ / "ed.sh", "#!/bin/sh\nprintf 'c: d\\n' >> \"$1\"\n");
    fs::permissions(dir_ / "ed.sh", fs::perms::owner_all);
    auto edit = run("cd '" + dir_.string() + "' && " + env() + "EDITOR='" + (dir_ / "ed.sh").string() + "' '" +
                    sopskit::test::cli_path() + "' e.yaml");
    ASSERT_EQ(edit.exit_code, 0) << edit.err;
    EXPECT_EQ(sopskit("decrypt e.yaml").out, "a: b\nc: d\n");

    std::string before = read_file(dir_ / "e.yaml");
    auto failing = run("cd '" + dir_.string() + "' && " + env() + "EDITOR=false '" + sopskit::test::cli_path() + "' edit e.yaml");
    EXPECT_EQ(failing.exit_code, 201);
    EXPECT_NE(failing.err.find("Could not run editor: exit status 1"), std::string::npos) << failing.err;
    EXPECT_EQ(read_file(dir_ / "e.yaml"), before);

    auto add = sopskit("rotate --add-pgp " + std::string(kFp) + " missing.yaml");
    EXPECT_EQ(add.exit_code, 49);
    EXPECT_NE(add.err.find("Error: cannot add or remove keys on non-existent file \"" + (dir_ / "missing.yaml").string() + "\""),
              std::string::npos) << add.err;
}

// groups add/delete take -f, and each key flag repeated (one key per --pgp, as sops' slices).
TEST_F(SopsParity, GroupsTakeShortFileFlagAndRepeatedKeyFlags) {
    write_file(dir_ / "g.yaml", "a: b\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " g.yaml").exit_code, 0);
    auto add = sopskit(std::string("groups add -i -f g.yaml --pgp ") + kFp + " --pgp D7229043384BCC60326C6FB9D8720D957C3D3074 "
                       "--age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --shamir-secret-sharing-threshold 2");
    ASSERT_EQ(add.exit_code, 0) << add.err;
    std::string enc = read_file(dir_ / "g.yaml");
    EXPECT_NE(enc.find("D7229043384BCC60326C6FB9D8720D957C3D3074"), std::string::npos) << enc;
    EXPECT_NE(enc.find("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"), std::string::npos);
    EXPECT_EQ(sopskit("decrypt g.yaml").out, "a: b\n");
    auto del = sopskit("groups delete -i -f g.yaml 1");
    ASSERT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(read_file(dir_ / "g.yaml").find("D7229043384BCC60326C6FB9D8720D957C3D3074"), std::string::npos);
    EXPECT_EQ(sopskit("decrypt g.yaml").out, "a: b\n");
}

// exec-env as sops: --pristine, --same-process, --background, and nested values refused.
TEST_F(SopsParity, ExecEnvFlags) {
    write_file(dir_ / "x.yaml", "foo: bar\nn: 3\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " x.yaml").exit_code, 0);
    auto normal = sopskit("exec-env x.yaml 'echo \"$foo $n [$HOME]\"'");
    ASSERT_EQ(normal.exit_code, 0) << normal.err;
    EXPECT_EQ(normal.out, "bar 3 [" + dir_.string() + "]\n");
    auto pristine = sopskit("exec-env --pristine x.yaml 'echo \"$foo [$HOME]\"'");
    EXPECT_EQ(pristine.out, "bar []\n") << pristine.err;
    auto same = sopskit("exec-env --same-process x.yaml 'echo \"$foo\"; exit 7'");
    EXPECT_EQ(same.exit_code, 7);
    EXPECT_EQ(same.out, "bar\n");
    auto both = sopskit("exec-env --same-process --background x.yaml true");
    EXPECT_EQ(both.exit_code, 8);
    auto bg = sopskit("exec-env --background x.yaml 'sleep 0.3; echo \"$foo\" > bg.txt'");
    EXPECT_EQ(bg.exit_code, 0);
    for (int i = 0; i < 100 && !fs::exists(dir_ / "bg.txt"); ++i) usleep(50000);
    usleep(50000);
    EXPECT_EQ(read_file(dir_ / "bg.txt"), "bar\n");

    write_file(dir_ / "nested.yaml", "top: v\nmap:\n  k: v\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " nested.yaml").exit_code, 0);
    auto nested = sopskit("exec-env nested.yaml 'echo ran'");
    EXPECT_EQ(nested.exit_code, 1);
    EXPECT_EQ(nested.out, "");
    EXPECT_NE(nested.err.find("cannot use complex value in environment; offending key map"), std::string::npos) << nested.err;
}

// sops' set and unset take --shamir-secret-sharing-threshold (the file's groups are kept).
TEST_F(SopsParity, SetAndUnsetTakeShamirThreshold) {
    write_file(dir_ / "t.yaml", "a: 1\nb: 2\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " t.yaml").exit_code, 0);
    auto set = sopskit("set --shamir-secret-sharing-threshold 1 t.yaml '[\"a\"]' '\"x\"'");
    ASSERT_EQ(set.exit_code, 0) << set.err;
    auto unset = sopskit("unset --shamir-secret-sharing-threshold 1 t.yaml '[\"b\"]'");
    ASSERT_EQ(unset.exit_code, 0) << unset.err;
    EXPECT_EQ(sopskit("decrypt t.yaml").out, "a: x\n");
}

// sops' YAML store refuses a key written twice; an input with no document is 92.
TEST_F(SopsParity, YamlDuplicateKeysAndEmptyInput) {
    write_file(dir_ / "d.yaml", "a: 1\nb:\n  c: 1\n  c: 2\n");
    auto dup = sopskit(std::string("encrypt --pgp ") + kFp + " d.yaml");
    EXPECT_EQ(dup.exit_code, 2);
    EXPECT_EQ(dup.out, "");
    EXPECT_NE(dup.err.find("line 4: mapping key \"c\" already defined at line 3"), std::string::npos) << dup.err;
    write_file(dir_ / "ok.yaml", "a:\n  c: 1\nb:\n  c: 2\n");  // the same key in two mappings is fine
    EXPECT_EQ(sopskit(std::string("encrypt --pgp ") + kFp + " ok.yaml").exit_code, 0);

    write_file(dir_ / "e.yaml", "");
    auto empty = sopskit(std::string("encrypt --pgp ") + kFp + " e.yaml");
    EXPECT_EQ(empty.exit_code, 92);
    EXPECT_NE(empty.err.find("File cannot be completely empty, it must contain at least one document"), std::string::npos) << empty.err;
}

// sops' rotate writes in --output-type, to standard output and with -i into the file itself.
TEST_F(SopsParity, RotateWritesTheOutputType) {
    write_file(dir_ / "r.yaml", "a: b\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " r.yaml").exit_code, 0);
    auto out = sopskit("rotate --output-type json r.yaml");
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out.rfind("{\n\t\"a\": \"ENC[", 0), 0u) << out.out;
    write_file(dir_ / "r.json", out.out);
    EXPECT_EQ(sopskit("decrypt r.json").out, "{\n\t\"a\": \"b\"\n}\n");
    EXPECT_EQ(read_file(dir_ / "r.yaml").rfind("a: ENC[", 0), 0u);  // without -i the file stays

    auto in_place = sopskit("rotate -i --output-type json r.yaml");
    ASSERT_EQ(in_place.exit_code, 0) << in_place.err;
    EXPECT_EQ(read_file(dir_ / "r.yaml").rfind("{\n\t\"a\": \"ENC[", 0), 0u);
    EXPECT_EQ(sopskit("decrypt --input-type json r.yaml").out, "a: b\n");
}

// -s/--show-master-keys (legacy edit mode and `edit`): the editor sees the metadata; edited
// values are kept, edited metadata is not (the file keeps its keys), with a warning.
TEST_F(SopsParity, ShowMasterKeysInTheEditor) {
    write_file(dir_ / "s.yaml", "a: b\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " s.yaml").exit_code, 0);
    write_file(dir_ / "ed.sh", "#!/bin/sh\ncp \"$1\" \"$SEEN\"\nsed -i 's/^a: b$/a: c/; s/unencrypted_suffix: _unencrypted/unencrypted_suffix: _x/' \"$1\"\n");
    fs::permissions(dir_ / "ed.sh", fs::perms::owner_all);
    fs::create_directories(dir_ / "tmp");
    auto edit = [&](const std::string& args, const std::string& seen) {
        return run("cd '" + dir_.string() + "' && " + env() + "TMPDIR='" + (dir_ / "tmp").string() + "' SEEN='" + seen +
                   "' EDITOR='" + (dir_ / "ed.sh").string() + "' '" + sopskit::test::cli_path() + "' " + args);
    };
    auto legacy = edit("-s s.yaml", "seen1");
    ASSERT_EQ(legacy.exit_code, 0) << legacy.err;
    std::string seen = read_file(dir_ / "seen1");
    EXPECT_EQ(seen.rfind("a: b\nsops:\n", 0), 0u) << seen;
    EXPECT_NE(seen.find(kFp), std::string::npos);
    EXPECT_NE(legacy.err.find("changes to the sops metadata are not applied"), std::string::npos) << legacy.err;
    std::string file = read_file(dir_ / "s.yaml");
    EXPECT_NE(file.find("unencrypted_suffix: _unencrypted"), std::string::npos) << file;
    EXPECT_EQ(sopskit("decrypt s.yaml").out, "a: c\n");

    write_file(dir_ / "ed.sh", "#!/bin/sh\ncp \"$1\" \"$SEEN\"\nsed -i 's/^a: c$/a: d/' \"$1\"\n");
    auto sub = edit("edit --show-master-keys s.yaml", "seen2");
    ASSERT_EQ(sub.exit_code, 0) << sub.err;
    EXPECT_EQ(sub.err, "");
    EXPECT_NE(read_file(dir_ / "seen2").find("sops:"), std::string::npos);
    EXPECT_EQ(sopskit("decrypt s.yaml").out, "a: d\n");
    // Outside edit mode sops ignores -s.
    EXPECT_EQ(sopskit("-d -s s.yaml").out, "a: d\n");
}

// exec-file --background returns at once; a child of sopskit feeds the command and removes the
// private folder when the command is done.
TEST_F(SopsParity, ExecFileBackground) {
    write_file(dir_ / "x.yaml", "foo: bar\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " x.yaml").exit_code, 0);
    fs::create_directories(dir_ / "tmp");
    for (const char* fifo : {"", "--no-fifo "}) {
        fs::remove(dir_ / "bg.txt");
        auto bg = run("cd '" + dir_.string() + "' && " + env() + "TMPDIR='" + (dir_ / "tmp").string() + "' '" +
                      sopskit::test::cli_path() + "' exec-file --background " + fifo +
                      "x.yaml 'echo unseen; sleep 1; cat {} > bg.part; mv bg.part bg.txt'");
        EXPECT_EQ(bg.exit_code, 0) << bg.err;
        EXPECT_FALSE(fs::exists(dir_ / "bg.txt")) << "returned only after the command";
        for (int i = 0; i < 200 && !fs::exists(dir_ / "bg.txt"); ++i) usleep(50000);
        EXPECT_EQ(read_file(dir_ / "bg.txt"), "foo: bar\n") << fifo;
        // The private folder goes once the command has ended.
        for (int i = 0; i < 200 && !fs::is_empty(dir_ / "tmp"); ++i) usleep(50000);
        EXPECT_TRUE(fs::is_empty(dir_ / "tmp")) << fifo;
        EXPECT_EQ(bg.out, "");  // the command's output goes nowhere, as in sops
    }
}

// exec-file --user: sopskit decrypts as the caller, then becomes the user (sops' SwitchUser),
// so the command runs as the user with its HOME, USER and LOGNAME.
TEST_F(SopsParity, ExecFileUser) {
    write_file(dir_ / "x.yaml", "foo: bar\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " x.yaml").exit_code, 0);
    struct passwd* pw = ::getpwnam("nobody");
    if (!pw) GTEST_SKIP() << "no user 'nobody'";
    std::string uid = std::to_string(pw->pw_uid), home = pw->pw_dir;
    // The user needs a TMPDIR of its own for the private folder: one inside the test folder.
    fs::create_directories(dir_ / "tmp");
    fs::permissions(dir_ / "tmp", fs::perms::all | fs::perms::sticky_bit);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    auto r = run("cd '" + dir_.string() + "' && " + env() + "TMPDIR='" + (dir_ / "tmp").string() + "' '" + sopskit::test::cli_path() +
                 "' exec-file --user nobody x.yaml 'id -u; echo \"$HOME $USER\"; cat {}'");
    if (::geteuid() != 0) {
        EXPECT_EQ(r.exit_code, 1);  // only root can switch users, in sops too
        EXPECT_EQ(r.out, "");
        return;
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, uid + "\n" + home + " nobody\nfoo: bar\n");
}

// stores.json_binary.indent applies to the JSON envelope of an encrypted binary file, apart
// from stores.json.indent; --indent sets both.
TEST_F(SopsParity, JsonBinaryStoreIndent) {
    write_file(dir_ / ".sops.yaml", std::string("creation_rules:\n  - pgp: ") + kFp +
                                        "\nstores:\n  json:\n    indent: 5\n  json_binary:\n    indent: 2\n");
    write_file(dir_ / "b.bin", "raw bytes\n");
    auto e = sopskit("encrypt b.bin");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out.rfind("{\n  \"data\": \"ENC[", 0), 0u) << e.out;
    write_file(dir_ / "b.enc", e.out);
    EXPECT_EQ(sopskit("decrypt b.enc").out, "raw bytes\n");
    auto flag = sopskit("--indent 3 rotate b.enc");
    EXPECT_EQ(flag.out.rfind("{\n   \"data\": \"ENC[", 0), 0u) << flag.out;
}

// sops' INI store emits an extracted list with Go's json.Marshal: compact, a mapping inside as
// its Key/Value items.
TEST_F(SopsParity, IniExtractOfAListIsCompactJson) {
    write_file(dir_ / "l.yaml", "l:\n  - a<b\n  - 1\n  - true\n  - k: v\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " l.yaml").exit_code, 0);
    auto x = sopskit("decrypt --output-type ini --extract '[\"l\"]' l.yaml");
    ASSERT_EQ(x.exit_code, 0) << x.err;
    EXPECT_EQ(x.out, "[\"a\\u003cb\",1,true,[{\"Key\":\"k\",\"Value\":\"v\"}]]");
    auto json = sopskit("decrypt --output-type json --extract '[\"l\"]' l.yaml");
    EXPECT_EQ(json.out.rfind("[\n\t\"a\\u003cb\",", 0), 0u) << json.out;
}

// sops' key-service flags and --check-for-updates are taken. The local key service comes first
// (as sops), so a remote one that is down does not matter when this machine has the key; with
// the local one off, the key services' errors are the report.
TEST_F(SopsParity, KeyServiceFlagsAndCheckForUpdates) {
    write_file(dir_ / "k.yaml", "a: b\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " k.yaml").exit_code, 0);
    for (const char* args : {"--check-for-updates -d k.yaml", "--enable-local-keyservice decrypt k.yaml",
                             "decrypt --enable-local-keyservice k.yaml", "exec-env --enable-local-keyservice k.yaml 'echo \"a: $a\"'",
                             "decrypt --keyservice tcp://127.0.0.1:1 k.yaml", "--keyservice unix:///x.sock -d k.yaml"}) {
        auto r = sopskit(args);
        EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
        EXPECT_EQ(r.out, "a: b\n") << args;
    }
    for (const char* args : {"decrypt --enable-local-keyservice=false k.yaml",
                             "decrypt --enable-local-keyservice=false --keyservice unix:///nonexistent/x.sock k.yaml"}) {
        auto r = sopskit(args);
        EXPECT_EQ(r.exit_code, 128) << args;
        EXPECT_EQ(r.out, "") << args;
        EXPECT_NE(r.err.find("Failed to get the data key"), std::string::npos) << args << ": " << r.err;
    }
    EXPECT_NE(sopskit("decrypt --enable-local-keyservice=false k.yaml").err.find("no key service to ask"), std::string::npos);
    EXPECT_NE(sopskit("decrypt --enable-local-keyservice=false --keyservice unix:///nonexistent/x.sock k.yaml").err.find("code = Unavailable"),
              std::string::npos);
}
