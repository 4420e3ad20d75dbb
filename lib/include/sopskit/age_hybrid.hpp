// age's post-quantum hybrid keys (age 1.3, `age-keygen -pq`): ML-KEM-768 + X25519 ("X-Wing",
// the HPKE KEM MLKEM768-X25519). Recipients are age1pq1..., identities AGE-SECRET-KEY-PQ-1...,
// and files carry one `mlkem768x25519` stanza per recipient.
#pragma once
#include <string>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::age {

struct HybridIdentity {
    SecureBytes seed;             // the 32 bytes the identity string encodes
    SecureBytes mlkem_secret;     // ML-KEM-768 decapsulation key expanded from the seed
    SecureBytes x25519_secret;    // X25519 scalar expanded from the seed
    std::string public_key;       // ML-KEM-768 encapsulation key || X25519 point (1216 bytes)

    static HybridIdentity generate();
    static HybridIdentity from_seed(SecureBytes seed);
    // Parses AGE-SECRET-KEY-PQ-1...; throws Error (never quoting the text) when malformed.
    static HybridIdentity parse(std::string_view text);
    HybridIdentity clone() const;
    std::string encode() const;     // AGE-SECRET-KEY-PQ-1..., upper case
    std::string recipient() const;  // age1pq1...
};

// True for text that starts like a hybrid identity, so a parse error can name its kind.
bool looks_like_hybrid_identity(std::string_view text);

}  // namespace sopskit::age
