// FIPS 203 ML-KEM-768. Coefficients are kept fully reduced in [0, q); every reduction is a
// multiply-and-shift (Barrett) or a masked conditional subtraction, so no branch or table
// index ever depends on a secret. Rejection sampling of the matrix A only touches the
// public seed rho.
#include "mlkem/mlkem768.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <vector>

#include "sopskit/error.hpp"

namespace sopskit::mlkem {

namespace {

constexpr std::uint32_t Q = 3329;
constexpr int K = 3;              // module rank of ML-KEM-768
constexpr int DU = 10, DV = 4;    // ciphertext compression
constexpr std::size_t kPolyBytes = 384;  // ByteEncode12 of one polynomial
constexpr std::size_t kPkeSecretSize = kPolyBytes * K;
constexpr std::size_t kC1Size = 32 * DU * K;

using Poly = std::array<std::uint16_t, 256>;
using Vec = std::array<Poly, K>;

// ---- field arithmetic --------------------------------------------------------------------

// a mod q for a < 2q, without a branch.
inline std::uint16_t cond_sub_q(std::uint32_t a) {
    std::uint32_t r = a - Q;
    r += Q & (0u - (r >> 31));
    return static_cast<std::uint16_t>(r);
}

constexpr std::uint64_t kBarrett = (std::uint64_t{1} << 36) / Q;

// floor(x / q) for any 32-bit x: the Barrett estimate is at most one short, fixed by a mask.
inline std::uint32_t div_q(std::uint32_t x) {
    auto quot = static_cast<std::uint32_t>((std::uint64_t{x} * kBarrett) >> 36);
    std::uint32_t rem = x - quot * Q;
    return quot + (((rem - Q) >> 31) ^ 1u);
}

inline std::uint16_t reduce(std::uint32_t x) { return static_cast<std::uint16_t>(x - div_q(x) * Q); }
inline std::uint16_t fadd(std::uint16_t a, std::uint16_t b) { return cond_sub_q(std::uint32_t{a} + b); }
inline std::uint16_t fsub(std::uint16_t a, std::uint16_t b) { return cond_sub_q(std::uint32_t{a} + Q - b); }
inline std::uint16_t fmul(std::uint16_t a, std::uint16_t b) { return reduce(std::uint32_t{a} * b); }

// Compress_d (FIPS 203 eq. 4.7): round(2^d x / q) mod 2^d, computed as floor((2^d x + 1664) / q).
inline std::uint16_t compress(std::uint16_t x, int d) {
    return static_cast<std::uint16_t>(div_q((std::uint32_t{x} << d) + (Q - 1) / 2) & ((1u << d) - 1));
}
// Decompress_d (eq. 4.8): round(q y / 2^d).
inline std::uint16_t decompress(std::uint16_t y, int d) {
    return static_cast<std::uint16_t>((std::uint32_t{y} * Q + (1u << (d - 1))) >> d);
}

// ---- NTT -----------------------------------------------------------------------------------

constexpr std::uint32_t pow_mod(std::uint32_t base, std::uint32_t e) {
    std::uint32_t r = 1;
    for (; e; e >>= 1, base = base * base % Q)
        if (e & 1) r = r * base % Q;
    return r;
}
constexpr std::uint32_t bitrev7(std::uint32_t i) {
    std::uint32_t r = 0;
    for (int b = 0; b < 7; ++b) r |= ((i >> b) & 1) << (6 - b);
    return r;
}
// zeta^BitRev7(i) and zeta^(2 BitRev7(i) + 1) for zeta = 17, the 256th root of unity mod q.
constexpr auto kZetas = [] {
    std::array<std::uint16_t, 128> z{};
    for (std::uint32_t i = 0; i < 128; ++i) z[i] = static_cast<std::uint16_t>(pow_mod(17, bitrev7(i)));
    return z;
}();
constexpr auto kGammas = [] {
    std::array<std::uint16_t, 128> g{};
    for (std::uint32_t i = 0; i < 128; ++i) g[i] = static_cast<std::uint16_t>(pow_mod(17, 2 * bitrev7(i) + 1));
    return g;
}();
constexpr std::uint16_t kInv128 = 3303;  // 128^-1 mod q

void ntt(Poly& f) {
    int i = 1;
    for (int len = 128; len >= 2; len /= 2)
        for (int start = 0; start < 256; start += 2 * len) {
            std::uint16_t zeta = kZetas[i++];
            for (int j = start; j < start + len; ++j) {
                std::uint16_t t = fmul(zeta, f[j + len]);
                f[j + len] = fsub(f[j], t);
                f[j] = fadd(f[j], t);
            }
        }
}

void inverse_ntt(Poly& f) {
    int i = 127;
    for (int len = 2; len <= 128; len *= 2)
        for (int start = 0; start < 256; start += 2 * len) {
            std::uint16_t zeta = kZetas[i--];
            for (int j = start; j < start + len; ++j) {
                std::uint16_t t = f[j];
                f[j] = fadd(t, f[j + len]);
                f[j + len] = fmul(zeta, fsub(f[j + len], t));
            }
        }
    for (auto& c : f) c = fmul(c, kInv128);
}

// acc += f * g in the NTT domain (pairs of degree-one products, FIPS 203 algorithms 11-12).
void multiply_add(Poly& acc, const Poly& f, const Poly& g) {
    for (int i = 0; i < 128; ++i) {
        std::uint16_t a0 = f[2 * i], a1 = f[2 * i + 1], b0 = g[2 * i], b1 = g[2 * i + 1];
        std::uint16_t c0 = fadd(fmul(a0, b0), fmul(fmul(a1, b1), kGammas[i]));
        std::uint16_t c1 = fadd(fmul(a0, b1), fmul(a1, b0));
        acc[2 * i] = fadd(acc[2 * i], c0);
        acc[2 * i + 1] = fadd(acc[2 * i + 1], c1);
    }
}

// ---- encoding -------------------------------------------------------------------------------

void byte_encode(const Poly& f, int d, std::uint8_t* out) {
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto c : f) {
        acc |= std::uint32_t{c} << bits;
        bits += d;
        while (bits >= 8) {
            *out++ = static_cast<std::uint8_t>(acc);
            acc >>= 8;
            bits -= 8;
        }
    }
}

// Raw d-bit values; for d = 12 they may reach 4095 (callers check or reduce).
void byte_decode(const std::uint8_t* in, int d, Poly& f) {
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto& c : f) {
        while (bits < d) {
            acc |= std::uint32_t{*in++} << bits;
            bits += 8;
        }
        c = static_cast<std::uint16_t>(acc & ((1u << d) - 1));
        acc >>= d;
        bits -= d;
    }
}

