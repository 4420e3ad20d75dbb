// The value envelope: ENC[AES256_GCM,data:...,iv:...,tag:...,type:...].
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "sopskit/secure.hpp"
#include "sopskit/tree.hpp"

namespace sopskit {

// The bytes sops encrypts and hashes for a scalar (sops.ToBytes): ints in decimal, floats as
// Go's 'f' shortest form, bools as True/False, times as RFC 3339, comments as their text.
std::string value_bytes(const Value& v);

// AES-256-GCM with sops' 32-byte IVs, keyed once and reused for every value of a file.
class ValueCipher {
public:
    explicit ValueCipher(const SecureBytes& data_key);
    ~ValueCipher();
    ValueCipher(const ValueCipher&) = delete;
    ValueCipher& operator=(const ValueCipher&) = delete;

    // Encrypts a scalar or comment with the additional data (the path, "a:b:"). Empty strings
    // and empty comments stay empty, as in sops. `iv` may fix the IV (32 bytes) to keep
    // unchanged values' ciphertext stable; empty means a fresh random IV.
    std::string encrypt(const Value& v, std::string_view additional_data, std::string_view iv = {}) const;

    // Decrypts an envelope; "" gives an empty string. Throws Error(ErrorDecryptingTree) when
    // the envelope is malformed or does not authenticate.
    Value decrypt(std::string_view envelope, std::string_view additional_data) const;

    // The IV of an envelope (raw bytes), or empty when it is not an envelope.
    static std::string envelope_iv(std::string_view envelope);
    // Whether a string has the envelope's shape.
    static bool is_envelope(std::string_view s);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sopskit
