// The SOPS rules: which values are encrypted, their additional data, and the MAC.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/cipher.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/tree.hpp"

namespace sopskit {

// Decides, as sops' shouldBeEncrypted does, whether the value at a path is encrypted.
class EncryptionPolicy {
public:
    explicit EncryptionPolicy(const CryptRules& rules);  // throws Error on a bad regex
    ~EncryptionPolicy();
    EncryptionPolicy(EncryptionPolicy&&) noexcept;
    bool should_encrypt(const std::vector<std::string_view>& path,
                        const std::vector<std::vector<std::string_view>>& comments, bool is_comment) const;
    bool mac_only_encrypted() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Encrypts every value the rules select, in place, and returns the MAC (upper-case hex
// SHA-512 over the plaintext bytes in walk order, as sops' Tree.Encrypt computes it).
// `reuse`, when given, supplies IVs for values unchanged since decryption (edit/set).
std::string encrypt_branches(Branches& branches, const CryptRules& rules, const ValueCipher& cipher,
                             const IvStash* reuse = nullptr);

// Decrypts in place and returns the MAC computed over the plaintext; records IVs in `record`.
std::string decrypt_branches(Branches& branches, const CryptRules& rules, const ValueCipher& cipher,
                             IvStash* record = nullptr);

// The MAC envelope: the hex MAC encrypted with `lastmodified` as additional data.
std::string encrypt_mac(const std::string& mac_hex, const std::string& last_modified, const ValueCipher& cipher);

// The file's MAC compared with the computed one in constant time, leaving the wording to the
// caller (sops' in verify_mac, Flux's in the decryptor). `why` gets the decryption error of an
// Undecryptable MAC.
enum class MacCheck { Match, Missing, Undecryptable, Mismatch };
MacCheck check_mac(const std::string& mac_envelope, const std::string& last_modified, const std::string& computed_hex,
                   const ValueCipher& cipher, std::string* why = nullptr);

// Checks the file's MAC against the computed one in constant time. Throws Error(MacMismatch)
// when it differs, cannot be decrypted, or is missing.
void verify_mac(const std::string& mac_envelope, const std::string& last_modified, const std::string& computed_hex,
                const ValueCipher& cipher);

}  // namespace sopskit
