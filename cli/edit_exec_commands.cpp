// edit, exec-env, exec-file and groups: commands that hand plaintext to another program.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli_support.hpp"
#include "core/command_words.hpp"
#include "commands.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keymgmt.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/private_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace sopskit::cli {

namespace {

// --- a plaintext file in a private folder that goes away on every exit path --------------------

// The file lives alone in a PrivateDir (sopskit-edit-PID-XXXXXX): when sopskit ends, however
// it ends, every file in that folder is overwritten and removed, so an editor's backup, swap
// or autosave files (`file~`, `.file.swp`, `.save`) beside it go too.
class PrivateTempFile {
public:
    explicit PrivateTempFile(const std::string& basename)
        : dir_(PrivateDir::create("sopskit-edit")), path_(dir_->path() + "/" + basename) {}
    const std::string& path() const { return path_; }

private:
    std::unique_ptr<PrivateDir> dir_;
    std::string path_;
};

// The name the editor sees: the file's own (editors pick syntax by it), unless it could
// escape the folder or clash with the folder's lock.
std::string edit_file_name(const std::string& file) {
    std::string name = fs::path(file).filename().string();
    if (name.empty() || name == "." || name == ".." || name.rfind(".sopskit", 0) == 0) return "tmp-file";
    return name;
}

void write_private(const std::string& path, std::string_view data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ErrorCode::CannotWriteOutput, "cannot write the temporary file");
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n <= 0) {
            ::close(fd);
            throw Error(ErrorCode::CannotWriteOutput, "cannot write the temporary file");
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(fd);
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `sh -c command sh args...` with the environment `env` and waits for it.
int run_shell(const std::string& command, const std::vector<std::string>& args, std::vector<std::string>& env) {
    std::vector<std::string> argv_s{"/bin/sh", "-c", command, "sh"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execve("/bin/sh", argv.data(), envp.data());
        _exit(127);
    }
    return wait_for(pid);
}

// `overrides` (NAME=value entries) replace the same names in `env`, or are added: one entry per
// name, the last one given winning, as Go's os/exec hands sops' commands their environment.
void apply_overrides(std::vector<std::string>& env, const std::vector<std::string>& overrides) {
    for (const auto& entry : overrides) {
        std::string_view name = std::string_view(entry).substr(0, entry.find('='));
        std::erase_if(env, [&](const std::string& e) { return std::string_view(e).substr(0, e.find('=')) == name; });
        env.push_back(entry);
    }
}

// sops starts a --background command without its standard streams (os/exec gives it
// /dev/null), so whoever reads sops' output is not kept waiting for that command.
void detach_standard_streams() {
    int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) _exit(1);
    for (int target = 0; target <= 2; ++target) ::dup2(fd, target);
    if (fd > 2) ::close(fd);
}

// $SOPS_EDITOR or $EDITOR split into words (never through a shell), else vim, nano or vi.
std::vector<std::string> find_editor() {
    for (const char* var : {"SOPS_EDITOR", "EDITOR"}) {
        const char* e = std::getenv(var);
        if (!e || !*e) continue;
        auto words = detail::split_command_words(e);
        if (!words) throw Error(ErrorCode::NoEditorFound, std::string("invalid $") + var + ": an unterminated quote or a trailing backslash");
        if (words->empty()) continue;
        return *words;
    }
    for (const char* candidate : {"vim", "nano", "vi"})
        if (std::string path = find_program(candidate); !path.empty()) return {path};
    throw Error(ErrorCode::NoEditorFound, "no editor found: set $SOPS_EDITOR or $EDITOR");
}

// Runs the editor's words with the file appended, as a program (looked up on PATH like a
// shell would), with the terminal.
int run_editor(const std::vector<std::string>& editor, const std::string& file) {
    std::vector<std::string> argv_s = editor;
    argv_s.push_back(file);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw Error(ErrorCode::NoEditorFound, "could not start the editor");
    if (pid == 0) {
        ::execvp(argv[0], argv.data());
        _exit(127);
    }
    return wait_for(pid);
}

// --- edit ------------------------------------------------------------------------------------

struct EditOptions {
    FileOptions file;
};

