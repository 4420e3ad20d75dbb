// YAML merge keys (`<<`) as sops 3.13.2 handles them, read from its YAML store and go-yaml
// v3.0.4 (go.yaml.in/yaml/v3), which it uses:
// - the store walks yaml.Node trees: a `<<` key is decoded like any key (to the string "<<")
//   and its alias value is followed (nodeToTreeValue on node.Alias), so the tree keeps a key
//   named "<<" holding a copy of the anchored mapping; nothing is merged into the parent, the
//   anchor and alias are gone, and the copy's values are encrypted under "...:<<:key:";
// - on output, yaml.Node.Encode("<<") emits plain `<<`, parses it back as a !!merge node, and
//   the final encoder keeps that tag (resolve("", "<<") is !!str, not !!merge): every key or
//   string "<<" is written `!!merge <<` (go-yaml issue #1019);
// - LoadPlainFile first decodes the first document into a Go map to refuse duplicate keys; that
//   decoding applies merges and fails with "map merge requires map or sequence of maps as the
//   value" when a merge key (plain `<<`, or tagged !!merge) holds anything else.
#include <openssl/evp.h>
#include <re2/re2.h>

#include "sopskit/cipher.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {

std::string key_bytes() {
    std::string k(32, '\0');
    for (int i = 0; i < 32; ++i) k[i] = static_cast<char>(i + 1);
    return k;
}

std::string b64decode(const std::string& s) {
    std::string out(s.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    if (n < 0) return "<bad base64>";
    std::size_t pad = s.size() >= 2 && s[s.size() - 2] == '=' ? 2 : !s.empty() && s.back() == '=' ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

// Opens an envelope with OpenSSL directly (not sopskit's cipher): AES-256-GCM, 32-byte IV,
// the path as additional data. Empty when it does not authenticate.
std::string open_envelope(const std::string& data, const std::string& iv, const std::string& tag, const std::string& aad) {
    std::string key = key_bytes(), ct = b64decode(data), nonce = b64decode(iv), mac = b64decode(tag);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    std::string out(ct.size() + 16, '\0');
    int len = 0, fin = 0;
    bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                                 reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
              EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size())) == 1 &&
              EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                                reinterpret_cast<const unsigned char*>(ct.data()), static_cast<int>(ct.size())) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(mac.size()), mac.data()) == 1 &&
              EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + len, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) return {};
    out.resize(static_cast<std::size_t>(len + fin));
    return out;
}

const char* kDoc =
    "base: &base\n"
    "    user: admin\n"
    "    pass: secret\n"
    "child:\n"
    "    <<: *base\n"
    "    pass: other\n";

}  // namespace

TEST(YamlMergeKey, StaysAKeyHoldingACopyOfTheAnchorWrittenWithItsTag) {
    Branches docs = load_plain(Format::Yaml, kDoc);
    ValueCipher cipher(SecureBytes::from(key_bytes()));
    std::string mac = encrypt_branches(docs, CryptRules{}, cipher);
    // hashlib.sha512(b"admin" b"secret" b"admin" b"secret" b"other"): the copy under "<<" is
    // hashed in its place; a merged child (user, pass: other) would hash "adminsecretadminother".
    EXPECT_EQ(mac,
              "7F277232EBF61D9A35C357C544918FE8C84C93F73F4E95F5926BA65711582268"
              "AE3B711C257A67648D18C3FD63EEC821EA037439D0ABE42493518664A475A56C");
    std::string enc = emit_plain(Format::Yaml, docs);

    static const RE2 envelope(R"(ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:str\])");
    std::string shape = enc;
    RE2::GlobalReplace(&shape, envelope, "ENC");
    EXPECT_EQ(shape,
              "base:\n"
              "    user: ENC\n"
              "    pass: ENC\n"
              "child:\n"
              "    !!merge <<:\n"
              "        user: ENC\n"
              "        pass: ENC\n"
              "    pass: ENC\n");

    // Each value opens with its path (the "<<" key included) as additional data.
    const std::vector<std::pair<std::string, std::string>> want{
        {"base:user:", "admin"}, {"base:pass:", "secret"}, {"child:<<:user:", "admin"}, {"child:<<:pass:", "secret"}, {"child:pass:", "other"}};
    re2::StringPiece rest(enc);
    std::string data, iv, tag;
    for (const auto& [aad, plain] : want) {
        ASSERT_TRUE(RE2::FindAndConsume(&rest, envelope, &data, &iv, &tag)) << "missing the value at " << aad;
        EXPECT_EQ(open_envelope(data, iv, tag, aad), plain) << aad;
    }
    EXPECT_FALSE(RE2::FindAndConsume(&rest, envelope, &data, &iv, &tag)) << "no other value";

    // Decrypted, the tagged key stays; read again, `!!merge <<` is the same key.
    std::string dec_mac = decrypt_branches(docs, CryptRules{}, cipher);
    EXPECT_EQ(dec_mac, mac);
    const std::string plain_out =
        "base:\n    user: admin\n    pass: secret\nchild:\n    !!merge <<:\n        user: admin\n        pass: secret\n    pass: other\n";
    EXPECT_EQ(emit_plain(Format::Yaml, docs), plain_out);
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, plain_out)), plain_out);
}

