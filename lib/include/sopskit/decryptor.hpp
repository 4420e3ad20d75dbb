// The controller-side decryptor: Flux's reconcile-time SOPS decryption as a library.
//
//   auto keys = DecryptionKeys::from_secret_manifest(secret_yaml);   // once per key set
//   Decryptor d(keys, {.cache = &cache});                             // cache kept across reconciles
//   std::string out = d.decrypt_manifests(built_stream);              // phase 2
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sopskit/fileio.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/tree.hpp"

namespace sopskit {

// Keys from a Flux decryption Secret: `*.asc` PGP keys (imported once into an isolated GnuPG
// home), `*.agekey` age identities, and the exact names sops.vault-token, sops.aws-kms,
// sops.azure-kv, sops.gcp-kms (kept for the KMS providers); anything else is ignored.
struct DecryptionKeys {
    KeyRing ring;
    std::string fingerprint;  // SHA-256 of the entries: caches never cross key sets
    std::optional<std::string> vault_token, aws_kms, azure_kv, gcp_kms;
    std::optional<std::string> vault_allowlist;  // sops.vault-allowlist: where vault_token may go
    // sops.* entry -> "<ns>/<name>" of the Secret that gave it, for the credential import errors
    std::map<std::string, std::string> credential_secrets;

    // `secret` names the Secret in errors ("<ns>/<name>"). Throws Error in Flux's shape:
    // failed to import '<entry>' data from sops decryption Secret '<ns>/<name>': <cause>.
    static std::shared_ptr<DecryptionKeys> from_entries(const std::map<std::string, std::string>& entries,
                                                        const std::string& secret = "");
    // A Secret manifest (YAML): `data` (base64) and `stringData` both count.
    static std::shared_ptr<DecryptionKeys> from_secret_manifest(std::string_view yaml);

    // Several decryption Secrets as one key set: every PGP and age key of each. A `sops.*`
    // credential entry may come from one Secret only (two would leave the choice to chance).
    // Each text may hold several Secret documents; errors name the Secret of the entry.
    static std::shared_ptr<DecryptionKeys> from_secret_manifests(const std::vector<std::string>& yamls);
    // The controller's global age Secret (Flux's --sops-age-secret), used for a Kustomization
    // whose spec.decryption has no secretRef: its `*.agekey` entries only, everything else is
    // ignored; errors read "failed to import '<entry>' data from sops SOPS age decryption
    // Secret '<ns>/<name>': <cause>".
    static std::shared_ptr<DecryptionKeys> from_global_age_secret_manifest(std::string_view yaml);
};

// A bounded cache of unwrapped data keys, keyed by the wrapped key material and the key set,
// with a time-to-live. Entries live in locked memory and are zeroed on eviction. Thread-safe.
class DataKeyCache {
public:
    explicit DataKeyCache(std::size_t max_entries = 10000, std::chrono::seconds ttl = std::chrono::hours(1));
    std::optional<SecureBytes> get(const std::string& id);
    void put(const std::string& id, const SecureBytes& key);
    std::size_t size() const;
    std::size_t hits() const { return hits_; }

private:
    struct Entry {
        SecureBytes key;
        std::chrono::steady_clock::time_point expires;
        std::list<std::string>::iterator lru;
    };
    void evict_oldest();
    mutable std::mutex mu_;
    std::size_t max_;
    std::chrono::seconds ttl_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> order_;  // most recent first
    std::size_t hits_ = 0;
};

struct DecryptorOptions {
    bool check_mac = false;           // Flux never checks it (kustomize rewrites resources)
    DataKeyCache* cache = nullptr;    // optional, kept by the caller across reconciles
    unsigned threads = 0;             // documents decrypted in parallel; 0: one per core
    // false: a Kustomization without spec.decryption (or with a provider other than sops), as
    // Flux treats it: phase 1 and phase 2 leave every file and resource as it is.
    bool decryption_configured = true;
    // Each resource also passes Flux's pre-apply guard (check_no_encrypted_secrets) once
    // decrypted: for callers that hand the result straight to kubectl apply.
    bool refuse_encrypted_secrets = false;
};

// A manifest stream in pieces: a reader fills up to `size` bytes of `buf` and returns how many
// (0 at the end); a writer is handed the decrypted stream, piece after piece, in order.
using ManifestReader = std::function<std::size_t(char* buf, std::size_t size)>;
using ManifestWriter = std::function<void(std::string_view piece)>;

class Decryptor {
public:
    Decryptor(std::shared_ptr<DecryptionKeys> keys, DecryptorOptions opts = {});

    // Phase 2 on a multi-document YAML stream (kustomize build output); returns the stream
    // with every SOPS resource decrypted. Throws Error with Flux's message shapes, naming the
    // resource and never its plaintext.
    std::string decrypt_manifests(std::string_view stream) const;
    // The same, streamed: memory stays at a batch of documents however long the stream (a
    // document longer than `max_document` bytes is refused), and the output is the same bytes.
    // A stream with a directive, "..." or content after "---" is held whole from the document
    // that has it (up to `max_document` bytes). On a failure, the documents of the batches
    // before the failing one have been written: a caller that must not act on part of a stream
    // holds what it is handed until this returns.
    void decrypt_manifests(const ManifestReader& read, const ManifestWriter& write,
                           std::size_t max_document = max_input_size()) const;
    // The same on parsed resources (each a document), in place.
    void decrypt_resources(Branches& resources) const;
    // A KRM function's work: a ResourceList in, the same list with its items decrypted out.
    std::string decrypt_resource_list(std::string_view resource_list) const;

    // Phase 1: decrypts in place the secretGenerator files/envs and patches of the
    // kustomization at `root`/`path` (and every kustomization it reaches), clamped to `root`:
    // paths resolve inside it as Flux's securejoin resolves them, through folder descriptors,
    // so a repository changing during the walk cannot redirect a write out of it. Thread-safe.
    void decrypt_sources(const std::string& root, const std::string& path) const;

private:
    void decrypt_resource(Branch& doc) const;
    void decrypt_resource_unguarded(Branch& doc) const;
    SecureBytes data_key_for(const Metadata& md) const;
    std::string decrypt_payload(std::string_view payload, Format in, Format out) const;
    std::shared_ptr<DecryptionKeys> keys_;
    DecryptorOptions opts_;
};

// The v1 Secret guard Flux applies before apply: throws when a Secret still carries `sops`
// (and is not opted out), with Flux's text "Secret/<ns>/<name> is SOPS encrypted, configuring
// decryption is required for this secret to be reconciled" ("Secret/<name>" without a namespace).
void check_no_encrypted_secrets(const Branches& resources);

}  // namespace sopskit
