// The keybox lookup and keygrips (lib/src/keys/openpgp/keybox.cpp, keygrip.cpp): the PKESK's
// key ID found in the test home's own pubring.kbx, and keygrips equal to the ones gpg lists
// for RSA, Curve25519 and NIST P-256/384/521 keys.
#include <functional>
#include <map>

#include "core/hex.hpp"
#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/keybox.hpp"
#include "keys/openpgp/keygrip.hpp"
#include "keys/openpgp/packets.hpp"
#include "openpgp_support.hpp"

namespace pgp = sopskit::detail::openpgp;
using sopskit::Error;
using sopskit::test::read_file;
using sopskit::test::run;

namespace {

std::string hex(const std::uint8_t* bytes, std::size_t size) {
    return sopskit::detail::hex_encode(bytes, size, sopskit::detail::HexCase::Upper);
}

class OpenpgpKeybox : public sopskit::test::OpenpgpGpgHome {
protected:
    // gpg's keygrip of every key in the home, by fingerprint.
    static std::map<std::string, std::string> gpg_keygrips() {
        auto r = run(gpg() + "--with-colons --with-keygrip --list-keys | awk -F: '/^fpr/ {f=$10} /^grp/ {print f, $10}'");
        std::map<std::string, std::string> grips;
        std::size_t at = 0;
        while (at + 82 <= r.out.size()) {
            grips[r.out.substr(at, 40)] = r.out.substr(at + 41, 40);
            at = r.out.find('\n', at) + 1;
        }
        return grips;
    }
    static std::string keybox() { return read_file(*home_ / "pubring.kbx"); }
    static std::array<std::uint8_t, 8> id_of(const std::string& fp) {
        std::string id = key_id(fp);
        std::array<std::uint8_t, 8> out{};
        std::copy(id.begin(), id.end(), out.begin());
        return out;
    }
};

}  // namespace

// Every key of the home whose keygrip sopskit computes has gpg's keygrip; the others (EdDSA
// primary keys) are Unsupported, never a wrong grip.
TEST_F(OpenpgpKeybox, KeygripsAreGpgs) {
    std::string g = gpg() + "--passphrase '' --pinentry-mode loopback ";
    if (gpg_keygrips().size() < 6) {  // once per home: NIST keys beside the suite's two
        ASSERT_EQ(run(g + "--quick-gen-key 'nist <nist@x>' nistp256 sign never").exit_code, 0);
        auto fpr = run(gpg() + "--with-colons --list-keys nist@x | awk -F: '/^fpr/ {print $10; exit}'");
        std::string fp = fpr.out.substr(0, 40);
        for (const char* curve : {"nistp256", "nistp384", "nistp521"})
            ASSERT_EQ(run(g + "--quick-add-key " + fp + " " + curve + " encr never").exit_code, 0) << curve;
    }
    std::map<std::string, std::string> grips = gpg_keygrips();
    std::string exported = run(gpg() + "--export").out;
    pgp::PacketReader reader(exported);
    int computed = 0, unsupported = 0;
    while (!reader.at_end()) {
        pgp::Packet p = reader.next();
        if (p.tag != 6 && p.tag != 14) continue;
        pgp::PublicKey key = pgp::read_public_key(p.body);
        std::string fp = hex(key.fingerprint.data(), 20);
        ASSERT_TRUE(grips.count(fp)) << fp;
        try {
            auto grip = pgp::keygrip(key);
            EXPECT_EQ(hex(grip.data(), 20), grips[fp]) << "algorithm " << int(key.algorithm) << ", curve OID of " << key.curve_oid.size() << " octets, " << fp;
            ++computed;
        } catch (const pgp::Unsupported&) {
            EXPECT_EQ(key.algorithm, pgp::kKeyEddsaLegacy);
            ++unsupported;
        }
    }
    EXPECT_EQ(computed, 6);  // RSA, Curve25519, ECDSA P-256, ECDH P-256, P-384, P-521
    EXPECT_EQ(unsupported, 2);
}

