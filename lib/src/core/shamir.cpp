// Shamir secret sharing over GF(2^8) in the layout sops uses for key groups (its shamir
// package): each share holds one y byte per secret byte followed by its x coordinate.
#include "core/shamir.hpp"

#include <sodium.h>

#include <array>
#include <set>

#include "sopskit/error.hpp"

namespace sopskit::detail {

namespace {

// log/exp tables for the AES field (x^8 + x^4 + x^3 + x + 1) with generator 3.
struct Field {
    std::array<std::uint8_t, 256> log{};
    std::array<std::uint8_t, 255> exp{};
    Field() {
        std::uint8_t x = 1;
        for (int i = 0; i < 255; ++i) {
            exp[i] = x;
            log[x] = static_cast<std::uint8_t>(i);
            // x *= 3
            std::uint8_t doubled = static_cast<std::uint8_t>((x << 1) ^ ((x & 0x80) ? 0x1B : 0));
            x = static_cast<std::uint8_t>(doubled ^ x);
        }
    }
    std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
        if (a == 0 || b == 0) return 0;
        return exp[(log[a] + log[b]) % 255];
    }
    std::uint8_t div(std::uint8_t a, std::uint8_t b) const {
        if (a == 0) return 0;
        return exp[(log[a] + 255 - log[b]) % 255];
    }
};

const Field& field() {
    static const Field f;
    return f;
}

// Evaluates the polynomial with these coefficients (intercept first) at x.
std::uint8_t evaluate(const std::vector<std::uint8_t>& coeffs, std::uint8_t x) {
    std::uint8_t result = 0;
    for (auto it = coeffs.rbegin(); it != coeffs.rend(); ++it) result = static_cast<std::uint8_t>(field().mul(result, x) ^ *it);
    return result;
}

}  // namespace

std::vector<SecureBytes> shamir_split(const SecureBytes& secret, int parts, int threshold) {
    if (parts < threshold || threshold < 2 || parts > 255 || secret.empty())
        throw Error(ErrorCode::Generic, "could not split data key into parts for Shamir: invalid threshold or number of parts");
    // Distinct non-zero x coordinates in random order.
    std::vector<std::uint8_t> xs;
    std::set<std::uint8_t> used;
    while (static_cast<int>(xs.size()) < parts) {
        std::uint8_t x = static_cast<std::uint8_t>(randombytes_uniform(255) + 1);
        if (used.insert(x).second) xs.push_back(x);
    }
    std::vector<SecureBytes> shares;
    for (int i = 0; i < parts; ++i) {
        shares.emplace_back(secret.size() + 1);
        shares.back().data()[secret.size()] = xs[i];
    }
    std::vector<std::uint8_t> coeffs(static_cast<std::size_t>(threshold));
    for (std::size_t b = 0; b < secret.size(); ++b) {
        coeffs[0] = secret.data()[b];
        randombytes_buf(coeffs.data() + 1, coeffs.size() - 1);
        for (int i = 0; i < parts; ++i) shares[i].data()[b] = evaluate(coeffs, xs[i]);
    }
    sodium_memzero(coeffs.data(), coeffs.size());
    return shares;
}

SecureBytes shamir_combine(const std::vector<SecureBytes>& shares) {
    if (shares.size() < 2) throw Error(ErrorCode::CouldNotRetrieveKey, "could not get data key from shamir parts: less than two parts");
    std::size_t len = shares[0].size();
    if (len < 2) throw Error(ErrorCode::CouldNotRetrieveKey, "could not get data key from shamir parts: parts too short");
    std::set<std::uint8_t> xs;
    for (const auto& s : shares) {
        if (s.size() != len) throw Error(ErrorCode::CouldNotRetrieveKey, "could not get data key from shamir parts: parts differ in length");
        if (!xs.insert(s.data()[len - 1]).second)
            throw Error(ErrorCode::CouldNotRetrieveKey, "could not get data key from shamir parts: duplicate part detected");
    }
    const Field& f = field();
    SecureBytes secret(len - 1);
    for (std::size_t b = 0; b + 1 < len; ++b) {
        std::uint8_t result = 0;
        for (std::size_t i = 0; i < shares.size(); ++i) {
            std::uint8_t xi = shares[i].data()[len - 1];
            std::uint8_t basis = 1;
            for (std::size_t j = 0; j < shares.size(); ++j) {
                if (i == j) continue;
                std::uint8_t xj = shares[j].data()[len - 1];
                basis = f.mul(basis, f.div(xj, static_cast<std::uint8_t>(xi ^ xj)));  // (0 - xj)/(xi - xj)
            }
            result = static_cast<std::uint8_t>(result ^ f.mul(shares[i].data()[b], basis));
        }
        secret.data()[b] = result;
    }
    return secret;
}

}  // namespace sopskit::detail
