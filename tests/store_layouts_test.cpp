// Dotenv, binary and INI files byte for byte as sops 3.13.2 writes them.
// testdata/store-layouts/generate.py lays them out from sops' store code (dotenv store,
// flatten.go, the JSON store under BinaryStore with Go's json escaping, go-ini's writer under
// the INI store) with Python's AES-GCM, over contents taken from upstream's fixtures; it needs
// none of sopskit. Here sopskit decrypts each .enc to the .plain bytes, and encrypts the .plain
// with the same data key, the IVs found in the .enc (so the ciphertexts can match) and the same
// metadata, to exactly the .enc bytes.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "sopskit/cipher.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/format.hpp"
#include "sopskit/metadata.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::read_file;

namespace {

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

void expect_sops_bytes(Format f, const std::string& name) {
    fs::path dir = fs::path(SOPSKIT_SOURCE_DIR) / "testdata/store-layouts";
    auto layout = nlohmann::json::parse(read_file(dir / "layout.json"));
    const std::string plain = read_file(dir / (name + ".plain")), expected = read_file(dir / (name + ".enc"));
    ValueCipher cipher(SecureBytes::from(from_hex(layout["data_key"].get<std::string>())));
    CryptRules rules;
    rules.unencrypted_suffix = kDefaultUnencryptedSuffix;

    // Decrypting: every value opens with its path (the IVs are kept for the way back), the MAC
    // matches, and the plaintext is written exactly as sops writes it.
    SplitFile want = load_encrypted(f, expected);
    IvStash ivs;
    std::string mac = decrypt_branches(want.branches, rules, cipher, &ivs);
    Metadata read = parse_metadata(want.metadata);
    EXPECT_NO_THROW(verify_mac(read.mac, read.last_modified, mac, cipher));
    EXPECT_EQ(emit_plain(f, want.branches), plain);

    // Encrypting the plaintext with the same key, IVs and metadata gives the same bytes.
    Branches docs = load_plain(f, plain);
    EXPECT_EQ(encrypt_branches(docs, rules, cipher, &ivs), mac);
    Metadata md;
    StoredKey age{"age", Value::empty_map()};
    age.set_field("recipient", Value::string(layout["recipient"].get<std::string>()));
    age.set_field("enc", Value::string(layout["age_enc"].get<std::string>()));
    md.key_groups = {{age}};
    md.last_modified = layout["lastmodified"].get<std::string>();
    md.mac = cipher.encrypt(Value::string(mac), md.last_modified, *detail::base64_decode(layout["mac_iv"].get<std::string>()));
    md.rules = rules;
    md.version = kSopsFormatVersion;
    EXPECT_EQ(emit_encrypted(f, docs, serialize_metadata(md)), expected);
}

}  // namespace

TEST(StoreLayouts, DotenvIsWrittenAsSopsWritesIt) { expect_sops_bytes(Format::Dotenv, "dotenv"); }

TEST(StoreLayouts, BinaryIsWrittenAsSopsWritesIt) { expect_sops_bytes(Format::Binary, "binary"); }

TEST(StoreLayouts, IniIsWrittenAsSopsWritesIt) { expect_sops_bytes(Format::Ini, "ini"); }
