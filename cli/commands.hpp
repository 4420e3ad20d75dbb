// Subcommands other than encrypt/decrypt register themselves here.
#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace sopskit::cli {

// Set by a subcommand's parse callback; main runs it.
using Runner = std::function<int()>;

void add_keygen_command(CLI::App& app, Runner& runner);
void add_keymgmt_commands(CLI::App& app, Runner& runner);
void add_edit_exec_commands(CLI::App& app, Runner& runner);
void add_secret_commands(CLI::App& app, Runner& runner);
void add_decryptor_commands(CLI::App& app, Runner& runner);
void add_docs_commands(CLI::App& app, Runner& runner);
void add_publish_command(CLI::App& app, Runner& runner);
void add_keyservice_command(CLI::App& app, Runner& runner);
void add_audit_command(CLI::App& app, Runner& runner);
void add_kms_emulator_command(CLI::App& app, Runner& runner, int argc, char** argv);

}  // namespace sopskit::cli
