// sopskit kms-emulator: one local HTTPS server that speaks AWS KMS (+ STS, IMDSv2), Google Cloud
// KMS (+ OAuth token endpoint), Azure Key Vault (+ Azure AD token endpoint), HuaweiCloud KMS (SDK-HMAC-SHA256) and HashiCorp Vault
// transit (+ Vault KV v1/v2, also over plain HTTP), plus the S3 and GCS uploads of `sops publish`, with real cryptography and keys kept in a JSON state file. For offline tests of
// sopskit's KMS providers and of official SDKs; not a security boundary.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace sopskit::kms_emulator {

struct Options {
    std::string state_path;                // JSON state file (created with test credentials if missing)
    std::string host = "127.0.0.1";
    int port = 0;                          // 0: any free port
    std::string log_path;                  // one line per call; empty: standard error
    std::vector<std::string> fail_next;    // "service:status[:count]"
    std::vector<std::string> extra_names;  // more certificate SANs (DNS names or IPs)
    long long token_ttl_seconds = 0;       // >0 overrides the state file's token lifetime
    bool quiet = false;                    // no call log at all
    // Vault KV (v1 at kv/, v2 at secret/) also over plain HTTP, as `vault server -dev` serves
    // it, on this host and port (0: any free port); a negative port: not served.
    std::string vault_kv_host = "127.0.0.1";
    int vault_kv_port = -1;
};

class Emulator {
public:
    explicit Emulator(Options options);
    ~Emulator();
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    // Binds, then serves on a background thread. Throws when the address cannot be bound.
    void start();
    // Stops serving and joins the thread; safe to call twice.
    void stop();

    int port() const;
    std::string url() const;  // https://HOST:PORT
    const std::string& cert_pem() const;
    // http://HOST:PORT of the plain-HTTP Vault KV server; empty when it is not served.
    std::string vault_kv_url() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sopskit::kms_emulator
