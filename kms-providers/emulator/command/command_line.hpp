// The emulator's command line, shared by `sopskit-kms-emulator` (which serves) and
// `sopskit kms-emulator` (which checks the arguments, gives help and runs the former).
#pragma once
#include <string>

#include <CLI/CLI.hpp>

#include "sopskit/kms/emulator.hpp"

namespace sopskit::kms_emulator {

struct CommandLine {
    Options options;
    std::string listen = "127.0.0.1:0";
    std::string cert_out;
    std::string ready_file;
    std::string vault_kv_listen;      // HOST:PORT of the plain-HTTP Vault KV server; empty: none
    std::string vault_kv_ready_file;  // gets http://HOST:PORT once that server is serving
};

inline constexpr const char* kCommandSummary =
    "Serve AWS KMS (+STS), GCP Cloud KMS, Azure Key Vault and Vault transit locally over HTTPS, for offline tests";

void add_command_options(CLI::App& command, CommandLine& line);

}  // namespace sopskit::kms_emulator
