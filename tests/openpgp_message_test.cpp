// sopskit's own OpenPGP message reader (lib/src/keys/openpgp/): messages made by the real gpg
// in a private GNUPGHOME (Curve25519 and RSA recipients, each compression gpg offers), read and
// decrypted from the session key gpg reports; malformed and unsupported input refused.
#include <zlib.h>

#include <cstring>

#include "keys/openpgp/armor.hpp"
#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/inflate.hpp"
#include "keys/openpgp/literal.hpp"
#include "keys/openpgp/message.hpp"
#include "keys/openpgp/packets.hpp"
#include "keys/openpgp/seipd.hpp"
#include "openpgp_support.hpp"

namespace pgp = sopskit::detail::openpgp;
using sopskit::Error;
using sopskit::SecureBytes;
using sopskit::test::run;

namespace {

class OpenpgpMessage : public sopskit::test::OpenpgpGpgHome {};

std::string random_bytes(std::size_t n) { return std::string(SecureBytes::random(n).view()); }

bool is_unsupported(const std::function<void()>& f) {
    try {
        f();
    } catch (const pgp::Unsupported&) {
        return true;
    } catch (const Error&) {
        return false;
    }
    return false;
}

bool is_malformed(const std::function<void()>& f) {
    try {
        f();
    } catch (const pgp::Unsupported&) {
        return false;
    } catch (const Error&) {
        return true;
    }
    return false;
}

// A new-format packet header and body.
std::string packet(int tag, const std::string& body) {
    std::string out(1, static_cast<char>(0xC0 | tag));
    if (body.size() < 192) {
        out += static_cast<char>(body.size());
    } else {
        out += '\xFF';
        for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(body.size() >> shift);
    }
    return out + body;
}

std::string literal(const std::string& contents) { return packet(pgp::kLiteral, std::string("b\x04name\0\0\0\0", 10) + contents); }

std::string zlib_compress(const std::string& data) {
    uLongf size = compressBound(data.size());
    std::string out(size, '\0');
    compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(data.data()), data.size(), 9);
    out.resize(size);
    return out;
}

}  // namespace

// Every compression gpg writes, to both kinds of key: the reader recovers the exact bytes gpg
// encrypted, from the session key gpg itself reports.
TEST_F(OpenpgpMessage, DecryptsWhatGpgEncryptsWithItsSessionKey) {
    for (const std::string* fp : {cv25519_, rsa_}) {
        for (std::string compression : {"", "--compress-algo none", "--compress-algo zip", "--compress-algo zlib"}) {
            SCOPED_TRACE(*fp + " " + compression);
            std::string data_key = random_bytes(32);
            EXPECT_EQ(decrypt_with_gpgs_session_key(encrypt(*fp, data_key, "--armor " + compression)), data_key);
            EXPECT_EQ(decrypt_with_gpgs_session_key(encrypt(*fp, data_key, compression)), data_key) << "binary";
        }
    }
}

// Larger input makes gpg stream: SEIPD and literal packets in partial body lengths.
TEST_F(OpenpgpMessage, JoinsPartialBodyLengths) {
    std::string data = random_bytes(100000);
    std::string message = encrypt(*cv25519_, data, "--compress-algo none");
    ASSERT_EQ(static_cast<unsigned char>(message[96]), 0xD2);  // SEIPD after a 96-byte PKESK...
    ASSERT_GE(static_cast<unsigned char>(message[97]), 224);   // ...in partial lengths
    EXPECT_EQ(decrypt_with_gpgs_session_key(message), data);
    std::string text(300000, 'a');
    EXPECT_EQ(decrypt_with_gpgs_session_key(encrypt(*rsa_, text, "--compress-algo zlib")), text);
}

