// The value envelope, the encryption rules and the MAC.
#include <re2/re2.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>
#include <set>

#include "core/base64.hpp"
#include "sopskit/cipher.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {
SecureBytes fixed_key() {
    std::string k(32, '\0');
    for (int i = 0; i < 32; ++i) k[i] = static_cast<char>(i);
    return SecureBytes::from(k);
}
}  // namespace

TEST(Envelope, EveryTypeRoundTrips) {
    SecureBytes key = fixed_key();
    ValueCipher c(key);
    for (const Value& v : {Value::string("héllo"), Value::integer_value(-42), Value::float_value(1.5),
                           Value::bool_value(true), Value::bool_value(false), Value::time("2024-01-15T00:00:00Z"),
                           Value::comment(" a comment")}) {
        std::string env = c.encrypt(v, "a:b:");
        EXPECT_EQ(env.rfind("ENC[AES256_GCM,data:", 0), 0u);
        EXPECT_TRUE(c.decrypt(env, "a:b:") == v) << env;
    }
}

// IVs come from a per-thread pool: a forked child must not hand out the IVs its parent will.
TEST(Envelope, AForkedChildNeverReusesItsParentsPooledIvs) {
    ValueCipher cipher(SecureBytes::random(32));
    cipher.encrypt(Value::string("fills the pool"), "a:");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string iv = ValueCipher::envelope_iv(cipher.encrypt(Value::string("x"), "a:"));
        _exit(write(fds[1], iv.data(), iv.size()) == static_cast<ssize_t>(iv.size()) ? 0 : 1);
    }
    close(fds[1]);
    std::string child_iv(32, '\0');
    ASSERT_EQ(read(fds[0], child_iv.data(), child_iv.size()), 32);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::string parent_iv = ValueCipher::envelope_iv(cipher.encrypt(Value::string("x"), "a:"));
    EXPECT_EQ(parent_iv.size(), 32u);
    EXPECT_NE(child_iv, parent_iv);
}

// One cipher serves a whole file; the controller and batch commands share it across threads.
TEST(Envelope, OneCipherEncryptsAndDecryptsOnSeveralThreadsAtOnce) {
    SecureBytes key = fixed_key();
    ValueCipher c(key);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                Value v = Value::string("value-" + std::to_string(t) + "-" + std::to_string(i));
                std::string aad = "k" + std::to_string(t) + ":";
                try {
                    if (!(c.decrypt(c.encrypt(v, aad), aad) == v)) ++wrong;
                } catch (const Error&) {
                    ++wrong;
                }
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST(Envelope, TypesAndBytesAreSops) {
    EXPECT_EQ(value_bytes(Value::bool_value(true)), "True");
    EXPECT_EQ(value_bytes(Value::bool_value(false)), "False");
    EXPECT_EQ(value_bytes(Value::float_value(1.0)), "1");
    EXPECT_EQ(value_bytes(Value::float_value(1234568000.0)), "1234568000");
    EXPECT_EQ(value_bytes(Value::float_value(0.1)), "0.1");
    EXPECT_EQ(value_bytes(Value::integer_value(7)), "7");
    ValueCipher c(fixed_key());
    std::string env = c.encrypt(Value::float_value(2.5), "x:");
    EXPECT_NE(env.find(",type:float]"), std::string::npos);
    EXPECT_EQ(ValueCipher::envelope_iv(env).size(), 32u) << "sops uses 32-byte IVs";
}

// The envelope is split by a hand-written fast path; odd shapes must still be read exactly as
// sops' RE2 pattern reads them (greedy groups, anything after the first "]" line ignored).
TEST(Envelope, OddShapesAreSplitAsSopsPatternDoes) {
    static const RE2 pattern(R"(^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\])");
    const std::string iv = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    for (const std::string& s : {
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:str]",
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:str] trailing",
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:str]]",
             "ENC[AES256_GCM,data:QUJD,iv:QUJD,iv:" + iv + ",tag:QUJD,type:str]",
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:str]\nnext line",
             "ENC[AES256_GCM,data:Q\xc3\xa9,iv:" + iv + ",tag:QUJD,type:str]",
             "ENC[AES256_GCM,data:,iv:" + iv + ",tag:QUJD,type:str]",
             "ENC[AES256_GCM,data:QUJD,tag:QUJD,iv:" + iv + ",type:str]",
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:]",
             "xENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:str]",
             // The one-pass splitter: a separator twice, or inside another group, or out of order.
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,tag:QUJD,type:str]",
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:str,type:int]",
             "ENC[AES256_GCM,data:QUJD,type:str,iv:" + iv + ",tag:QUJD]",
             std::string("ENC[AES256_GCM,data:QUJD,iv:,tag:QUJD,type:str]"),
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:,type:str]",
             "ENC[AES256_GCM,data:QUJD,iv:" + iv + ",tag:QUJD,type:s,tr]",
             "ENC[AES256_GCM,data:QU,JD,iv:" + iv + ",tag:QUJD,type:str]",
         }) {
        std::string re_iv;
        bool matches = RE2::PartialMatch(s, pattern, nullptr, &re_iv);
        EXPECT_EQ(ValueCipher::is_envelope(s), matches) << s;
        if (matches) EXPECT_EQ(ValueCipher::envelope_iv(s), detail::base64_decode(re_iv).value_or("")) << s;
    }
}