TEST(YamlMergeKey, AnyKeyOrStringNamedSoIsTagged) {
    // A quoted "<<" is an ordinary string key for go-yaml's decoder; written back it is tagged
    // like a merge key. So is a string value "<<" (EmitValue too), which reads back as "<<".
    std::string out = emit_plain(Format::Yaml, load_plain(Format::Yaml, "'<<': {a: 1}\nx: \"<<\"\nl: [\"<<\"]\n"));
    EXPECT_EQ(out, "!!merge <<:\n    a: 1\nx: !!merge <<\nl:\n    - !!merge <<\n");
    EXPECT_EQ(emit_value(Format::Yaml, Value::string("<<")), "!!merge <<\n");
    std::string json = emit_plain(Format::Json, load_plain(Format::Yaml, out));
    // (Go's json.Marshal escapes '<' as \u003c.)
    EXPECT_EQ(json, R"({
	"\u003c\u003c": {
		"a": 1
	},
	"x": "\u003c\u003c",
	"l": [
		"\u003c\u003c"
	]
}
)");
}

TEST(YamlMergeKey, ValueOtherThanMapsIsRefusedInTheFirstDocument) {
    for (const char* bad : {"a: 1\n<<: 3\n", "s: &s 1\nt:\n    <<: *s\n", "<<: [1]\n", "b: &b {a: 1}\n<<: [*b, 2]\n", "<<:\n",
                            "!!merge <<: x\n", "! <<: x\n", "a:\n    - <<: [[]]\n"}) {
        try {
            load_plain(Format::Yaml, bad);
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("yaml: map merge requires map or sequence of maps as the value"), std::string::npos)
                << bad << ": " << e.what();
        }
    }
    for (const char* good : {"<<: {a: 1}\n", "b: &b {a: 1}\nc: &c {d: 2}\ne:\n    <<: [*b, *c]\n", "<<: []\n", "\"<<\": 3\n",
                             "!!str <<: 3\n", "a: 1\n---\n<<: 3\n"})
        EXPECT_NO_THROW(load_plain(Format::Yaml, good)) << good;
}

TEST(YamlMergeKey, CliRefusesABadMergeNamingTheFileAndLine) {
    auto dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "bad.yaml", "a: 1\n<<: 3\n");
    auto r = sopskit::test::run_argv({sopskit::test::cli_path(), "encrypt", "--age",
                                      "age1r6en7vq39wv2f8vrqa9qlt3zc9zxuvh82w6m9rgg4xx522kxwuwqcvfeww", "bad.yaml"},
                                     dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;  // sops' CouldNotReadInputFile
    EXPECT_NE(r.err.find("bad.yaml: Error unmarshalling file: yaml: map merge requires map or sequence of maps as the value"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
}
