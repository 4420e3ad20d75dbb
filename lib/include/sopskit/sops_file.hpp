// Whole-file operations: encrypt a plain document, decrypt a SOPS file.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <optional>

#include "sopskit/error.hpp"
#include "sopskit/cipher.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/metadata.hpp"

namespace sopskit {

struct EncryptRequest {
    Format input_format = Format::Yaml;
    Format output_format = Format::Yaml;
    StoreOptions store;
    CryptRules rules;  // empty: sops' default (unencrypted_suffix _unencrypted)
    std::vector<std::vector<Recipient>> key_groups;  // one group for the usual case
    int shamir_threshold = 0;
};

// Encrypts a plain document. Throws Error(FileAlreadyEncrypted) when it already carries sops
// metadata, Error(NoEncryptionKeyFound) when no recipient is given.
std::string encrypt_document(std::string_view plaintext, const EncryptRequest& req, KeyRing& ring);

// A decrypted file, with the metadata it carried and its data key (for re-encryption).
struct DecryptedFile {
    Branches branches;
    Metadata metadata;
    SecureBytes data_key;
    IvStash ivs;  // to keep unchanged values' ciphertext when re-encrypting
};

struct DecryptOptions {
    bool ignore_mac = false;
    // Keep each value's IV in DecryptedFile::ivs (edit, set: unchanged values keep their
    // ciphertext). A plain decrypt turns this off: it costs a hash entry per value.
    bool remember_ivs = true;
};

// Parses a SOPS file, unwraps its data key through the ring, decrypts and checks the MAC.
DecryptedFile decrypt_document(std::string_view file, Format format, const KeyRing& ring,
                               const DecryptOptions& opts = {}, const StoreOptions& store = {});

// The same with a known data key (tests, caches).
DecryptedFile decrypt_document_with_key(std::string_view file, Format format, SecureBytes data_key,
                                        const DecryptOptions& opts = {}, const StoreOptions& store = {});

// Encrypts `branches` with an existing data key and metadata (keys already wrapped), sets
// lastmodified and the MAC, and emits the file.
std::string encrypt_with_metadata(Branches branches, Metadata md, const SecureBytes& data_key, Format output_format,
                                  const StoreOptions& store = {}, const IvStash* reuse = nullptr);

// Whether the first document carries a top-level `sops` entry (dotenv: sops_ keys).
bool has_sops_metadata(const Branches& branches, Format format);

}  // namespace sopskit

namespace sopskit {

// One file of a batch: its result, or the error it failed with.
struct BatchResult {
    std::optional<DecryptedFile> file;
    std::optional<Error> error;
};

// Decrypts independent files concurrently with one key ring (`threads` 0: one per core).
// Results come back in input order; one file's failure does not stop the others.
std::vector<BatchResult> decrypt_documents(const std::vector<std::string_view>& files, Format format,
                                           const KeyRing& ring, const DecryptOptions& opts = {}, unsigned threads = 0);

}  // namespace sopskit
