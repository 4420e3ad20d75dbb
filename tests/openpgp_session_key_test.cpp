// The session key from gpg-agent's answer to PKDECRYPT (lib/src/keys/openpgp/session_key.cpp,
// ecdh_kdf.cpp) and the public key packets it needs (public_key.cpp). The agent's part is
// played here with the private keys gpg exports from the test's own home: X25519 with the
// cv25519 subkey's scalar (libsodium), RSA's c^d mod n (OpenSSL). The session keys must be
// the ones gpg itself reports, and must decrypt the message.
#include <openssl/bn.h>
#include <sodium.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "core/hex.hpp"
#include "keys/openpgp/ecdh_kdf.hpp"
#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/mpi.hpp"
#include "keys/openpgp/packets.hpp"
#include "keys/openpgp/public_key.hpp"
#include "openpgp_support.hpp"

namespace pgp = sopskit::detail::openpgp;
using sopskit::Error;
using sopskit::SecureBytes;
using sopskit::test::run;

namespace {

class OpenpgpSessionKey : public sopskit::test::OpenpgpGpgHome {
protected:
    // The key packet of `tag` in gpg's export whose fingerprint is `fp`, and its public part.
    static std::optional<std::pair<std::string, pgp::PublicKey>> find_key(const std::string& exported, int tag, const std::string& fp) {
        pgp::PacketReader reader(exported);
        while (!reader.at_end()) {
            pgp::Packet p = reader.next();
            if (p.tag != tag) continue;
            pgp::PublicKey key = pgp::read_public_key(p.body);
            if (sopskit::detail::hex_encode(key.fingerprint.data(), key.fingerprint.size(), sopskit::detail::HexCase::Upper) == fp)
                return std::make_pair(std::string(p.body), key);
        }
        return std::nullopt;
    }
    // The secret MPIs after the public part of an unprotected secret key packet.
    static std::vector<std::string> secret_mpis(const std::string& body, std::size_t count) {
        std::size_t used = 0;
        pgp::read_public_key(body, &used);
        std::string_view rest = std::string_view(body).substr(used);
        EXPECT_EQ(rest.substr(0, 1), std::string(1, '\0')) << "the test key is protected";
        rest.remove_prefix(1);
        std::vector<std::string> mpis;
        for (std::size_t i = 0; i < count; ++i) mpis.emplace_back(pgp::read_mpi(rest).value());
        return mpis;
    }
    static std::string export_secret(const std::string& fp) {
        auto r = run(gpg() + "--pinentry-mode loopback --passphrase '' --export-secret-subkeys " + fp + "!");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    static void expect_same(const pgp::SessionKey& a, const pgp::SessionKey& b) {
        EXPECT_EQ(a.algorithm, b.algorithm);
        EXPECT_TRUE(a.key.equals(b.key));
    }
};

bool refused(const std::function<void()>& f, bool want_unsupported) {
    try {
        f();
    } catch (const pgp::Unsupported&) {
        return want_unsupported;
    } catch (const Error&) {
        return !want_unsupported;
    }
    return false;
}

// algorithm || key || checksum, as the RSA and ECDH blocks carry it.
std::string session_block(std::uint8_t algorithm, const std::string& key) {
    unsigned sum = 0;
    for (unsigned char c : key) sum += c;
    return std::string(1, static_cast<char>(algorithm)) + key + std::string{static_cast<char>(sum >> 8 & 0xFF), static_cast<char>(sum & 0xFF)};
}

}  // namespace

// The public subkeys gpg exports: fingerprints as gpg prints them, Curve25519's OID and the
// KDF parameters gpg writes (SHA-256, AES-128), RSA's modulus.
TEST_F(OpenpgpSessionKey, ReadsPublicKeysAndTheirFingerprints) {
    auto ecdh = find_key(run(gpg() + "--export " + *cv25519_).out, 14, *cv25519_);
    ASSERT_TRUE(ecdh) << "no public subkey with gpg's fingerprint";
    const pgp::PublicKey& e = ecdh->second;
    EXPECT_EQ(e.algorithm, pgp::kKeyEcdh);
    EXPECT_EQ(e.curve_oid, std::string("\x2B\x06\x01\x04\x01\x97\x55\x01\x05\x01", 10));
    EXPECT_EQ(e.ecc_point.size(), 33u);
    EXPECT_EQ(e.kdf_hash, 8);
    EXPECT_EQ(e.kdf_cipher, 7);
    auto id = e.key_id();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(id.data()), 8), key_id(*cv25519_));

    auto rsa = find_key(run(gpg() + "--export " + *rsa_).out, 14, *rsa_);
    ASSERT_TRUE(rsa);
    EXPECT_EQ(rsa->second.algorithm, pgp::kKeyRsa);
    EXPECT_EQ(rsa->second.rsa_n.size(), 256u);
    EXPECT_EQ(rsa->second.rsa_e, std::string("\x01\x00\x01", 3));

    // The Ed25519 primary key (EdDSA), and what is refused.
    auto primary = run(gpg() + "--with-colons --list-keys " + *cv25519_ + " | awk -F: '/^fpr/ {print $10; exit}'");
    auto eddsa = find_key(run(gpg() + "--export " + *cv25519_).out, 6, primary.out.substr(0, 40));
    ASSERT_TRUE(eddsa);
    EXPECT_EQ(eddsa->second.algorithm, pgp::kKeyEddsaLegacy);
    std::string body = ecdh->first;
    EXPECT_TRUE(refused([&] { pgp::read_public_key(std::string(1, '\x05') + body.substr(1)); }, true)) << "v5";
    EXPECT_TRUE(refused([&] { pgp::read_public_key(body.substr(0, 5) + '\x10' + body.substr(6)); }, true)) << "ElGamal";
    for (std::size_t cut = 0; cut < body.size(); ++cut)
        EXPECT_TRUE(refused([&] { pgp::read_public_key(body.substr(0, cut)); }, false)) << cut;
}

