// sopskit keyservice: sops' key service server (same flags and defaults), answering with this
// host's keys; TLS, a client policy, an access log and a concurrency bound go beyond sops.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>

#include "commands.hpp"
#include "keyring_setup.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keyservice.hpp"

namespace sopskit::cli {

void add_keyservice_command(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<KeyServiceServerOptions>();
    CLI::App* cmd = app.add_subcommand("keyservice", "Start a SOPS key service server (sops' gRPC KeyService) with this host's keys");
    cmd->add_option("--network,--net", o->network, "Network to listen on: tcp or unix")->capture_default_str();
    cmd->add_option("--address,--addr", o->address, "Address to listen on, e.g. 127.0.0.1:5000 or /run/sops.sock")->capture_default_str();
    cmd->add_flag("--prompt", o->prompt, "Ask on the terminal before answering each request");
    cmd->add_flag("--verbose", o->verbose, "Accepted for sops compatibility (every call is logged to stderr)");
    cmd->add_option("--tls-cert", o->tls_cert_file, "Serve TLS with this certificate (PEM; with --tls-key)");
    cmd->add_option("--tls-key", o->tls_key_file, "The private key of --tls-cert (PEM)");
    cmd->add_option("--client-ca", o->client_ca_file, "Require client certificates signed by this CA (PEM): mutual TLS");
    cmd->add_option("--policy", o->policy_file, "YAML file: which clients may use which keys for which operations (docs/keyservice.md)");
    cmd->add_option("--max-concurrency", o->max_concurrency, "Calls handled at once; more are refused with RESOURCE_EXHAUSTED (0: no bound)")
        ->check(CLI::NonNegativeNumber);
    cmd->callback([&runner, o] {
        runner = [o] {
            // Blocked before any thread starts (key sources, gRPC), so that only the server's
            // stopper thread takes SIGTERM/SIGINT and calls in flight can finish.
            sigset_t stop_signals;
            sigemptyset(&stop_signals);
            sigaddset(&stop_signals, SIGTERM);
            sigaddset(&stop_signals, SIGINT);
            pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
            if (const char* delay = std::getenv("SOPSKIT_KEYSERVICE_TEST_DELAY_MS"); delay && *delay)
                o->injected_delay = std::chrono::milliseconds(std::strtol(delay, nullptr, 10));
            KeyRing ring = make_user_keyring();
            run_key_service(ring, *o);
            return 0;
        };
    });
}

}  // namespace sopskit::cli