// IVs come from the CSPRNG in batches: across several batches every value still gets its own.
TEST(Envelope, FreshIvsNeverRepeatAcrossBatches) {
    ValueCipher c(fixed_key());
    std::set<std::string> ivs;
    for (int i = 0; i < 1000; ++i) ivs.insert(ValueCipher::envelope_iv(c.encrypt(Value::string("same"), "a:")));
    EXPECT_EQ(ivs.size(), 1000u);
    EXPECT_EQ(ivs.count(std::string(32, '\0')), 0u);
    // A given IV is used as given, between fresh ones.
    std::string fixed(32, 'i');
    EXPECT_EQ(ValueCipher::envelope_iv(c.encrypt(Value::string("x"), "a:", fixed)), fixed);
    EXPECT_NE(ValueCipher::envelope_iv(c.encrypt(Value::string("x"), "a:")), fixed);
}

TEST(Envelope, EmptyStringsStayEmpty) {
    ValueCipher c(fixed_key());
    EXPECT_EQ(c.encrypt(Value::string(""), "a:"), "");
    EXPECT_EQ(c.decrypt("", "a:").text, "");
}

TEST(Envelope, WrongPathOrTamperingFails) {
    ValueCipher c(fixed_key());
    std::string env = c.encrypt(Value::string("secret"), "a:");
    EXPECT_THROW(c.decrypt(env, "b:"), Error);
    std::string tampered = env;
    tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
    EXPECT_THROW(c.decrypt(tampered, "a:"), Error);
    EXPECT_THROW(c.decrypt(env.substr(0, env.size() / 2), "a:"), Error);
    EXPECT_THROW(c.decrypt("not an envelope", "a:"), Error);
}

TEST(Rules, EncryptedRegexLeavesSecretMetadataReadable) {
    Branches docs = load_plain(Format::Yaml,
                               "apiVersion: v1\nkind: Secret\nmetadata:\n    name: auth\nstringData:\n    password: hunter2\n");
    CryptRules rules;
    rules.encrypted_regex = "^(data|stringData)$";
    ValueCipher c(fixed_key());
    encrypt_branches(docs, rules, c);
    std::string out = emit_plain(Format::Yaml, docs);
    EXPECT_NE(out.find("apiVersion: v1"), std::string::npos);
    EXPECT_NE(out.find("kind: Secret"), std::string::npos);
    EXPECT_NE(out.find("name: auth"), std::string::npos);
    EXPECT_EQ(out.find("hunter2"), std::string::npos);
    EXPECT_NE(out.find("password: ENC[AES256_GCM"), std::string::npos);
}

TEST(Rules, ShouldEncryptFollowsSopsPrecedence) {
    auto decide = [](CryptRules r, std::vector<std::string_view> path) {
        return EncryptionPolicy(r).should_encrypt(path, {{}}, false);
    };
    CryptRules suffix;
    suffix.unencrypted_suffix = "_unencrypted";
    EXPECT_FALSE(decide(suffix, {"a_unencrypted", "b"}));
    EXPECT_TRUE(decide(suffix, {"a", "b"}));
    CryptRules enc_suffix;
    enc_suffix.encrypted_suffix = "_enc";
    EXPECT_TRUE(decide(enc_suffix, {"x_enc", "y"}));
    EXPECT_FALSE(decide(enc_suffix, {"x"}));
    CryptRules unenc_regex;
    unenc_regex.unencrypted_regex = "^meta";
    EXPECT_FALSE(decide(unenc_regex, {"metadata", "name"}));
    CryptRules enc_regex;
    enc_regex.encrypted_regex = "pass";  // unanchored, as Go's regexp.Match
    EXPECT_TRUE(decide(enc_regex, {"db", "password"}));
    EXPECT_FALSE(decide(enc_regex, {"db", "user"}));
}

