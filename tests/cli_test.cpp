// The sopskit command as a sops user drives it: -e/-d/-i, subcommands, exit codes, errors.
#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

const char* kFp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

const char* kSecret =
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata:\n"
    "    name: dev-team-auth\n"
    "    namespace: apps\n"
    "stringData:\n"
    "    username: git\n"
    "    password: s3cr3t-hunter2\n";

// A temporary GNUPGHOME holding upstream's test key; the CLI finds it like gpg would.
class CliTest : public sopskit::test::UpstreamGpgTest {
protected:
    std::string env() const { return "GNUPGHOME='" + home_.string() + "' SOPS_AGE_KEY_FILE=/nonexistent "; }
    sopskit::test::RunResult sopskit(const std::string& args, const std::string& in = "") {
        return run("cd '" + dir_.string() + "' && " + env() + "'" + sopskit::test::cli_path() + "' " + args, in);
    }
};

}  // namespace

TEST_F(CliTest, LegacyEncryptInPlaceThenDecrypt) {
    write_file(dir_ / "auth.yaml", kSecret);
    chmod((dir_ / "auth.yaml").c_str(), 0640);
    auto e = sopskit(std::string("--encrypt --encrypted-regex '^(data|stringData)$' --pgp ") + kFp + " --in-place auth.yaml");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, "");
    std::string enc = read_file(dir_ / "auth.yaml");
    EXPECT_EQ(enc.find("s3cr3t-hunter2"), std::string::npos);
    EXPECT_NE(enc.find("name: dev-team-auth"), std::string::npos);
    EXPECT_NE(enc.find("encrypted_regex: ^(data|stringData)$"), std::string::npos);
    struct stat st{};
    stat((dir_ / "auth.yaml").c_str(), &st);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << "in-place writes keep the file's mode";
    for (const auto& entry : fs::directory_iterator(dir_))
        EXPECT_EQ(entry.path().filename().string().find(".sopskit-"), std::string::npos) << "temp file left behind";

    auto d = sopskit("-d auth.yaml");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, kSecret);
    auto sub = sopskit("decrypt auth.yaml");
    EXPECT_EQ(sub.out, kSecret);
}

TEST_F(CliTest, EncryptingTwiceIsRefusedAndLeavesTheFile) {
    write_file(dir_ / "a.yaml", "k: v\n");
    ASSERT_EQ(sopskit(std::string("encrypt -i --pgp ") + kFp + " a.yaml").exit_code, 0);
    std::string before = read_file(dir_ / "a.yaml");
    auto again = sopskit(std::string("-e -i --pgp ") + kFp + " a.yaml");
    EXPECT_EQ(again.exit_code, 203);
    EXPECT_NE(again.err.find("a.yaml"), std::string::npos) << again.err;
    EXPECT_EQ(read_file(dir_ / "a.yaml"), before);
}

TEST_F(CliTest, UpstreamFilesDecryptInEveryStore) {
    // Upstream ships the decrypted tree of some fixtures (<file>.expected.json): compare whole trees.
    for (const char* f : {"example.yaml", "example.json", "example.txt", "functional-tests/res/format.enc.yaml",
                          "functional-tests/res/format.enc.json"}) {
        SCOPED_TRACE(f);
        fs::path file = conformance_ / "sops" / f;
        auto r = run(env() + "'" + sopskit::test::cli_path() + "' -d --output-type json '" + file.string() + "'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(read_file(file.string() + ".expected.json")));
    }
    for (const char* f : {"example.ini", "functional-tests/res/format.enc.env"}) {
        SCOPED_TRACE(f);
        auto r = run(env() + "'" + sopskit::test::cli_path() + "' -d '" + (conformance_ / "sops" / f).string() + "'");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out.find("ENC["), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find("sops_"), std::string::npos) << "no metadata in the output: " << r.out;
        EXPECT_EQ(r.out.find("[sops]"), std::string::npos) << "no metadata in the output: " << r.out;
        EXPECT_FALSE(r.out.empty());
    }
    auto r = run(env() + "'" + sopskit::test::cli_path() + "' -d --extract '[\"app2\"][\"db\"][\"password\"]' '" +
                 (conformance_ / "sops/example.yaml").string() + "'");
    EXPECT_EQ(r.out, "c4r1b0u");
}

