// The top-level subcommands each add_*_command(s) function of commands.hpp registers. main adds
// a group only when one of its names is an argument (help and the docs commands get them all),
// so a subcommand missing here could not be run: Startup.CommandGroupsListEverySubcommand
// compares this list with `sopskit --help`.
#pragma once
#include <string_view>

namespace sopskit::cli::command_groups {

inline constexpr std::string_view kKeygen[] = {"keygen"};
inline constexpr std::string_view kKeymgmt[] = {"updatekeys", "set", "unset", "filestatus"};
inline constexpr std::string_view kEditExec[] = {"edit", "exec-env", "exec-file", "groups"};
inline constexpr std::string_view kSecret[] = {"create", "deploy-key"};
inline constexpr std::string_view kDecryptor[] = {"build", "decrypt-manifests", "krm"};
inline constexpr std::string_view kPublish[] = {"publish"};
inline constexpr std::string_view kKeyservice[] = {"keyservice"};
inline constexpr std::string_view kAudit[] = {"audit"};
inline constexpr std::string_view kKmsEmulator[] = {"kms-emulator"};
// These describe every command (man pages, completion scripts): they need the whole tree.
inline constexpr std::string_view kDocs[] = {"completion", "manpage"};
// main's own: encrypt, decrypt, rotate.
inline constexpr std::string_view kFile[] = {"encrypt", "decrypt", "rotate"};

}  // namespace sopskit::cli::command_groups
