#include "keys/openpgp/keygrip.hpp"

#include <nettle/sha1.h>

#include <string>
#include <string_view>

#include "keys/openpgp/errors.hpp"

namespace sopskit::detail::openpgp {

namespace {

// A curve as libgcrypt hashes it: p, a, b and n as big-endian numbers without leading zeros,
// g as 04 || x || y with x and y at the field's size (FIPS 186-4, RFC 7748 in Montgomery form
// with libgcrypt's y).
struct Curve {
    std::string_view oid;
    const char* p;
    const char* a;
    const char* b;
    const char* g;
    const char* n;
    bool montgomery;  // q hashed without its 0x40 prefix
};

const Curve kCurves[] = {
    {std::string_view("\x2B\x06\x01\x04\x01\x97\x55\x01\x05\x01", 10),
     "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFED", "01DB41", "01",
     "04"
     "0000000000000000000000000000000000000000000000000000000000000009"
     "20AE19A1B8A086B4E01EDD2C7748D14C923D4D7E6D7C61B229E9C5A27ECED3D9",
     "1000000000000000000000000000000014DEF9DEA2F79CD65812631A5CF5D3ED", true},
    {std::string_view("\x2A\x86\x48\xCE\x3D\x03\x01\x07", 8),  // NIST P-256
     "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
     "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
     "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
     "04"
     "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
     "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
     "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", false},
    {std::string_view("\x2B\x81\x04\x00\x22", 5),  // NIST P-384
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC",
     "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF",
     "04"
     "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7"
     "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", false},
    {std::string_view("\x2B\x81\x04\x00\x23", 5),  // NIST P-521
     "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC",
     "51953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
     "04"
     "00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66"
     "011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
     "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", false},
};

std::string from_hex(const char* hex) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
    std::string out;
    for (; hex[0] && hex[1]; hex += 2) out += static_cast<char>(nibble(hex[0]) << 4 | nibble(hex[1]));
    return out;
}

std::string_view without_leading_zeros(std::string_view v) {
    while (!v.empty() && v.front() == '\0') v.remove_prefix(1);
    return v;
}

class Sha1 {
public:
    Sha1() { sha1_init(&ctx_); }
    void add(std::string_view bytes) { sha1_update(&ctx_, bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data())); }
    // One parameter as libgcrypt's ECC keygrip writes it.
    void add_param(char name, std::string_view value) {
        add("(1:" + std::string(1, name) + std::to_string(value.size()) + ":");
        add(value);
        add(")");
    }
    std::array<std::uint8_t, 20> digest() {
        std::array<std::uint8_t, 20> out{};
        sha1_digest(&ctx_, out.size(), out.data());
        return out;
    }

private:
    sha1_ctx ctx_;
};

}  // namespace

std::array<std::uint8_t, 20> keygrip(const PublicKey& key) {
    Sha1 sha;
    switch (key.algorithm) {
        case kKeyRsa:
        case kKeyRsaEncryptOnly:
        case kKeyRsaSignOnly: {
            std::string_view n = without_leading_zeros(key.rsa_n);
            if (n.empty()) malformed("RSA key with a zero modulus");
            if (static_cast<unsigned char>(n.front()) & 0x80) sha.add(std::string_view("\0", 1));
            sha.add(n);
            return sha.digest();
        }
        case kKeyEcdh:
        case kKeyEcdsa:
            for (const Curve& c : kCurves) {
                if (c.oid != key.curve_oid) continue;
                std::string_view q = key.ecc_point;
                if (c.montgomery && q.size() == 33 && q.front() == '\x40') q.remove_prefix(1);
                else if (!c.montgomery && (q.empty() || q.front() != '\x04')) unsupported("compressed ECC point");
                sha.add_param('p', from_hex(c.p));
                sha.add_param('a', without_leading_zeros(from_hex(c.a)));
                sha.add_param('b', from_hex(c.b));
                sha.add_param('g', from_hex(c.g));
                sha.add_param('n', from_hex(c.n));
                sha.add_param('q', q);
                return sha.digest();
            }
            unsupported("ECC curve outside Curve25519 and NIST P-256/384/521");
        default:
            unsupported("keygrip of public-key algorithm " + std::to_string(key.algorithm));
    }
}

}  // namespace sopskit::detail::openpgp