TEST_F(CliTest, TamperingGivesSopsExitCodes) {
    write_file(dir_ / "s.yaml", "a: first\nb: second\nplain_unencrypted: x\n");
    ASSERT_EQ(sopskit(std::string("-e -i --pgp ") + kFp + " s.yaml").exit_code, 0);
    std::string enc = read_file(dir_ / "s.yaml");
    auto value_of = [&](const std::string& key) {
        auto p = enc.find(key + ": ENC[");
        return enc.substr(p + key.size() + 2, enc.find('\n', p) - p - key.size() - 2);
    };
    auto decrypt_variant = [&](const std::string& content) {
        write_file(dir_ / "t.yaml", content);
        return sopskit("-d t.yaml");
    };
    // A changed ciphertext byte.
    std::string changed = enc;
    auto pos = changed.find("data:", changed.find("a: ENC[")) + 5;
    changed[pos] = changed[pos] == 'A' ? 'B' : 'A';
    EXPECT_EQ(decrypt_variant(changed).exit_code, 25);
    // Two values swapped between keys: the additional data no longer matches.
    std::string swapped = enc;
    std::string va = value_of("a"), vb = value_of("b");
    swapped.replace(swapped.find(va), va.size(), "@@A@@");
    swapped.replace(swapped.find(vb), vb.size(), va);
    swapped.replace(swapped.find("@@A@@"), 5, vb);
    EXPECT_EQ(decrypt_variant(swapped).exit_code, 25);
    // A truncated envelope.
    std::string truncated = enc;
    truncated.replace(truncated.find(va), va.size(), va.substr(0, va.size() / 2));
    EXPECT_EQ(decrypt_variant(truncated).exit_code, 25);
    // A changed readable value: only the MAC catches it.
    std::string plain_changed = enc;
    plain_changed.replace(plain_changed.find("plain_unencrypted: x"), 20, "plain_unencrypted: y");
    auto mac = decrypt_variant(plain_changed);
    EXPECT_EQ(mac.exit_code, 51);
    EXPECT_EQ(sopskit("-d --ignore-mac t.yaml").exit_code, 0);
    // A changed MAC.
    std::string mac_changed = enc;
    auto mp = mac_changed.find("data:", mac_changed.find("mac: ENC[")) + 5;
    mac_changed[mp] = mac_changed[mp] == 'A' ? 'B' : 'A';
    EXPECT_EQ(decrypt_variant(mac_changed).exit_code, 51);
    // Errors are one line, name the file and leak nothing.
    auto err = decrypt_variant(changed);
    EXPECT_EQ(std::count(err.err.begin(), err.err.end(), '\n'), 1) << err.err;
    EXPECT_NE(err.err.find("t.yaml"), std::string::npos);
    EXPECT_EQ(err.err.find("first"), std::string::npos);
}

TEST_F(CliTest, NoKeyAndBadInputErrors) {
    write_file(dir_ / "x.yaml", "a: b\n");
    auto nokey = sopskit("-e x.yaml");
    EXPECT_EQ(nokey.exit_code, 1) << nokey.err;  // sops: no key flag and no config is a plain error
    auto missing = sopskit("-d does-not-exist.yaml");
    EXPECT_EQ(missing.exit_code, 100);  // sops' "cannot operate on non-existent file"
    EXPECT_NE(missing.err.find("does-not-exist.yaml"), std::string::npos);
    auto plain = sopskit("-d x.yaml");
    EXPECT_EQ(plain.exit_code, 1) << plain.err;  // sops: LoadEncryptedFile's error as is
    EXPECT_NE(plain.err.find("x.yaml: sops metadata not found"), std::string::npos) << plain.err;
    // No usable key: the data key cannot be retrieved (128), each key is listed.
    auto r = run("GNUPGHOME='" + (dir_ / "empty").string() + "' SOPS_AGE_KEY_FILE=/nonexistent '" + sopskit::test::cli_path() +
                 "' -d '" + (conformance_ / "sops/example.yaml").string() + "'");
    EXPECT_EQ(r.exit_code, 128) << r.err;
    EXPECT_NE(r.err.find(kFp), std::string::npos);
}

TEST_F(CliTest, ReadsStandardInputAndWritesOutputFile) {
    auto e = sopskit(std::string("encrypt --input-type yaml --pgp ") + kFp + " --output out.yaml -", kSecret);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    auto d = sopskit("decrypt --input-type yaml", read_file(dir_ / "out.yaml"));
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, kSecret);
    auto json = sopskit("decrypt --output-type json out.yaml");
    EXPECT_NE(json.out.find("\"password\": \"s3cr3t-hunter2\""), std::string::npos) << json.out;
}

TEST_F(CliTest, SopsGpgExecNamesTheGpgProgram) {
    // A wrapper that records each run and hands over to the real gpg.
    fs::path wrapper = dir_ / "my-gpg";
    write_file(wrapper, "#!/bin/sh\necho \"$@\" >> '" + (dir_ / "my-gpg.log").string() + "'\nexec gpg \"$@\"\n");
    fs::permissions(wrapper, fs::perms::owner_all);
    write_file(dir_ / "plain.yaml", kSecret);
    auto e = sopskit(std::string("encrypt --pgp ") + kFp + " plain.yaml > enc.yaml", "");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_FALSE(fs::exists(dir_ / "my-gpg.log"));
    auto d = run("cd '" + dir_.string() + "' && " + env() + "SOPS_GPG_EXEC='" + wrapper.string() + "' '" + sopskit::test::cli_path() +
                 "' decrypt enc.yaml");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, kSecret);
    EXPECT_NE(read_file(dir_ / "my-gpg.log").find("--decrypt"), std::string::npos) << read_file(dir_ / "my-gpg.log");
    // A name is looked up on PATH, as sops does; one that is nowhere is an error naming it.
    auto bare = run("cd '" + dir_.string() + "' && PATH='" + dir_.string() + ":/usr/bin:/bin' " + env() + "SOPS_GPG_EXEC=my-gpg '" +
                    sopskit::test::cli_path() + "' decrypt enc.yaml");
    ASSERT_EQ(bare.exit_code, 0) << bare.err;
    auto missing = run("cd '" + dir_.string() + "' && " + env() + "SOPS_GPG_EXEC=no-such-gpg '" + sopskit::test::cli_path() +
                       "' decrypt enc.yaml");
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("no-such-gpg"), std::string::npos) << missing.err;
}