void decode12_reduced(const std::uint8_t* in, Poly& f) {
    byte_decode(in, 12, f);
    for (auto& c : f) c = cond_sub_q(c);
}

// ---- hashing (OpenSSL EVP) ------------------------------------------------------------------

const EVP_MD* digest(const char* name) {
    // Fetched once: an implicit fetch per call costs more than the hash itself.
    static const EVP_MD* sha3_256 = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
    static const EVP_MD* sha3_512 = EVP_MD_fetch(nullptr, "SHA3-512", nullptr);
    static const EVP_MD* shake128 = EVP_MD_fetch(nullptr, "SHAKE128", nullptr);
    static const EVP_MD* shake256 = EVP_MD_fetch(nullptr, "SHAKE256", nullptr);
    const EVP_MD* md = std::strcmp(name, "SHA3-256") == 0   ? sha3_256
                       : std::strcmp(name, "SHA3-512") == 0 ? sha3_512
                       : std::strcmp(name, "SHAKE128") == 0 ? shake128
                                                            : shake256;
    if (!md) throw Error(ErrorCode::Generic, std::string("OpenSSL lacks ") + name);
    return md;
}

struct Bytes {
    const std::uint8_t* p;
    std::size_t n;
};

void hash(const char* name, std::initializer_list<Bytes> parts, std::uint8_t* out, std::size_t out_len) {
    const EVP_MD* md = digest(name);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, md, nullptr) == 1;
    for (const auto& b : parts) ok = ok && EVP_DigestUpdate(ctx, b.p, b.n) == 1;
    if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
        ok = ok && EVP_DigestFinalXOF(ctx, out, out_len) == 1;
    else
        ok = ok && static_cast<std::size_t>(EVP_MD_get_size(md)) == out_len && EVP_DigestFinal_ex(ctx, out, nullptr) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) throw Error(ErrorCode::Generic, std::string("ML-KEM: ") + name + " failed");
}

Bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// SampleNTT (algorithm 7) from SHAKE128(rho || j || i). OpenSSL 3.0 cannot squeeze
// incrementally, so a longer output is asked for in the (vanishingly rare) case the first
// one runs out; SHAKE's output for a longer length starts with the shorter one.
void sample_ntt(const std::uint8_t rho[32], std::uint8_t j, std::uint8_t i, Poly& a) {
    std::uint8_t suffix[2] = {j, i};
    std::vector<std::uint8_t> buf;
    for (std::size_t len = 168 * 5;; len *= 2) {
        buf.resize(len);
        hash("SHAKE128", {{rho, 32}, {suffix, 2}}, buf.data(), len);
        std::size_t n = 0;
        for (std::size_t p = 0; p + 3 <= len && n < 256; p += 3) {
            std::uint16_t d1 = static_cast<std::uint16_t>(buf[p] | ((buf[p + 1] & 0x0f) << 8));
            std::uint16_t d2 = static_cast<std::uint16_t>((buf[p + 1] >> 4) | (buf[p + 2] << 4));
            if (d1 < Q) a[n++] = d1;
            if (d2 < Q && n < 256) a[n++] = d2;
        }
        if (n == 256) return;
    }
}

// SamplePolyCBD_2 (algorithm 8) from PRF_2(s, b) = SHAKE256(s || b, 128).
void sample_cbd2(const std::uint8_t s[32], std::uint8_t b, Poly& f) {
    std::uint8_t buf[128];
    hash("SHAKE256", {{s, 32}, {&b, 1}}, buf, sizeof buf);
    for (int i = 0; i < 128; ++i) {
        std::uint32_t v = buf[i];
        for (int half = 0; half < 2; ++half, v >>= 4) {
            std::uint32_t x = (v & 1) + ((v >> 1) & 1), y = ((v >> 2) & 1) + ((v >> 3) & 1);
            f[2 * i + half] = cond_sub_q(x + Q - y);
        }
    }
    sodium_memzero(buf, sizeof buf);
}

void expand_matrix(const std::uint8_t rho[32], std::array<Vec, K>& a) {
    for (int i = 0; i < K; ++i)
        for (int j = 0; j < K; ++j) sample_ntt(rho, static_cast<std::uint8_t>(j), static_cast<std::uint8_t>(i), a[i][j]);
}

// Working polynomials of one operation, wiped when it ends.
template <class T>
struct Wiped {
    T v{};
    ~Wiped() { sodium_memzero(&v, sizeof v); }
};

// ---- K-PKE (algorithms 13-15) ---------------------------------------------------------------

// ek_pke (1184 bytes) into `ek`, dk_pke (1152 bytes) into `dk`.
void pke_keygen(const std::uint8_t d[32], std::uint8_t* ek, std::uint8_t* dk) {
    Wiped<std::uint8_t[64]> rho_sigma;
    std::uint8_t k = K;
    hash("SHA3-512", {{d, 32}, {&k, 1}}, rho_sigma.v, 64);
    const std::uint8_t* rho = rho_sigma.v;
    const std::uint8_t* sigma = rho_sigma.v + 32;
    std::array<Vec, K> a;
    expand_matrix(rho, a);
    Wiped<Vec> s, e;
    Vec t{};
    std::uint8_t n = 0;
    for (auto& p : s.v) sample_cbd2(sigma, n++, p), ntt(p);
    for (auto& p : e.v) sample_cbd2(sigma, n++, p), ntt(p);
    for (int i = 0; i < K; ++i) {
        t[i] = e.v[i];
        for (int j = 0; j < K; ++j) multiply_add(t[i], a[i][j], s.v[j]);
        byte_encode(t[i], 12, ek + kPolyBytes * i);
        byte_encode(s.v[i], 12, dk + kPolyBytes * i);
    }
    std::memcpy(ek + kPkeSecretSize, rho, 32);
}