// The PKESK names the subkey and carries what the agent needs.
TEST_F(OpenpgpMessage, ReadsTheRecipientsSessionKeyPackets) {
    std::string data_key = random_bytes(32);
    pgp::EncryptedMessage ecdh = pgp::read_encrypted_message(encrypt(*cv25519_, data_key));
    ASSERT_EQ(ecdh.recipients.size(), 1u);
    const pgp::Pkesk& e = ecdh.recipients[0];
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.key_id.data()), 8), key_id(*cv25519_));
    EXPECT_EQ(e.algorithm, pgp::kEcdh);
    ASSERT_EQ(e.ecdh_point.size(), 33u);
    EXPECT_EQ(e.ecdh_point[0], '\x40');
    EXPECT_EQ(e.ecdh_wrapped.size(), 48u);  // AES-256 key, algorithm, checksum, padding: 40 + 8

    pgp::EncryptedMessage both = pgp::read_encrypted_message(encrypt(*cv25519_, data_key, "--armor --recipient " + *rsa_));
    ASSERT_EQ(both.recipients.size(), 2u);
    const pgp::Pkesk& r = both.recipients[0].algorithm == pgp::kEcdh ? both.recipients[1] : both.recipients[0];
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.key_id.data()), 8), key_id(*rsa_));
    EXPECT_EQ(r.algorithm, pgp::kRsaEncryptSign);
    EXPECT_GE(r.rsa_ciphertext.size(), 250u);
    EXPECT_LE(r.rsa_ciphertext.size(), 256u);
}

// A cut, a flipped bit or a wrong key is an error, never a crash nor a wrong plaintext.
TEST_F(OpenpgpMessage, RefusesDamagedMessages) {
    std::string data_key = random_bytes(32);
    std::string binary = encrypt(*cv25519_, data_key, "");
    pgp::SessionKey key = session_key_of(binary);
    for (std::size_t cut = 0; cut < binary.size(); ++cut) {
        SCOPED_TRACE(cut);
        EXPECT_TRUE(is_malformed([&] {
            pgp::EncryptedMessage m = pgp::read_encrypted_message(binary.substr(0, cut));
            pgp::decrypt_seipd(m.encrypted_data, key);
        }));
    }
    pgp::EncryptedMessage m = pgp::read_encrypted_message(binary);
    for (std::size_t i = 0; i < m.encrypted_data.size(); ++i) {
        SCOPED_TRACE(i);
        std::string flipped = m.encrypted_data;
        flipped[i] ^= 0x01;
        EXPECT_TRUE(is_malformed([&] { pgp::decrypt_seipd(flipped, key); }));
    }
    pgp::SessionKey wrong{key.algorithm, SecureBytes::random(key.key.size())};
    EXPECT_TRUE(is_malformed([&] { pgp::decrypt_seipd(m.encrypted_data, wrong); }));
    pgp::SessionKey short_key{key.algorithm, SecureBytes::random(16)};
    EXPECT_TRUE(is_malformed([&] { pgp::decrypt_seipd(m.encrypted_data, short_key); }));
}

TEST_F(OpenpgpMessage, ArmorChecksumIsCheckedWhenPresent) {
    std::string data_key = random_bytes(32);
    std::string armored = encrypt(*cv25519_, data_key);
    std::size_t crc = armored.find("\n=");
    ASSERT_NE(crc, std::string::npos);
    pgp::SessionKey key = session_key_of(armored);
    std::string bad = armored;
    bad[crc + 2] = bad[crc + 2] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(is_malformed([&] { pgp::read_encrypted_message(bad); }));
    std::string without = armored.substr(0, crc) + armored.substr(armored.find('\n', crc + 1));
    EXPECT_EQ(std::string(pgp::decrypt_seipd(pgp::read_encrypted_message(without).encrypted_data, key).view()), data_key);
    // Headers, CRLF line ends and trailing blanks are read as gpg reads them.
    std::string dressed = "\r\n-----BEGIN PGP MESSAGE-----  \r\nVersion: x\r\nComment: y\r\n\r\n";
    std::string rest = armored.substr(armored.find("\n\n") + 2);
    for (char c : rest) dressed += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(std::string(pgp::decrypt_seipd(pgp::read_encrypted_message(dressed).encrypted_data, key).view()), data_key);
    std::string body_edit = armored;
    body_edit[body_edit.find("\n\n") + 5] ^= 0x01;
    EXPECT_TRUE(is_malformed([&] { pgp::read_encrypted_message(body_edit); }));
    std::string no_end = armored.substr(0, armored.find("-----END"));
    EXPECT_TRUE(is_malformed([&] { pgp::read_encrypted_message(no_end); }));
    EXPECT_EQ(pgp::crc24("123456789"), 0x21CF02u);
}

