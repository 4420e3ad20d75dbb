#include "command_line.hpp"

namespace sopskit::kms_emulator {

void add_command_options(CLI::App& cmd, CommandLine& o) {
    cmd.add_option("--state", o.options.state_path, "JSON state file with keys and test credentials (created 0600 if missing)")->required();
    cmd.add_option("--listen", o.listen, "Address to listen on; port 0 picks a free port")->capture_default_str();
    cmd.add_option("--cert-out", o.cert_out, "Write the generated self-signed certificate (PEM) to this file");
    cmd.add_option("--ready-file", o.ready_file, "Write https://HOST:PORT to this file once serving");
    cmd.add_option("--log", o.options.log_path, "Append the call log here instead of standard error");
    cmd.add_option("--fail-next", o.options.fail_next,
                   "Inject failures: SERVICE:STATUS[:COUNT] (service aws, sts, gcp, azure, vault, token or *)");
    cmd.add_option("--san", o.options.extra_names, "Extra DNS name or IP for the certificate");
    cmd.add_option("--vault-kv-listen", o.vault_kv_listen,
                   "Also serve Vault KV (v1 at kv/, v2 at secret/) over plain HTTP on HOST:PORT, as `vault server -dev` does");
    cmd.add_option("--vault-kv-ready-file", o.vault_kv_ready_file, "Write http://HOST:PORT of the Vault KV server to this file once serving");
    cmd.add_option("--token-ttl", o.options.token_ttl_seconds, "Lifetime in seconds of tokens issued (overrides the state file)");
}

}  // namespace sopskit::kms_emulator