// The PKESK's key ID leads to the subkey gpg encrypted to, with the public parameters the
// session key needs (the same as gpg exports).
TEST_F(OpenpgpKeybox, FindsThePkesksKeyInPubringKbx) {
    std::string kbx = keybox();
    ASSERT_EQ(kbx.substr(8, 4), "KBXf");
    for (const std::string* fp : {cv25519_, rsa_}) {
        SCOPED_TRACE(*fp);
        pgp::EncryptedMessage m = pgp::read_encrypted_message(encrypt(*fp, "k"));
        std::vector<pgp::PublicKey> keys = pgp::keybox_keys_with_id(kbx, m.recipients.at(0).key_id);
        ASSERT_EQ(keys.size(), 1u);
        EXPECT_EQ(hex(keys[0].fingerprint.data(), 20), *fp);
        EXPECT_EQ(hex(pgp::keygrip(keys[0]).data(), 20), gpg_keygrips()[*fp]);
    }
    std::vector<pgp::PublicKey> ecdh = pgp::keybox_keys_with_id(kbx, id_of(*cv25519_));
    ASSERT_EQ(ecdh.size(), 1u);
    EXPECT_EQ(ecdh[0].algorithm, pgp::kKeyEcdh);
    EXPECT_EQ(ecdh[0].kdf_hash, 8);
    EXPECT_EQ(ecdh[0].kdf_cipher, 7);
    EXPECT_TRUE(pgp::keybox_keys_with_id(kbx, {1, 2, 3, 4, 5, 6, 7, 8}).empty());
    EXPECT_TRUE(pgp::keybox_keys_with_id(kbx, {}).empty()) << "a hidden recipient";
}

// Blobs marked ephemeral are passed over; a cut or a lying length is an error, never a read
// past the data.
TEST_F(OpenpgpKeybox, RefusesDamagedKeyboxes) {
    std::string kbx = keybox();
    auto id = id_of(*cv25519_);
    ASSERT_EQ(pgp::keybox_keys_with_id(kbx, id).size(), 1u);
    // The blob that holds the key: the one whose fingerprint list has it.
    std::size_t at = 0, blob_at = std::string::npos;
    while (at + 4 <= kbx.size()) {
        std::size_t size = static_cast<unsigned char>(kbx[at]) << 24 | static_cast<unsigned char>(kbx[at + 1]) << 16 |
                           static_cast<unsigned char>(kbx[at + 2]) << 8 | static_cast<unsigned char>(kbx[at + 3]);
        ASSERT_GE(size, 5u);
        if (kbx.substr(at, size).find(key_id(*cv25519_)) != std::string::npos && kbx[at + 4] == 2 && blob_at == std::string::npos) blob_at = at;
        at += size;
    }
    ASSERT_NE(blob_at, std::string::npos);
    std::string ephemeral = kbx;
    ephemeral[blob_at + 7] |= 2;
    EXPECT_TRUE(pgp::keybox_keys_with_id(ephemeral, id).empty());

    std::string lying = kbx;
    lying[blob_at + 14] = '\x7F';  // the keyblock's length
    EXPECT_THROW(pgp::keybox_keys_with_id(lying, id), Error);
    std::string few_infos = kbx;
    few_infos[blob_at + 18] = 0, few_infos[blob_at + 19] = 27;  // key information below 28 bytes
    EXPECT_THROW(pgp::keybox_keys_with_id(few_infos, id), Error);
    EXPECT_THROW(pgp::keybox_keys_with_id(kbx.substr(0, kbx.size() - 1), id), Error);
    for (std::size_t cut = 0; cut < kbx.size(); cut += 7) {
        try {
            pgp::keybox_keys_with_id(kbx.substr(0, cut), id);
        } catch (const Error&) {
        }
    }
}
