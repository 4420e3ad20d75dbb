// sopskit kms-emulator: one local HTTPS server that speaks AWS KMS (+ STS, IMDSv2), Google Cloud
// KMS (+ OAuth token endpoint), Azure Key Vault (+ Azure AD token endpoint) and HashiCorp Vault
// transit, with real cryptography and keys kept in a JSON state file. For offline tests of
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

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sopskit::kms_emulator