int run_edit(EditOptions& e) {
    finish_file_options(e.file);
    const FileOptions& o = e.file;
    if (o.file.empty()) throw Error(ErrorCode::NoFileSpecified, "no file specified");
    Formats f = formats_for(o, o.file);
    StoreOptions store = store_options(o);
    KeyRing ring = keyring_for(o);
    std::vector<std::string> editor = find_editor();

    bool exists = fs::exists(o.file);
    DecryptedFile dec;
    std::string plain;
    // -s: the values in clear with the `sops` metadata beside them, as sops shows them. The
    // metadata is for reading: sops 3.13.2 loses every edit made in this mode, sopskit keeps the
    // edited values and the file's own metadata (keys change through rotate and updatekeys).
    const bool show_metadata = o.show_master_keys && exists;
    Value shown_metadata;
    if (exists) {
        DecryptOptions dopts;
        dopts.ignore_mac = o.ignore_mac;
        dec = decrypt_document(read_input(o.file), f.in, ring, dopts, store);
        if (show_metadata) {
            plain = emit_encrypted(f.in, dec.branches, serialize_metadata(dec.metadata), store);
            shown_metadata = load_encrypted(f.in, plain, store).metadata;
        } else {
            plain = emit_plain(f.in, dec.branches, store);
        }
    }
    PrivateTempFile temp(edit_file_name(o.file));
    write_private(temp.path(), plain);
    std::string original = plain;
    wipe(plain);
    while (true) {
        int rc = run_editor(editor, temp.path());
        if (rc == 127) throw Error(ErrorCode::NoEditorFound, "could not run the editor '" + editor.front() + "'; the file is unchanged");
        if (rc != 0) throw Error(ErrorCode::NoEditorFound, "Could not run editor: exit status " + std::to_string(rc));  // sops' text and 201
        std::string edited = read_input(temp.path());
        if (edited == original) {
            wipe(edited);
            throw Error(ErrorCode::FileHasNotBeenModified, "File has not changed, exiting.");
        }
        Branches branches;
        try {
            if (show_metadata) {
                SplitFile split = load_encrypted(f.in, edited, store);
                if (!(split.metadata == shown_metadata))
                    std::cerr << (sops_style_errors() ? "" : "sopskit: ")
                              << "changes to the sops metadata are not applied; the file keeps its keys (use rotate or updatekeys)\n";
                branches = std::move(split.branches);
            } else {
                branches = load_plain(f.in, edited, store);
            }
            wipe(edited);
        } catch (const Error& err) {
            wipe(edited);
            if (!::isatty(0))
                throw Error(ErrorCode::Generic, std::string("Could not load tree, probably due to invalid syntax; the file is unchanged: ") + err.what());
            std::cerr << "Could not load tree, probably due to invalid syntax: " << escape_control_chars(err.what())
                      << "\nPress Enter to return to the editor, or Ctrl+C to exit." << std::endl;
            std::string line;
            std::getline(std::cin, line);
            continue;
        }
        std::string out;
        if (exists) {
            out = encrypt_with_metadata(std::move(branches), std::move(dec.metadata), dec.data_key, f.out, store, &dec.ivs);
        } else {
            // A new file: keys from the flags or .sops.yaml, as encrypt takes them.
            std::string text = emit_plain(f.in, branches, store);
            out = encrypt_for_path(o, o.file, text, ring);
            wipe(text);
        }
        write_output(o.file, out, Privacy::Shared);
        wipe(original);
        return 0;
    }
}

// --- exec-env / exec-file ---------------------------------------------------------------------

struct ExecOptions {
    FileOptions file;
    std::string command;
    bool no_fifo = false;
    bool allow_unsafe_env = false;
    bool pass_age_key = false;
    std::string filename = "tmp-file";
    // exec-env, as sops: an environment of the file's values only, exec in place of sopskit,
    // do not wait, run as another user.
    bool pristine = false;
    bool same_process = false;
    bool background = false;
    std::string user;
};

// sops' SwitchUser and UserEnv: the user's groups and ids, HOME/USER/LOGNAME for its environment.
std::vector<std::string> switch_user(const std::string& name) {
    struct passwd* pw = ::getpwnam(name.c_str());
    if (!pw) throw Error(ErrorCode::Generic, "user: unknown user " + name);
    std::vector<std::string> env{std::string("HOME=") + pw->pw_dir, "USER=" + name, "LOGNAME=" + name};
    if (::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)
        throw Error(ErrorCode::Generic, "cannot switch to user " + name + ": " + std::strerror(errno));
    return env;
}

