// A key file of gpg-agent's private-keys-v1.d/<KEYGRIP>.key, read for the one case the PGP key
// source handles without the agent: an unprotected Curve25519 (ECDH) or RSA key. Both of the
// agent's formats: "Name: value" lines (gpg 2.2.20 on; the Key value an advanced-syntax
// S-expression over continuation lines) and the older file holding one canonical S-expression.
// Anything else (a protected or shadowed key, another curve, a Confirm: attribute, a malformed
// file) is nullopt: the agent decides, as before.
#pragma once
#include <optional>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::detail::gpg_agent {

struct UnprotectedKey {
    enum class Kind { Curve25519, Rsa } kind = Kind::Curve25519;
    // Curve25519: q (0x40 || X) and d, as libgcrypt stores them (d big-endian).
    // RSA: n, e, d, p, q, u (p < q, u = p^-1 mod q), big-endian, maybe with a zero in front.
    SecureBytes q, d, n, e, p, rsa_q, u;
};

constexpr std::size_t kMaxKeyFile = 64 << 10;  // a 16384-bit RSA key in hex is under 20 KiB

// `file`: the key file's bytes (at most kMaxKeyFile).
std::optional<UnprotectedKey> read_unprotected_key(std::string_view file);

}  // namespace sopskit::detail::gpg_agent
