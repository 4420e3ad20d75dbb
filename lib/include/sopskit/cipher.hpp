// The value envelope: ENC[AES256_GCM,data:...,iv:...,tag:...,type:...].
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <string_view>
#include <utility>
#include <vector>

#include "sopskit/secure.hpp"
#include "sopskit/tree.hpp"

namespace sopskit {

// The bytes sops encrypts and hashes for a scalar (sops.ToBytes): ints in decimal, floats as
// Go's 'f' shortest form, bools as True/False, times as RFC 3339, comments as their text.
std::string value_bytes(const Value& v);

// The IVs of decrypted values, keyed by additional data, type and plaintext, so that
// re-encrypting a file (set, edit) leaves unchanged values byte-identical, as sops' cipher does.
class IvStash {
public:
    IvStash() = default;
    IvStash(IvStash&&) noexcept = default;
    IvStash& operator=(IvStash&&) noexcept = default;
    ~IvStash();
    void remember(std::string_view additional_data, const Value& plain, std::string iv);
    // The IV to reuse, or empty.
    std::string_view find(std::string_view additional_data, const Value& plain) const;

private:
    static std::string key_of(std::string_view additional_data, const Value& plain);
    std::unordered_map<std::string, std::string> entries_;
};

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
    // The same envelope appended to `out`, for writers that build one large output: `bytes`
    // is the value as value_bytes gives it, `kind` its type. Appends nothing for an empty
    // string or comment.
    void encrypt_append(std::string& out, Kind kind, std::string_view bytes, std::string_view additional_data,
                        std::string_view iv = {}) const;

    // Decrypts an envelope; "" gives an empty string. Throws Error(ErrorDecryptingTree) when
    // the envelope is malformed or does not authenticate.
    // `iv_out`, when given, receives the envelope's raw IV (to stash for re-encryption).
    Value decrypt(std::string_view envelope, std::string_view additional_data, std::string* iv_out = nullptr) const;

    // The IV of an envelope (raw bytes), or empty when it is not an envelope.
    static std::string envelope_iv(std::string_view envelope);
    // Whether a string has the envelope's shape.
    static bool is_envelope(std::string_view s);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sopskit