DecryptedFile decrypt_for_exec(const FileOptions& o, Format& format) {
    format = formats_for(o, o.file).in;
    KeyRing ring = keyring_for(o);
    DecryptOptions dopts;
    dopts.ignore_mac = o.ignore_mac;
    return decrypt_document(read_input(o.file), format, ring, dopts, store_options(o));
}

// Variables that change how the command itself is loaded or run, rather than handing it a value:
// the dynamic loader's, the shell's start-up hooks, interpreters' option and library paths, and
// sops'/sopskit's own key settings (a file must not redirect where a nested sopskit finds keys).
// Anyone with the recipients' public keys can make a file that decrypts; it must not turn
// `exec-env FILE 'cmd'` into running code of its choosing.
bool changes_how_programs_run(const std::string& name) {
    static const char* const kPrefixes[] = {"LD_", "DYLD_", "BASH_FUNC_", "MALLOC_", "SOPS_", "SOPSKIT_"};
    static const char* const kNames[] = {"PATH",        "IFS",          "ENV",           "BASH_ENV",   "CDPATH",
                                         "SHELLOPTS",   "BASHOPTS",     "PS4",           "GLIBC_TUNABLES",
                                         "GCONV_PATH",  "LOCPATH",      "NLSPATH",       "HOSTALIASES", "RES_OPTIONS",
                                         "LOCALDOMAIN", "PYTHONPATH",   "PYTHONSTARTUP", "PYTHONHOME", "PERL5LIB",
                                         "PERL5OPT",    "PERLLIB",      "RUBYOPT",       "RUBYLIB",    "NODE_OPTIONS",
                                         "NODE_PATH",   "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "GIT_SSH_COMMAND", "GIT_EXEC_PATH"};
    for (const char* p : kPrefixes)
        if (name.rfind(p, 0) == 0) return true;
    for (const char* n : kNames)
        if (name == n) return true;
    return false;
}

// The command's environment: ours (without SOPS_AGE_KEY unless asked: the key itself is not
// the command's business), then the file's top-level scalar values, which win.
std::vector<std::string> exec_environment(const Branch& values, const ExecOptions& x) {
    std::vector<std::pair<std::string, std::string>> from_file;
    for (const auto& item : values) {
        if (item.is_comment()) continue;
        const std::string& name = item.key.text;
        // sops refuses what an environment cannot hold rather than skipping it (its texts).
        if (item.value.kind == Kind::Map || item.value.kind == Kind::List)
            throw Error(ErrorCode::Generic, "cannot use complex value in environment; offending key " + name);
        if (name.find('=') != std::string::npos) throw Error(ErrorCode::Generic, "cannot use keys with '=' in environment: " + name);
        if (name.empty() || name.find('\0') != std::string::npos)
            throw Error(ErrorCode::Generic, "exec-env: the key '" + name + "' cannot be an environment variable name");
        if (!x.allow_unsafe_env && changes_how_programs_run(name))
            throw Error(ErrorCode::Generic, "exec-env: the file sets " + name +
                                                ", which changes how programs run; refused (--allow-unsafe-env allows it)");
        std::string v = item.value.kind == Kind::String ? item.value.text : emit_value(Format::Json, item.value);
        from_file.emplace_back(name, std::move(v));
    }
    std::vector<std::string> env;
    for (char** e = environ; !x.pristine && *e; ++e) {  // --pristine: the file's values only
        std::string_view entry = *e;
        std::string_view name = entry.substr(0, entry.find('='));
        if (name == "SOPS_AGE_KEY" && !x.pass_age_key) continue;
        bool overridden = false;
        for (const auto& kv : from_file) overridden = overridden || kv.first == name;
        if (!overridden) env.emplace_back(entry);
    }
    for (auto& [name, value] : from_file) {
        env.push_back(name + "=" + value);
        wipe(value);
    }
    return env;
}

int run_exec_env(ExecOptions& x) {
    finish_file_options(x.file);
    if (x.background && x.same_process)
        throw Error(ErrorCode::ConflictingParameters, "Error: The --same-process flag cannot be used with --background");
    Format format;
    DecryptedFile dec = decrypt_for_exec(x.file, format);
    if (dec.branches.empty()) throw Error(ErrorCode::NeedAtLeastOneDocument, "the file has no document");
    std::vector<std::string> env = exec_environment(dec.branches.front(), x);
    // --same-process: sopskit itself becomes the command (sops' syscall.Exec).
    pid_t pid = x.same_process ? 0 : ::fork();
    if (pid < 0) throw Error(ErrorCode::Generic, "cannot start the command");
    if (pid == 0) {
        try {
            if (!x.user.empty()) apply_overrides(env, switch_user(x.user));
        } catch (const Error& e) {
            if (x.same_process) throw;
            std::cerr << e.what() << "\n";
            _exit(1);
        }
        if (x.background) detach_standard_streams();
        std::vector<char*> envp;
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        const char* argv[] = {"sh", "-c", x.command.c_str(), nullptr};
        ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
        if (x.same_process) throw Error(ErrorCode::Generic, std::string("cannot run /bin/sh: ") + std::strerror(errno));
        _exit(127);
    }
    for (auto& e : env) wipe(e);
    if (x.background) return 0;  // sops' cmd.Start(): the command goes on alone
    return wait_for(pid);
}

// Go's filepath.IsLocal, which sops applies to --filename: relative, and never leaving the
// folder through "..". Anything else would put the plaintext (and its removal) elsewhere.
bool is_local_path(const std::string& path) {
    if (path.empty() || path[0] == '/') return false;
    int depth = 0;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = std::min(path.find('/', start), path.size());
        std::string_view part(path.data() + start, end - start);
        if (part == "..") {
            if (--depth < 0) return false;
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
        start = end + 1;
    }
    return true;
}

// Hands `plain` to the command at {} (a FIFO, or a file with --no-fifo) in a private folder,
// waits for the command and removes the folder.
int feed_command(const ExecOptions& x, std::string& plain, std::vector<std::string>& env) {
    PrivateTempFile temp(x.filename);
    std::string command = x.command;
    for (std::size_t p; (p = command.find("{}")) != std::string::npos;) command.replace(p, 2, "\"$1\"");
    if (x.no_fifo) {
        write_private(temp.path(), plain);
        wipe(plain);
        return run_shell(command, {temp.path()}, env);
    }
    // A FIFO: the plaintext only ever exists in the pipe.
    if (::mkfifo(temp.path().c_str(), 0600) != 0) throw Error(ErrorCode::CannotWriteOutput, "cannot create the FIFO");
    std::atomic<bool> child_done{false};
    std::thread writer([&] {
        int fd = -1;
        while (!child_done && (fd = ::open(temp.path().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (fd < 0) return;
        int flags = ::fcntl(fd, F_GETFL);
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        std::string_view rest = plain;
        while (!rest.empty()) {
            ssize_t n = ::write(fd, rest.data(), rest.size());
            if (n <= 0) break;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        ::close(fd);
    });
    ::signal(SIGPIPE, SIG_IGN);
    int rc = run_shell(command, {temp.path()}, env);
    child_done = true;
    // Unblock a writer still waiting for a reader that never came.
    int fd = ::open(temp.path().c_str(), O_RDONLY | O_NONBLOCK);
    writer.join();
    if (fd >= 0) ::close(fd);
    wipe(plain);
    return rc;
}

int run_exec_file(ExecOptions& x) {
    finish_file_options(x.file);
    if (x.filename.empty()) x.filename = "tmp-file";  // sops' fallback name
    if (!is_local_path(x.filename)) throw Error(ErrorCode::Generic, "The provided filename is not a local path.");
    Format format;
    DecryptedFile dec = decrypt_for_exec(x.file, format);
    Formats f = formats_for(x.file, x.file.file);
    std::string plain = emit_plain(f.out, dec.branches, store_options(x.file));
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    // --user: as sops, the whole process becomes the user once the file is decrypted (with the
    // caller's keys), so the private folder and FIFO are the user's and the command can open them.
    if (!x.user.empty()) apply_overrides(env, switch_user(x.user));
    if (x.background) {
        // sops starts the command and returns. Here a child of ours stays to feed the FIFO and
        // removes the folder once the command ends (sops removes it at once, under the command).
        pid_t pid = ::fork();
        if (pid < 0) throw Error(ErrorCode::Generic, "cannot start the command");
        if (pid > 0) {
            wipe(plain);
            return 0;
        }
        detach_standard_streams();
        int rc = 1;
        try {
            rc = feed_command(x, plain, env);
        } catch (...) {
        }
        _exit(rc);
    }
    return feed_command(x, plain, env);
}

// --- groups ----------------------------------------------------------------------------------

struct GroupOptions {
    FileOptions file;
    std::string path;
    // sops' StringSliceFlags: each repetition is one key (age: one entry, comma-separated allowed)
    std::vector<std::string> age, pgp, kms, gcp_kms, azure_kv, hc_vault_transit, hckms;
    std::string aws_profile, encryption_context;
    std::size_t index = 0;
    bool in_place = false;
};

int run_groups(GroupOptions& g, bool add) {
    FileOptions& o = g.file;
    o.file = g.path;
    KeyRing ring = keyring_for(o);
    Format f = formats_for(o, g.path).in;
    std::string bytes = read_input(g.path);
    std::string out;
    if (add) {
        std::vector<Recipient> group;
        for (const auto& a : g.age)
            for (const auto& r : split_list(a)) group.push_back({"age", r, {}});
        for (const auto& fp : g.pgp) group.push_back({"pgp", fp, {}});
        for (const auto& arn : g.kms)
            for (auto& r : cloud_recipients(arn, g.aws_profile, g.encryption_context, "", "", "")) group.push_back(std::move(r));
        for (const auto& id : g.gcp_kms)
            for (auto& r : cloud_recipients("", "", "", id, "", "")) group.push_back(std::move(r));
        for (const auto& url : g.azure_kv)
            for (auto& r : cloud_recipients("", "", "", "", url, "")) group.push_back(std::move(r));
        for (const auto& uri : g.hc_vault_transit)
            for (auto& r : cloud_recipients("", "", "", "", "", uri)) group.push_back(std::move(r));
        for (const auto& id : g.hckms)
            for (auto& r : hckms_cloud_recipients(id)) group.push_back(std::move(r));
        out = add_key_group(bytes, f, ring, group, o.shamir_threshold, store_options(o));
    } else {
        out = delete_key_group(bytes, f, ring, g.index, o.shamir_threshold, store_options(o));
    }
    if (g.in_place) write_output(g.path, out, Privacy::Shared);
    else std::cout << out;
    return 0;
}

}  // namespace

int run_legacy_edit(const FileOptions& o) {
    EditOptions e;
    e.file = o;
    return run_edit(e);
}

void add_edit_exec_commands(CLI::App& app, Runner& runner) {
    static EditOptions edit;
    CLI::App* e = app.add_subcommand("edit", "Decrypt into a private temporary file, run $SOPS_EDITOR/$EDITOR, re-encrypt if changed");
    add_file_options(*e, edit.file, true);
    e->add_flag("-s,--show-master-keys", edit.file.show_master_keys,
                "Show the file's sops metadata (master keys) in the editor, read-only");
    e->callback([&runner] { runner = [] { return run_edit(edit); }; });

    static ExecOptions env_opts, file_opts;
    CLI::App* xe = app.add_subcommand("exec-env", "Run a command with the file's top-level values as environment variables");
    xe->add_option("file", env_opts.file.file, "The encrypted file")->required();
    xe->add_option("command", env_opts.command, "The command, run with /bin/sh -c")->required();
    xe->add_flag("--ignore-mac", env_opts.file.ignore_mac, "Ignore the MAC");
    xe->add_flag("--allow-unsafe-env", env_opts.allow_unsafe_env,
                 "Let the file set variables that change how programs run (LD_*, PATH, BASH_ENV, SOPS_*, ...), as sops does");
    xe->add_flag("--pass-age-key", env_opts.pass_age_key, "Pass $SOPS_AGE_KEY on to the command, as sops does");
    xe->add_option("--input-type", env_opts.file.input_type, "Input format");
    xe->add_flag("--pristine", env_opts.pristine, "Give the command only the file's values, not sopskit's environment");
    xe->add_flag("--same-process", env_opts.same_process, "Replace sopskit with the command instead of running it as a child");
    xe->add_flag("--background", env_opts.background, "Start the command and return at once (deprecated in sops)");
    xe->add_option("--user", env_opts.user, "Run the command as this user");
    xe->add_option("--decryption-order", env_opts.file.decryption_order, "Key kinds to try first, comma-separated");
    add_keyservice_flags(*xe, env_opts.file);
    xe->callback([&runner] { runner = [] { return run_exec_env(env_opts); }; });
    CLI::App* xf = app.add_subcommand("exec-file", "Run a command with the decrypted file at {} (a FIFO unless --no-fifo)");
    xf->add_option("file", file_opts.file.file, "The encrypted file")->required();
    xf->add_option("command", file_opts.command, "The command; {} is replaced by the plaintext's path")->required();
    xf->add_flag("--no-fifo", file_opts.no_fifo, "Use a private temporary file instead of a FIFO");
    xf->add_option("--filename", file_opts.filename, "Name of the temporary file or FIFO")->capture_default_str();
    xf->add_flag("--ignore-mac", file_opts.file.ignore_mac, "Ignore the MAC");
    xf->add_option("--input-type", file_opts.file.input_type, "Input format");
    xf->add_option("--output-type", file_opts.file.output_type, "Format of the plaintext handed to the command");
    xf->add_option("--decryption-order", file_opts.file.decryption_order, "Key kinds to try first, comma-separated");
    add_keyservice_flags(*xf, file_opts.file);
    xf->add_flag("--background", file_opts.background, "Start the command and return at once (deprecated in sops)");
    xf->add_option("--user", file_opts.user, "Run the command as this user (sopskit switches to it after decrypting)");
    xf->callback([&runner] { runner = [] { return run_exec_file(file_opts); }; });

    static GroupOptions add_opts, del_opts;
    CLI::App* groups = app.add_subcommand("groups", "Add or delete key groups (Shamir secret sharing)");
    groups->require_subcommand(1);
    CLI::App* ga = groups->add_subcommand("add", "Add a key group");
    ga->add_option("-f,--file", add_opts.path, "The encrypted file")->required();
    ga->add_option("--age", add_opts.age, "age recipient(s) of the new group (repeatable)");
    ga->add_option("--pgp", add_opts.pgp, "PGP fingerprint of the new group (repeatable)");
    ga->add_option("--kms", add_opts.kms, "AWS KMS ARN[+ROLE] of the new group (repeatable)");
    ga->add_option("--aws-profile", add_opts.aws_profile, "AWS profile for the --kms keys");
    ga->add_option("--encryption-context", add_opts.encryption_context, "AWS KMS encryption context, k:v,k2:v2");
    ga->add_option("--gcp-kms", add_opts.gcp_kms, "GCP Cloud KMS resource ID of the new group (repeatable)");
    ga->add_option("--azure-kv", add_opts.azure_kv, "Azure Key Vault key URL of the new group (repeatable)");
    ga->add_option("--hc-vault-transit", add_opts.hc_vault_transit, "Vault transit key URI of the new group (repeatable)");
    ga->add_option("--hckms", add_opts.hckms, "HuaweiCloud KMS key ID (region:key-uuid) of the new group (repeatable)");
    ga->add_option("--shamir-secret-sharing-threshold", add_opts.file.shamir_threshold, "Groups needed to decrypt");
    ga->add_flag("-i,--in-place", add_opts.in_place, "Write the file in place");
    add_keyservice_flags(*ga, add_opts.file);
    ga->callback([&runner] { runner = [] { return run_groups(add_opts, true); }; });
    CLI::App* gd = groups->add_subcommand("delete", "Delete the key group at INDEX");
    gd->add_option("-f,--file", del_opts.path, "The encrypted file")->required();
    gd->add_option("index", del_opts.index, "Index of the group (0-based)")->required();
    gd->add_option("--shamir-secret-sharing-threshold", del_opts.file.shamir_threshold, "Groups needed to decrypt");
    gd->add_flag("-i,--in-place", del_opts.in_place, "Write the file in place");
    add_keyservice_flags(*gd, del_opts.file);
    gd->callback([&runner] { runner = [] { return run_groups(del_opts, false); }; });
}

}  // namespace sopskit::cli