// Encrypts the 32-byte m with randomness r under a checked ek; writes 1088 bytes to `ct`.
void pke_encrypt(const std::uint8_t* ek, const std::uint8_t m[32], const std::uint8_t r[32], std::uint8_t* ct) {
    Vec t;
    for (int i = 0; i < K; ++i) decode12_reduced(ek + kPolyBytes * i, t[i]);
    std::array<Vec, K> a;
    expand_matrix(ek + kPkeSecretSize, a);
    Wiped<Vec> y, e1, u;
    Wiped<Poly> e2, v, mu;
    std::uint8_t n = 0;
    for (auto& p : y.v) sample_cbd2(r, n++, p), ntt(p);
    for (auto& p : e1.v) sample_cbd2(r, n++, p);
    sample_cbd2(r, n++, e2.v);
    for (int i = 0; i < K; ++i) {
        u.v[i] = Poly{};
        for (int j = 0; j < K; ++j) multiply_add(u.v[i], a[j][i], y.v[j]);
        inverse_ntt(u.v[i]);
        for (int c = 0; c < 256; ++c) u.v[i][c] = compress(fadd(u.v[i][c], e1.v[i][c]), DU);
        byte_encode(u.v[i], DU, ct + 32 * DU * i);
    }
    v.v = Poly{};
    for (int i = 0; i < K; ++i) multiply_add(v.v, t[i], y.v[i]);
    inverse_ntt(v.v);
    for (int c = 0; c < 256; ++c) {
        // Decompress_1 of bit c of m: 0 or round(q/2) = 1665, selected with a mask.
        std::uint16_t bit = (m[c / 8] >> (c % 8)) & 1;
        mu.v[c] = static_cast<std::uint16_t>((0u - bit) & 1665u);
        v.v[c] = compress(fadd(fadd(v.v[c], e2.v[c]), mu.v[c]), DV);
    }
    byte_encode(v.v, DV, ct + kC1Size);
}

// Writes the 32-byte message recovered from `ct` with dk_pke.
void pke_decrypt(const std::uint8_t* dk, const std::uint8_t* ct, std::uint8_t m[32]) {
    Wiped<Vec> s;
    Wiped<Poly> w;
    Vec u;
    for (int i = 0; i < K; ++i) {
        decode12_reduced(dk + kPolyBytes * i, s.v[i]);
        byte_decode(ct + 32 * DU * i, DU, u[i]);
        for (auto& c : u[i]) c = decompress(c, DU);
        ntt(u[i]);
    }
    Poly v;
    byte_decode(ct + kC1Size, DV, v);
    for (int i = 0; i < K; ++i) multiply_add(w.v, s.v[i], u[i]);
    inverse_ntt(w.v);
    std::memset(m, 0, 32);
    for (int c = 0; c < 256; ++c) {
        std::uint16_t x = fsub(decompress(v[c], DV), w.v[c]);
        m[c / 8] = static_cast<std::uint8_t>(m[c / 8] | (compress(x, 1) << (c % 8)));
    }
}

const std::uint8_t* u8(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

}  // namespace

bool encapsulation_key_is_valid(std::string_view ek) {
    if (ek.size() != kEncapsulationKeySize) return false;
    // ByteEncode12(ByteDecode12(ek)) == ek exactly when no 12-bit value reaches q.
    Poly p;
    for (int i = 0; i < K; ++i) {
        byte_decode(u8(ek) + kPolyBytes * i, 12, p);
        for (auto c : p)
            if (c >= Q) return false;
    }
    return true;
}

bool decapsulation_key_is_valid(std::string_view dk) {
    if (dk.size() != kDecapsulationKeySize) return false;
    std::uint8_t h[32];
    hash("SHA3-256", {bytes(dk.substr(kPkeSecretSize, kEncapsulationKeySize))}, h, 32);
    return CRYPTO_memcmp(h, dk.data() + kPkeSecretSize + kEncapsulationKeySize, 32) == 0;
}