// ECDH end to end: the shared point as the agent returns it, from the exported secret scalar
// (stored big-endian in its MPI, X25519 takes it little-endian); the session key is gpg's and
// decrypts the data key.
TEST_F(OpenpgpSessionKey, EcdhSessionKeyFromTheSharedPoint) {
    auto secret = find_key(export_secret(*cv25519_), 7, *cv25519_);
    ASSERT_TRUE(secret) << "no secret subkey with gpg's fingerprint";
    std::string scalar = secret_mpis(secret->first, 1)[0];
    ASSERT_LE(scalar.size(), 32u);
    SecureBytes native(32);
    std::reverse_copy(scalar.begin(), scalar.end(), native.data());  // a shorter MPI lost high zeros
    sopskit::wipe(scalar);

    for (int round = 0; round < 3; ++round) {
        std::string data_key(SecureBytes::random(32).view());
        std::string message = encrypt(*cv25519_, data_key);
        pgp::EncryptedMessage m = pgp::read_encrypted_message(message);
        const pgp::Pkesk& pkesk = m.recipients.at(0);
        ASSERT_EQ(pkesk.ecdh_point.size(), 33u);
        SecureBytes x(32);
        ASSERT_EQ(crypto_scalarmult(x.data(), native.data(), reinterpret_cast<const unsigned char*>(pkesk.ecdh_point.data()) + 1), 0);
        std::string point = "\x40" + std::string(x.view());

        pgp::SessionKey key = pgp::ecdh_session_key(pkesk, secret->second, point);
        expect_same(key, session_key_of(message));
        EXPECT_EQ(std::string(pgp::decrypt_seipd(m.encrypted_data, key).view()), data_key);
        expect_same(pgp::ecdh_session_key(pkesk, secret->second, x.view()), key);  // X alone

        std::string wrong_point = point;
        wrong_point[5] ^= 1;
        EXPECT_TRUE(refused([&] { pgp::ecdh_session_key(pkesk, secret->second, wrong_point); }, false));
        pgp::PublicKey other = secret->second;
        other.fingerprint[0] ^= 1;
        EXPECT_TRUE(refused([&] { pgp::ecdh_session_key(pkesk, other, point); }, false)) << "fingerprint in the KDF";
        other = secret->second;
        other.kdf_hash = 2;  // SHA-1
        EXPECT_TRUE(refused([&] { pgp::ecdh_session_key(pkesk, other, point); }, true));
        pgp::Pkesk cut = pkesk;
        cut.ecdh_wrapped.pop_back();
        EXPECT_TRUE(refused([&] { pgp::ecdh_session_key(cut, secret->second, point); }, false));
    }
}