// Expected digests computed with Python's hashlib, independently of sopskit:
//   SHA-512(b"ab1x") and SHA-512(SHA-256(b"sops") + b"b"), uppercase hex as sops writes them.
// sops' walk skips nulls (walkValue returns nil without calling onLeaves) and comments; list
// entries are hashed in order. mac_only_encrypted seeds the hash with
// MACOnlyEncryptedInitialization, which sops.go documents as `echo -n sops | sha256sum`.
TEST(Mac, IsSopsDigestOfTheValuesInOrder) {
    auto mac_of = [](const char* yaml, CryptRules r) {
        Branches docs = load_plain(Format::Yaml, yaml);
        ValueCipher c(fixed_key());
        return encrypt_branches(docs, r, c);
    };
    const char* doc = "plain: a\n# a comment\nsecret: b\nnothing: null\nlist: [1, x]\n";
    CryptRules r;
    r.encrypted_regex = "^secret$";
    EXPECT_EQ(mac_of(doc, r),
              "A55CF74293EAA228E10961FAD6F9D6BF2446A01D023CDF4DF045B1CDC2A6CD92"
              "65B6F92303115AA8944C435ECBE11489311C6BDA3224918E26D949310A60CB52");
    EXPECT_EQ(mac_of("plain: a\nsecret: b\nlist: [1, x]\n", r), mac_of(doc, r)) << "nulls and comments are not hashed";
    EXPECT_NE(mac_of("plain: CHANGED\nsecret: b\n", r), mac_of("plain: a\nsecret: b\n", r))
        << "unencrypted values are part of the MAC";
    r.mac_only_encrypted = true;
    EXPECT_EQ(mac_of(doc, r),
              "41BDD34252E6F8C52569A8B63DA54DF5EBD9E769D0CB59761893C642EE3C2AB1"
              "DAE7629280772B2EECE3BFA422FD2B655F6498D4225278DC98AA2B7B4879358B");
    EXPECT_EQ(mac_of("plain: CHANGED\nsecret: b\n", r), mac_of("plain: a\nsecret: b\n", r))
        << "with mac_only_encrypted plain values are not hashed";
}

TEST(Mac, VerifyIsStrict) {
    ValueCipher c(fixed_key());
    std::string mac = std::string(128, 'A');
    std::string env = encrypt_mac(mac, "2024-01-01T00:00:00Z", c);
    EXPECT_NO_THROW(verify_mac(env, "2024-01-01T00:00:00Z", mac, c));
    auto code_of = [&](auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::Generic;
    };
    EXPECT_EQ(code_of([&] { verify_mac(env, "2024-01-01T00:00:01Z", mac, c); }), ErrorCode::MacMismatch);
    EXPECT_EQ(code_of([&] { verify_mac(env, "2024-01-01T00:00:00Z", std::string(128, 'B'), c); }), ErrorCode::MacMismatch);
    EXPECT_EQ(code_of([&] { verify_mac("", "2024-01-01T00:00:00Z", mac, c); }), ErrorCode::MacMismatch);
}

// sops' shouldBeEncrypted for comments: encrypted_comment_regex encrypts the values after a
// matching comment (the matching comment line itself stays readable); unencrypted_comment_regex
// leaves them readable and encrypts everything else. Comments above a key count for it only.
TEST(Rules, CommentRegexesFollowSops) {
    auto encrypt = [](const char* yaml, CryptRules r) {
        Branches docs = load_plain(Format::Yaml, yaml);
        ValueCipher c(fixed_key());
        encrypt_branches(docs, r, c);
        return emit_plain(Format::Yaml, docs);
    };
    CryptRules enc;
    enc.encrypted_comment_regex = "sops:enc";
    std::string out = encrypt("a: one\n# sops:enc\nb: two\nc: three\n", enc);
    EXPECT_NE(out.find("a: one\n"), std::string::npos) << out;
    EXPECT_NE(out.find("# sops:enc\n"), std::string::npos) << "the marker comment stays readable: " << out;
    EXPECT_NE(out.find("b: ENC[AES256_GCM,"), std::string::npos) << out;
    EXPECT_NE(out.find("c: three\n"), std::string::npos) << "only the value right after the comment: " << out;

    CryptRules unenc;
    unenc.unencrypted_comment_regex = "sops:plain";
    out = encrypt("a: one\n# sops:plain\nb: two\nc: three\n", unenc);
    EXPECT_NE(out.find("a: ENC[AES256_GCM,"), std::string::npos) << out;
    EXPECT_NE(out.find("# sops:plain\n"), std::string::npos) << out;
    EXPECT_NE(out.find("b: two\n"), std::string::npos) << out;
    EXPECT_NE(out.find("c: ENC[AES256_GCM,"), std::string::npos) << out;

    // A comment that matches no rule is encrypted like a value (it is a leaf of the tree).
    out = encrypt("# other\nb: two\n", unenc);
    EXPECT_EQ(out.find("# other"), std::string::npos) << out;
    EXPECT_NE(out.find("#ENC[AES256_GCM,"), std::string::npos) << out;
}
