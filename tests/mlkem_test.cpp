// ML-KEM-768 (FIPS 203) against known answers from an independent implementation
// (@noble/post-quantum, testdata/mlkem/generate.mjs), plus the FIPS 203 input checks.
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "mlkem/mlkem768.hpp"
#include "sopskit/age_hybrid.hpp"
#include "sopskit/error.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {

std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

std::string hex(std::string_view b) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string sha3_256_hex(std::string_view data) {
    unsigned char d[32];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), d, &n, EVP_sha3_256(), nullptr);
    return hex(std::string_view(reinterpret_cast<char*>(d), n));
}

nlohmann::json kat() {
    return nlohmann::json::parse(test::read_file(std::string(SOPSKIT_SOURCE_DIR) + "/testdata/mlkem/kat.json"));
}

}  // namespace

TEST(MlKem768, MatchesNobleKnownAnswers) {
    auto vectors = kat()["mlkem768"];
    ASSERT_GE(vectors.size(), 16u);
    for (const auto& v : vectors) {
        SCOPED_TRACE(v["d"].get<std::string>());
        auto kp = mlkem::keygen_from_seed(unhex(v["d"]), unhex(v["z"]));
        EXPECT_EQ(sha3_256_hex(kp.encapsulation_key), v["ek_sha3_256"]);
        EXPECT_EQ(sha3_256_hex(kp.decapsulation_key.view()), v["dk_sha3_256"]);
        if (v.contains("ek")) {
            EXPECT_EQ(hex(kp.encapsulation_key), v["ek"]);
            EXPECT_EQ(hex(kp.decapsulation_key.view()), v["dk"]);
        }
        auto enc = mlkem::encapsulate_internal(kp.encapsulation_key, unhex(v["m"]));
        EXPECT_EQ(sha3_256_hex(enc.ciphertext), v["ct_sha3_256"]);
        if (v.contains("ct")) EXPECT_EQ(hex(enc.ciphertext), v["ct"]);
        EXPECT_EQ(hex(enc.shared_secret.view()), v["shared_secret"]);
        EXPECT_EQ(hex(mlkem::decapsulate(kp.decapsulation_key.view(), enc.ciphertext).view()), v["shared_secret"]);
        // A tampered ciphertext decapsulates to the implicit-rejection secret, never an error.
        std::string bad = enc.ciphertext;
        bad[v["tampered_ct_index"].get<std::size_t>()] ^= static_cast<char>(v["tampered_ct_xor"].get<int>());
        EXPECT_EQ(hex(mlkem::decapsulate(kp.decapsulation_key.view(), bad).view()), v["rejection_secret"]);
    }
}

TEST(MlKem768, XWingPublicKeyFromSeedMatchesNoble) {
    const auto vectors = kat()["xwing"];  // a copy: a range-for over a temporary's member would dangle
    for (const auto& v : vectors) {
        auto id = age::HybridIdentity::from_seed(SecureBytes::from(unhex(v["seed"])));
        EXPECT_EQ(id.public_key.size(), 1216u);
        EXPECT_EQ(sha3_256_hex(id.public_key), v["public_key_sha3_256"]);
    }
}

TEST(MlKem768, RandomKeysRoundTrip) {
    auto kp = mlkem::keygen();
    EXPECT_TRUE(mlkem::encapsulation_key_is_valid(kp.encapsulation_key));
    EXPECT_TRUE(mlkem::decapsulation_key_is_valid(kp.decapsulation_key.view()));
    auto a = mlkem::encapsulate(kp.encapsulation_key), b = mlkem::encapsulate(kp.encapsulation_key);
    EXPECT_NE(a.ciphertext, b.ciphertext);
    EXPECT_TRUE(mlkem::decapsulate(kp.decapsulation_key.view(), a.ciphertext).equals(a.shared_secret));
    EXPECT_TRUE(mlkem::decapsulate(kp.decapsulation_key.view(), b.ciphertext).equals(b.shared_secret));
}

// FIPS 203 7.2: an encapsulation key whose 12-bit coefficients reach q is refused.
TEST(MlKem768, EncapsulationKeyModulusCheck) {
    auto kp = mlkem::keygen();
    std::string ek = kp.encapsulation_key;
    auto set_first_coefficient = [&](std::string& key, unsigned value) {
        key[0] = static_cast<char>(value & 0xff);
        key[1] = static_cast<char>((key[1] & 0xf0) | (value >> 8));
    };
    std::string edge = ek;
    set_first_coefficient(edge, 3328);  // q - 1: still valid
    EXPECT_TRUE(mlkem::encapsulation_key_is_valid(edge));
    for (unsigned bad : {3329u, 4095u}) {
        std::string k = ek;
        set_first_coefficient(k, bad);
        EXPECT_FALSE(mlkem::encapsulation_key_is_valid(k)) << bad;
        EXPECT_THROW(mlkem::encapsulate(k), Error);
    }
    // The last coefficient of the third polynomial (just before rho).
    std::string last = ek;
    last[1151] = static_cast<char>(0xff);
    last[1150] = static_cast<char>(last[1150] | 0xf0);
    EXPECT_FALSE(mlkem::encapsulation_key_is_valid(last));
    EXPECT_FALSE(mlkem::encapsulation_key_is_valid(ek.substr(1)));
    EXPECT_FALSE(mlkem::encapsulation_key_is_valid(ek + "x"));
}

// FIPS 203 7.3: a decapsulation key whose embedded H(ek) does not match is refused.
TEST(MlKem768, DecapsulationKeyHashCheck) {
    auto kp = mlkem::keygen();
    auto enc = mlkem::encapsulate(kp.encapsulation_key);
    std::string dk(kp.decapsulation_key.view());
    for (std::size_t at : {std::size_t{1152 + 5}, std::size_t{2336 + 3}}) {  // inside ek, inside H(ek)
        std::string bad = dk;
        bad[at] ^= 1;
        EXPECT_FALSE(mlkem::decapsulation_key_is_valid(bad)) << at;
        EXPECT_THROW(mlkem::decapsulate(bad, enc.ciphertext), Error);
    }
    EXPECT_THROW(mlkem::decapsulate(dk.substr(1), enc.ciphertext), Error);
    EXPECT_THROW(mlkem::decapsulate(dk, enc.ciphertext.substr(1)), Error);
    wipe(dk);
}