// What the reader leaves to gpg: a distinct answer, so the caller can fall back.
TEST_F(OpenpgpMessage, OtherShapesAreUnsupported) {
    std::string data_key = random_bytes(32);
    std::string camellia = encrypt(*cv25519_, data_key, "--cipher-algo CAMELLIA256");
    EXPECT_TRUE(is_unsupported([&] { pgp::decrypt_seipd(pgp::read_encrypted_message(camellia).encrypted_data, session_key_of(camellia)); }));
    std::string bzip2 = encrypt(*cv25519_, data_key, "--compress-algo bzip2");
    EXPECT_TRUE(is_unsupported([&] { pgp::decrypt_seipd(pgp::read_encrypted_message(bzip2).encrypted_data, session_key_of(bzip2)); }));
    std::string signed_too = encrypt(*cv25519_, data_key, "--sign --local-user ecdh@x");
    EXPECT_TRUE(is_unsupported([&] { pgp::decrypt_seipd(pgp::read_encrypted_message(signed_too).encrypted_data, session_key_of(signed_too)); }));
    auto symmetric = run(gpg() + "--pinentry-mode loopback --passphrase pw --symmetric", data_key);
    ASSERT_EQ(symmetric.exit_code, 0) << symmetric.err;
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(symmetric.out); }));

    // The same message with its SEIPD retagged (SED, AEAD), its PKESK version or algorithm changed.
    std::string binary = encrypt(*cv25519_, data_key, "");
    ASSERT_EQ(static_cast<unsigned char>(binary[0]), 0x84);  // old-format PKESK, 1-octet length
    ASSERT_EQ(static_cast<unsigned char>(binary[96]), 0xD2);
    auto edited = [&](std::size_t at, char value) {
        std::string m = binary;
        m[at] = value;
        return m;
    };
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(edited(96, '\xC9')); }));
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(edited(96, '\xD4')); }));
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(edited(98, '\x02')); })) << "SEIPD v2";
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(edited(2, '\x06')); })) << "PKESK v6";
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(edited(11, '\x10')); })) << "ElGamal";
    EXPECT_TRUE(is_unsupported([&] { pgp::read_encrypted_message(binary + packet(pgp::kLiteral, "x")); })) << "after the data";
}

// Framing: old-format lengths of each size and indeterminate, new-format lengths of each size
// and partial lengths joined.
TEST(OpenpgpPackets, ReadsEveryLengthEncoding) {
    std::string body(713, 'x');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
    std::string data = std::string("\xAC\x03", 2) + "abc" +                  // old, 1 octet
                       std::string("\xAD\x02\xC9", 3) + body +               // old, 2 octets (713)
                       std::string("\xAE\x00\x00\x00\x02", 5) + "de" +       // old, 4 octets
                       std::string("\xCB\xE9", 2) + body.substr(0, 512) +    // new, partial 512,
                       std::string("\xE0", 1) + body.substr(512, 1) +        // partial 1,
                       std::string("\xC0\x08", 2) + body.substr(513) +       // last 200 (2 octets)
                       std::string("\xCB\xFF\x00\x00\x00\x03", 6) + "xyz" +  // new, 5 octets
                       std::string("\xCB\x00", 2) +                          // new, empty
                       std::string("\xAF", 1) + "rest";                      // old, indeterminate
    pgp::PacketReader reader(data);
    std::vector<std::string> bodies;
    while (!reader.at_end()) {
        pgp::Packet p = reader.next();
        EXPECT_EQ(p.tag, pgp::kLiteral);
        bodies.emplace_back(p.body);
    }
    std::vector<std::string> expected = {"abc", body, "de", body, "xyz", "", "rest"};
    EXPECT_EQ(bodies, expected);
}

