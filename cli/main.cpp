// sopskit: the command line. sops' subcommands and legacy flags over the sopskit library.
#include <sys/prctl.h>
#include <sys/resource.h>

#include <openssl/crypto.h>

#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "argv_names.hpp"
#include "cli_support.hpp"
#include "command_groups.hpp"
#include "commands.hpp"
#include "file_options.hpp"
#include "sopskit/error.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/version.hpp"

namespace {

// A secrets tool must not leave plaintext in core files.
void disable_core_dumps() {
    struct rlimit none{0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

std::string file_label(const sopskit::cli::FileOptions& o) { return o.file.empty() || o.file == "-" ? "<stdin>" : o.file; }

// Run under the name `sops` (a symlink or a copy), sopskit is a drop-in: --version and error
// lines read exactly as sops 3.13.2 prints them, for scripts that parse them. Under its own name
// it says both versions and names the file in its errors.
bool invoked_as_sops(const char* argv0) {
    std::string_view name = argv0 ? argv0 : "";
    if (auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
    return name == "sops";
}

// Whether any of `names` is an argument.
template <size_t N>
bool names_any(const sopskit::cli::ArgvNames& wanted, const std::string_view (&names)[N]) {
    for (std::string_view name : names)
        if (wanted.has_word(name)) return true;
    return false;
}

int run_command_line(int argc, char** argv, bool whole_tree);

}  // namespace

int main(int argc, char** argv) {
    disable_core_dumps();
    // OpenSSL without reading openssl.cnf and without its clean-up at exit: they were 8% and 5%
    // of a small decrypt's instructions, and sopskit's own crypto needs only the default
    // provider. TLS for cloud KMS reads the file when libcurl is loaded (common/curl_library.cpp).
    // With SOPSKIT_LAZY_LIBCRYPTO libcrypto is opened, and started so, on its first use instead
    // (lazy_libcrypto.cpp): calling it here would open it at every start.
#ifndef SOPSKIT_LAZY_LIBCRYPTO
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr);
#endif
    return run_command_line(argc, argv, false);
}

namespace {

// Parses and runs one command line. `whole_tree`: register every subcommand and option, as
// help needs; otherwise only those the arguments name (below).
int run_command_line(int argc, char** argv, bool whole_tree) {
    using sopskit::cli::FileOptions;
    CLI::App app{"sopskit: encrypt and decrypt Kubernetes secrets in the SOPS format"};
    const bool as_sops = invoked_as_sops(argc > 0 ? argv[0] : nullptr);
    // sops prints "sops 3.13.2" and, unless told not to, the result of asking GitHub for a newer
    // release; sopskit never goes online, so it prints what sops --disable-version-check prints.
    app.set_version_flag("-v,--version", as_sops ? std::string("sops ") + sopskit::kSopsFormatVersion
                                                 : std::string("sopskit ") + sopskit::kVersion + " (drop-in for sops " +
                                                       sopskit::kSopsFormatVersion + ")");
    app.require_subcommand(0, 1);

    sopskit::cli::sops_style_errors() = as_sops;

    // Scripts run `sopskit decrypt F` or `sops -d F` hundreds of times: the parser then holds
    // only the subcommands whose names are arguments and the options the arguments name.
    // Building every command's options cost 10 M instructions (CLI11 checks each new option
    // against all earlier ones), three times a small decrypt. CLI11 only ever looks up the
    // names it is given, so it parses as with the whole tree. Help (also inside a cluster of
    // short flags, "-ih") and the docs commands, which describe every command, get everything.
    namespace groups = sopskit::cli::command_groups;
    const sopskit::cli::ArgvNames named(argc, argv);
    whole_tree = whole_tree || named.mentions("-h,--help") || names_any(named, groups::kDocs);
    const sopskit::cli::ArgvNames wanted = whole_tree ? sopskit::cli::ArgvNames() : named;
    auto option = [&](const char* names, auto& target, const char* description) {
        if (wanted.mentions(names)) app.add_option(names, target, description);
    };
    auto flag = [&](const char* names, bool& target, const char* description) {
        if (wanted.mentions(names)) app.add_flag(names, target, description);
    };

    // Legacy sops form: sopskit -e|-d [-i] FILE
    FileOptions legacy;
    bool legacy_encrypt = false, legacy_decrypt = false, legacy_rotate = false;
    std::string legacy_set;
    option("--set", legacy_set, "Set the value at INDEX: '[\"key\"] VALUE' (legacy form of 'set'; writes the file)");
    flag("-e,--encrypt", legacy_encrypt, "Encrypt the file (legacy form of 'encrypt')");
    flag("-d,--decrypt", legacy_decrypt, "Decrypt the file (legacy form of 'decrypt')");
    flag("-r,--rotate", legacy_rotate, "Rotate the data key (legacy form of 'rotate')");
    sopskit::cli::add_file_options(app, legacy, true, wanted);
    // sops asks GitHub for a newer release during --version when this is given; sopskit
    // never goes online, so it is accepted and changes nothing.
    static bool check_for_updates = false;
    flag("--check-for-updates", check_for_updates, "Accepted for sops compatibility (sopskit never checks online)");
    flag("-s,--show-master-keys", legacy.show_master_keys, "Edit mode: show the file's sops metadata (master keys) in the editor, read-only");

    FileOptions enc, dec, rot;
    auto add_file_command = [&](const char* name, const char* description, FileOptions& options) -> CLI::App* {
        if (!wanted.has_word(name)) return nullptr;
        CLI::App* command = app.add_subcommand(name, description);
        sopskit::cli::add_file_options(*command, options, true, wanted);
        return command;
    };
    CLI::App* encrypt = add_file_command("encrypt", "Encrypt a file and print the result (or write it with -i/--output)", enc);
    CLI::App* decrypt = add_file_command("decrypt", "Decrypt a file and print the result (or write it with -i/--output)", dec);
    CLI::App* rotate = add_file_command("rotate", "Generate a new data key and re-encrypt every value (recipients kept)", rot);

    sopskit::cli::Runner runner;
    if (names_any(wanted, groups::kKeygen)) sopskit::cli::add_keygen_command(app, runner);
    if (names_any(wanted, groups::kKeymgmt)) sopskit::cli::add_keymgmt_commands(app, runner);
    if (names_any(wanted, groups::kEditExec)) sopskit::cli::add_edit_exec_commands(app, runner);
    if (names_any(wanted, groups::kSecret)) sopskit::cli::add_secret_commands(app, runner);
    if (names_any(wanted, groups::kDecryptor)) sopskit::cli::add_decryptor_commands(app, runner);
    if (names_any(wanted, groups::kDocs)) sopskit::cli::add_docs_commands(app, runner);
    if (names_any(wanted, groups::kPublish)) sopskit::cli::add_publish_command(app, runner);
    if (names_any(wanted, groups::kKeyservice)) sopskit::cli::add_keyservice_command(app, runner);
    if (names_any(wanted, groups::kAudit)) sopskit::cli::add_audit_command(app, runner);
#ifdef SOPSKIT_WITH_KMS_EMULATOR
    if (names_any(wanted, groups::kKmsEmulator)) sopskit::cli::add_kms_emulator_command(app, runner, argc, argv);
#endif

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(sopskit::ErrorCode::Generic);
    }

    for (FileOptions* o : {&legacy, &enc, &dec, &rot}) sopskit::cli::finish_file_options(*o);
    sopskit::cli::root_options() = legacy;
    const FileOptions* current = &legacy;
    if (runner) {
        try {
            return runner();
        } catch (const sopskit::Error& e) {
            sopskit::cli::print_error(std::cerr, "", e, as_sops);
            return e.exit_code();
        } catch (const std::exception& e) {
            sopskit::cli::print_error(std::cerr, "", e, as_sops);
            return 1;
        }
    }
    try {
        if (encrypt && encrypt->parsed()) return sopskit::cli::run_encrypt(*(current = &enc));
        if (decrypt && decrypt->parsed()) return sopskit::cli::run_decrypt(*(current = &dec));
        if (rotate && rotate->parsed()) return sopskit::cli::run_rotate(*(current = &rot));
        if (!legacy_set.empty() && legacy_encrypt + legacy_decrypt + legacy_rotate == 0)
            return sopskit::cli::run_legacy_set(legacy, legacy_set);
        if (legacy_encrypt + legacy_decrypt + legacy_rotate > 1)
            throw sopskit::Error(sopskit::ErrorCode::ConflictingParameters, "-e, -d and -r cannot be used together");
        if (legacy_encrypt) return sopskit::cli::run_encrypt(legacy);
        if (legacy_decrypt) return sopskit::cli::run_decrypt(legacy);
        if (legacy_rotate) return sopskit::cli::run_rotate(legacy);
        // sops FILE: edit mode, as sops when none of -e, -d, -r, --set is given.
        if (!legacy.file.empty()) return sopskit::cli::run_legacy_edit(legacy);
        // Nothing to do: the help, of the whole tree. Parsing again with every command reads
        // the arguments as this parse did and ends here.
        if (!whole_tree) return run_command_line(argc, argv, true);
        std::cerr << app.help();
        return static_cast<int>(sopskit::ErrorCode::NoFileSpecified);
    } catch (const sopskit::Error& e) {
        sopskit::cli::print_error(std::cerr, file_label(*current), e, as_sops);
        return e.exit_code();
    } catch (const std::exception& e) {
        sopskit::cli::print_error(std::cerr, file_label(*current), e, as_sops);
        return 1;
    }
}

}  // namespace