// RSA end to end: m = c^d mod n as the agent's software key returns it (leading zero dropped,
// padding kept), with the zero kept, and with the padding removed as a smartcard does.
TEST_F(OpenpgpSessionKey, RsaSessionKeyFromTheDecryptedBlock) {
    auto secret = find_key(export_secret(*rsa_), 7, *rsa_);
    ASSERT_TRUE(secret);
    std::vector<std::string> mpis = secret_mpis(secret->first, 1);
    std::string data_key(SecureBytes::random(32).view());
    std::string message = encrypt(*rsa_, data_key);
    pgp::EncryptedMessage m = pgp::read_encrypted_message(message);
    const pgp::Pkesk& pkesk = m.recipients.at(0);

    auto bn = [](const std::string& s) { return BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()), nullptr); };
    BIGNUM *c = bn(pkesk.rsa_ciphertext), *d = bn(mpis[0]), *n = bn(secret->second.rsa_n), *r = BN_new();
    BN_CTX* ctx = BN_CTX_new();
    ASSERT_EQ(BN_mod_exp(r, c, d, n, ctx), 1);
    std::string value(static_cast<std::size_t>(BN_num_bytes(r)), '\0');
    BN_bn2bin(r, reinterpret_cast<unsigned char*>(value.data()));
    BN_CTX_free(ctx);
    for (BIGNUM* b : {c, d, n, r}) BN_clear_free(b);
    ASSERT_EQ(value.size(), 255u) << "PKCS#1 block without its leading zero";

    pgp::SessionKey key = pgp::rsa_session_key(value, false);
    expect_same(key, session_key_of(message));
    EXPECT_EQ(std::string(pgp::decrypt_seipd(m.encrypted_data, key).view()), data_key);
    expect_same(pgp::rsa_session_key(std::string(1, '\0') + value, false), key);
    expect_same(pgp::rsa_session_key(value.substr(value.find('\0', 1) + 1), true), key);
    EXPECT_THROW(pgp::rsa_session_key(value, true), Error) << "padding the agent said it removed";
}

// PKCS#1 v1.5 and the session key block, on blocks made here.
TEST(OpenpgpRsaBlock, ChecksPaddingChecksumAndLength) {
    std::string key(16, '\x11');
    std::string random(8, '\x5A');
    EXPECT_EQ(pgp::rsa_session_key("\x02" + random + std::string(1, '\0') + session_block(7, key), false).key.view(), key);
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key("\x02" + random.substr(1) + std::string(1, '\0') + session_block(7, key), false); }, false))
        << "fewer than 8 random octets";
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key("\x01" + random + std::string(1, '\0') + session_block(7, key), false); }, false));
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key("\x02" + random + session_block(7, key), false); }, false)) << "no zero";
    std::string bad_sum = session_block(7, key);
    bad_sum.back() ^= 1;
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key(bad_sum, true); }, false));
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key(session_block(9, key), true); }, false)) << "AES-256 with 16 octets";
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key(session_block(3, key), true); }, true)) << "CAST5";
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key("", true); }, false));
    EXPECT_TRUE(refused([&] { pgp::rsa_session_key("", false); }, false));
}

TEST(OpenpgpEcdhKdf, FindsXInEachFormOfSharedPoint) {
    std::string x(32, 'x');
    EXPECT_EQ(pgp::shared_secret_x("\x40" + x), x);
    EXPECT_EQ(pgp::shared_secret_x(x), x);
    EXPECT_EQ(pgp::shared_secret_x("\x04" + x + std::string(32, 'y')), x);
    EXPECT_TRUE(refused([] { pgp::shared_secret_x(""); }, false));
    EXPECT_TRUE(refused([&] { pgp::shared_secret_x("\x05" + x + x); }, false));
}