TEST(OpenpgpPackets, RefusesBadFraming) {
    for (std::string bad : {std::string("\x2C\x01x", 3), std::string("\xC0\x01x", 3), std::string("\xAC\x05x", 3),
                            std::string("\xCB\xFF\x7F\xFF\xFF\xFF", 6), std::string("\xC1\xE0x\x01y", 5), std::string("\xCB\xE1xx", 4),
                            std::string("\xCB\xEA", 2), std::string("\xAD\x01", 2), std::string("\xCB", 1)}) {
        SCOPED_TRACE(testing::PrintToString(bad));
        EXPECT_TRUE(is_malformed([&] {
            pgp::PacketReader reader(bad);
            while (!reader.at_end()) reader.next();
        }));
    }
}

// The packets inside the encrypted data: one literal, possibly compressed once; the rest is
// gpg's to handle, and a zip bomb stops at 1 MiB.
TEST(OpenpgpLiteral, ReadsOneLiteralPossiblyCompressed) {
    EXPECT_EQ(std::string(pgp::read_literal_data(literal("key")).view()), "key");
    EXPECT_EQ(std::string(pgp::read_literal_data(packet(pgp::kCompressed, std::string(1, '\0') + literal("key"))).view()), "key");
    EXPECT_EQ(std::string(pgp::read_literal_data(packet(pgp::kCompressed, "\x02" + zlib_compress(literal("key")))).view()), "key");
    EXPECT_TRUE(is_unsupported([] { pgp::read_literal_data(literal("a") + literal("b")); }));
    EXPECT_TRUE(is_unsupported([] { pgp::read_literal_data(packet(pgp::kCompressed, std::string(1, '\0') + packet(pgp::kCompressed, std::string(1, '\0') + literal("k")))); }));
    EXPECT_TRUE(is_unsupported([] { pgp::read_literal_data(packet(pgp::kCompressed, "\x03" + literal("k"))); }));
    EXPECT_TRUE(is_unsupported([] { pgp::read_literal_data(packet(pgp::kOnePassSignature, "x") + literal("k")); }));
    EXPECT_TRUE(is_malformed([] { pgp::read_literal_data(""); }));
    EXPECT_TRUE(is_malformed([] { pgp::read_literal_data(packet(pgp::kLiteral, std::string("b\x05name\0\0\0\0", 10))); }));
    EXPECT_TRUE(is_malformed([] { pgp::read_literal_data(packet(pgp::kCompressed, "")); }));

    std::string bomb = packet(pgp::kCompressed, "\x02" + zlib_compress(literal(std::string(2 << 20, '\0'))));
    EXPECT_LT(bomb.size(), 4096u);
    EXPECT_TRUE(is_malformed([&] { pgp::read_literal_data(bomb); }));
    std::string below = packet(pgp::kCompressed, "\x02" + zlib_compress(literal(std::string(1000000, '\0'))));
    EXPECT_EQ(pgp::read_literal_data(below).size(), 1000000u);
}

TEST(OpenpgpInflate, RefusesCorruptAndTrailingData) {
    std::string z = zlib_compress("hello hello hello");
    EXPECT_EQ(std::string(pgp::inflate(z, pgp::Deflate::Zlib, 100).view()), "hello hello hello");
    EXPECT_TRUE(is_malformed([&] { pgp::inflate(z.substr(0, z.size() - 1), pgp::Deflate::Zlib, 100); }));
    EXPECT_TRUE(is_malformed([&] { pgp::inflate(z + "x", pgp::Deflate::Zlib, 100); }));
    EXPECT_TRUE(is_malformed([&] { pgp::inflate(z, pgp::Deflate::Raw, 100); }));
    EXPECT_TRUE(is_malformed([&] { pgp::inflate(z, pgp::Deflate::Zlib, 16); }));
    EXPECT_EQ(pgp::inflate(z.substr(2, z.size() - 6), pgp::Deflate::Raw, 17).size(), 17u);
}
