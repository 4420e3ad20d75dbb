// What every protocol handler shares: the key store, issued tokens, pending faults.
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <httplib.h>

#include "faults.hpp"
#include "key_store.hpp"
#include "tokens.hpp"

namespace sopskit::kms_emulator {

// Vault KV secrets, in memory: v1 (mount kv/) by path, v2 (mount secret/) by path and version.
struct VaultKv {
    std::mutex mu;
    std::map<std::string, nlohmann::json> v1;
    std::map<std::string, std::vector<nlohmann::json>> v2;  // {"data", "metadata"} per version, oldest first
    std::size_t size() const;
};

// Uploaded objects, in memory: S3 and GCS, each by "bucket/name".
struct ObjectStore {
    std::mutex mu;
    std::map<std::string, std::string> s3, gcs;
};

struct Context {
    explicit Context(const std::string& state_path) : keys(state_path) {}
    KeyStore keys;
    TokenRegistry tokens;
    Faults faults;
    VaultKv kv;
    ObjectStore objects;
    std::string base_url;  // https://127.0.0.1:PORT, known once listening

    long long token_ttl() const {
        long long o = tokens.ttl_override();
        return o > 0 ? o : keys.token_ttl_seconds();
    }
};

// What one call did, for the log line. Never holds plaintext, ciphertext or tokens.
struct Call {
    std::string service;
    std::string operation;
    std::string key;
};

}  // namespace sopskit::kms_emulator
