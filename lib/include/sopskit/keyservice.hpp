// sops' key services: the data key wrapped and unwrapped by a sops-compatible gRPC server
// (`sops keyservice`, `sopskit keyservice`) instead of, or after, this process's own keys.
// gRPC lives in a separate module loaded only when a remote key service is actually called.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "sopskit/keys.hpp"

namespace sopskit {

struct KeyServiceClientOptions {
    bool local = true;              // sops' --enable-local-keyservice: this process's keys first
    std::vector<std::string> uris;  // sops' --keyservice: tcp://host:port, unix:///path; tried in order
    std::chrono::milliseconds timeout{30'000};  // per call (also bounded by the unwrap budget)
    // TLS for sopskit's own server (sops' has none): a CA file turns TLS on; a certificate and
    // key file make it mutual.
    std::string tls_ca_file, tls_cert_file, tls_key_file, tls_server_name;
};

// Routes every key kind of the ring through the key services in sops' order: the local one
// (the ring's own source) when enabled, then each URI; the first that answers wins. The ring
// is replaced (its decryption order and limits are the defaults again: set them after).
void use_key_services(KeyRing& ring, const KeyServiceClientOptions& options);

struct KeyServiceServerOptions {
    std::string network = "tcp";
    std::string address = "127.0.0.1:5000";
    bool prompt = false;   // ask on the terminal before answering each call (sops' --prompt)
    bool verbose = false;  // also log successful calls' details
    std::string tls_cert_file, tls_key_file, client_ca_file;
    std::string policy_file;  // who may use which key for what; empty: anyone, anything (as sops)
    int max_concurrency = 0;
    std::chrono::milliseconds injected_delay{0};  // tests only (SOPSKIT_KEYSERVICE_TEST_DELAY_MS)
};

// Serves sops' KeyService with the ring's keys until SIGTERM/SIGINT; logs to stderr (one line
// per call, never key material). Throws Error when it cannot start.
void run_key_service(KeyRing& ring, const KeyServiceServerOptions& options);

// True when this build has key service support and its module can be loaded.
bool key_service_support_available();

}  // namespace sopskit