KeyPair keygen_from_seed(std::string_view d, std::string_view z) {
    if (d.size() != kSeedPartSize || z.size() != kSeedPartSize) throw Error(ErrorCode::Generic, "ML-KEM: seeds must be 32 bytes");
    KeyPair kp{std::string(kEncapsulationKeySize, '\0'), SecureBytes(kDecapsulationKeySize)};
    auto* ek = reinterpret_cast<std::uint8_t*>(kp.encapsulation_key.data());
    std::uint8_t* dk = kp.decapsulation_key.data();
    pke_keygen(u8(d), ek, dk);
    // dk = dk_pke || ek || H(ek) || z
    std::memcpy(dk + kPkeSecretSize, ek, kEncapsulationKeySize);
    hash("SHA3-256", {{ek, kEncapsulationKeySize}}, dk + kPkeSecretSize + kEncapsulationKeySize, 32);
    std::memcpy(dk + kPkeSecretSize + kEncapsulationKeySize + 32, z.data(), 32);
    return kp;
}

KeyPair keygen() {
    SecureBytes seeds = SecureBytes::random(2 * kSeedPartSize);
    return keygen_from_seed(seeds.view().substr(0, 32), seeds.view().substr(32));
}

Encapsulation encapsulate_internal(std::string_view ek, std::string_view m) {
    if (!encapsulation_key_is_valid(ek)) throw Error(ErrorCode::Generic, "ML-KEM: invalid encapsulation key");
    if (m.size() != kSeedPartSize) throw Error(ErrorCode::Generic, "ML-KEM: the message must be 32 bytes");
    std::uint8_t h[32];
    hash("SHA3-256", {bytes(ek)}, h, 32);
    SecureBytes kr(64);  // (K, r) = G(m || H(ek))
    hash("SHA3-512", {bytes(m), {h, 32}}, kr.data(), 64);
    Encapsulation out{std::string(kCiphertextSize, '\0'), SecureBytes(kr.data(), kSharedSecretSize)};
    pke_encrypt(u8(ek), u8(m), kr.data() + 32, reinterpret_cast<std::uint8_t*>(out.ciphertext.data()));
    return out;
}

Encapsulation encapsulate(std::string_view ek) {
    SecureBytes m = SecureBytes::random(kSeedPartSize);
    return encapsulate_internal(ek, m.view());
}

SecureBytes decapsulate(std::string_view dk, std::string_view ct) {
    if (ct.size() != kCiphertextSize) throw Error(ErrorCode::Generic, "ML-KEM: invalid ciphertext length");
    if (!decapsulation_key_is_valid(dk)) throw Error(ErrorCode::Generic, "ML-KEM: invalid decapsulation key");
    const std::uint8_t* dk_pke = u8(dk);
    const std::uint8_t* ek = dk_pke + kPkeSecretSize;
    const std::uint8_t* h = ek + kEncapsulationKeySize;
    const std::uint8_t* z = h + 32;
    SecureBytes m(32), kr(64), rejection(kSharedSecretSize);
    pke_decrypt(dk_pke, u8(ct), m.data());
    hash("SHA3-512", {{m.data(), 32}, {h, 32}}, kr.data(), 64);
    hash("SHAKE256", {{z, 32}, bytes(ct)}, rejection.data(), kSharedSecretSize);
    std::string again(kCiphertextSize, '\0');
    pke_encrypt(ek, m.data(), kr.data() + 32, reinterpret_cast<std::uint8_t*>(again.data()));
    // Implicit rejection: keep K' only when re-encryption reproduces ct, chosen by a mask.
    auto keep = static_cast<std::uint8_t>(0u - static_cast<unsigned>(CRYPTO_memcmp(again.data(), ct.data(), kCiphertextSize) == 0));
    SecureBytes out(kSharedSecretSize);
    for (std::size_t i = 0; i < kSharedSecretSize; ++i)
        out.data()[i] = static_cast<std::uint8_t>((kr.data()[i] & keep) | (rejection.data()[i] & ~keep));
    wipe(again);  // derived from the decrypted message
    return out;
}

}  // namespace sopskit::mlkem
