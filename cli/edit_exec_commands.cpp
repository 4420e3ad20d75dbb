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
#include "commands.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keymgmt.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace sopskit::cli {

namespace {

// --- a private temporary folder that goes away on every exit path ---------------------------

char g_temp_dir[4096];
char g_temp_file[4096];

void remove_temp_now() {
    if (g_temp_file[0]) ::unlink(g_temp_file);
    if (g_temp_dir[0]) ::rmdir(g_temp_dir);
}

extern "C" void on_fatal_signal(int sig) {
    remove_temp_now();  // unlink/rmdir are async-signal-safe
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

// Even SIGKILL must not leave the plaintext behind: a small guardian process waits on a pipe
// whose only writer is this process (close-on-exec, so the editor does not hold it). When the
// pipe closes, however we died, it overwrites and removes the file. It ignores the terminal's
// signals so a Ctrl-C on the group cannot kill it first. Only async-signal-safe calls after fork.
void start_guardian() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(ErrorCode::CannotWriteOutput, "cannot create the temporary file's guardian");
    pid_t pid = ::fork();
    if (pid < 0) throw Error(ErrorCode::CannotWriteOutput, "cannot create the temporary file's guardian");
    if (pid == 0) {
        struct sigaction ignore{};
        ignore.sa_handler = SIG_IGN;
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::sigaction(sig, &ignore, nullptr);
        for (int fd = 0; fd < 1024; ++fd)
            if (fd != fds[0]) ::close(fd);  // keep no one's pipes open (a caller may wait for EOF)
        char byte;
        while (::read(fds[0], &byte, 1) != 0) {
        }
        int fd = ::open(g_temp_file, O_WRONLY);
        if (fd >= 0) {
            static const char zeros[4096] = {};
            off_t size = ::lseek(fd, 0, SEEK_END);
            ::lseek(fd, 0, SEEK_SET);
            for (off_t done = 0; done < size;) {
                ssize_t n = ::write(fd, zeros, static_cast<std::size_t>(std::min<off_t>(size - done, sizeof zeros)));
                if (n <= 0) break;
                done += n;
            }
            ::fsync(fd);
            ::close(fd);
        }
        remove_temp_now();
        ::_exit(0);
    }
    ::close(fds[0]);
    // fds[1] stays open, unused, until this process ends.
}

class PrivateTempFile {
public:
    explicit PrivateTempFile(const std::string& basename) {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sopskit-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw Error(ErrorCode::CannotWriteOutput, "cannot create a private temporary folder");
        dir_ = pattern;
        path_ = dir_ + "/" + basename;
        std::snprintf(g_temp_dir, sizeof g_temp_dir, "%s", dir_.c_str());
        std::snprintf(g_temp_file, sizeof g_temp_file, "%s", path_.c_str());
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, on_fatal_signal);
        start_guardian();
    }
    ~PrivateTempFile() {
        // Overwrite before unlinking: the plaintext should not linger in freed blocks.
        std::error_code ec;
        auto size = fs::file_size(path_, ec);
        if (!ec && size > 0) {
            int fd = ::open(path_.c_str(), O_WRONLY);
            if (fd >= 0) {
                std::string zeros(static_cast<std::size_t>(size), '\0');
                (void)!::write(fd, zeros.data(), zeros.size());
                ::close(fd);
            }
        }
        remove_temp_now();
        g_temp_dir[0] = g_temp_file[0] = '\0';
    }
    const std::string& path() const { return path_; }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_, path_;
};

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

int run_shell(const std::string& command, const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv_s{"/bin/sh", "-c", command, "sh"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execve("/bin/sh", argv.data(), environ);
        _exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string find_editor() {
    for (const char* var : {"SOPS_EDITOR", "EDITOR"})
        if (const char* e = std::getenv(var); e && *e) return e;
    for (const char* candidate : {"vim", "nano", "vi"})
        if (run_shell(std::string("command -v ") + candidate + " >/dev/null 2>&1") == 0) return candidate;
    throw Error(ErrorCode::NoEditorFound, "no editor found: set $SOPS_EDITOR or $EDITOR");
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
    std::string editor = find_editor();

    bool exists = fs::exists(o.file);
    DecryptedFile dec;
    std::string plain;
    if (exists) {
        DecryptOptions dopts;
        dopts.ignore_mac = o.ignore_mac;
        dec = decrypt_document(read_input(o.file), f.in, ring, dopts, store);
        plain = emit_plain(f.in, dec.branches, store);
    }
    PrivateTempFile temp(fs::path(o.file).filename().string());
    write_private(temp.path(), plain);
    std::string original = plain;
    wipe(plain);
    while (true) {
        int rc = run_shell(editor + " \"$1\"", {temp.path()});
        if (rc != 0) throw Error(ErrorCode::NoEditorFound, "Could not run editor: exit status " + std::to_string(rc));  // sops' text and 201
        std::string edited = read_input(temp.path());
        if (edited == original) {
            wipe(edited);
            throw Error(ErrorCode::FileHasNotBeenModified, "File has not changed, exiting.");
        }
        Branches branches;
        try {
            branches = load_plain(f.in, edited, store);
            wipe(edited);
        } catch (const Error& err) {
            wipe(edited);
            if (!::isatty(0))
                throw Error(ErrorCode::Generic, std::string("Could not load tree, probably due to invalid syntax; the file is unchanged: ") + err.what());
            std::cerr << "Could not load tree, probably due to invalid syntax: " << err.what()
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
        atomic_write(o.file, out);
        wipe(original);
        return 0;
    }
}

// --- exec-env / exec-file ---------------------------------------------------------------------

struct ExecOptions {
    FileOptions file;
    std::string command;
    bool no_fifo = false;
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

int run_exec_env(ExecOptions& x) {
    finish_file_options(x.file);
    if (x.background && x.same_process)
        throw Error(ErrorCode::ConflictingParameters, "Error: The --same-process flag cannot be used with --background");
    Format format;
    DecryptedFile dec = decrypt_for_exec(x.file, format);
    if (dec.branches.empty()) throw Error(ErrorCode::NeedAtLeastOneDocument, "the file has no document");
    // sops refuses what an environment cannot hold rather than skipping it.
    std::vector<std::string> values;
    for (const auto& item : dec.branches.front()) {
        if (item.value.kind == Kind::Map || item.value.kind == Kind::List)
            throw Error(ErrorCode::Generic, "cannot use complex value in environment; offending key " + item.key.text);
        if (item.is_comment()) continue;
        if (item.key.text.find('=') != std::string::npos)
            throw Error(ErrorCode::Generic, "cannot use keys with '=' in environment: " + item.key.text);
        std::string v = item.value.kind == Kind::String ? item.value.text : emit_value(Format::Json, item.value);
        values.push_back(item.key.text + "=" + v);
    }
    std::vector<std::string> user_env;
    // --same-process: sopskit itself becomes the command (sops' syscall.Exec).
    pid_t pid = x.same_process ? 0 : ::fork();
    if (pid < 0) throw Error(ErrorCode::Generic, "cannot start the command");
    if (pid == 0) {
        try {
            if (!x.user.empty()) user_env = switch_user(x.user);
        } catch (const Error& e) {
            if (x.same_process) throw;
            std::cerr << e.what() << "\n";
            _exit(1);
        }
        std::vector<std::string> env_s;
        if (!x.pristine)
            for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
        env_s.insert(env_s.end(), user_env.begin(), user_env.end());
        env_s.insert(env_s.end(), values.begin(), values.end());
        std::vector<char*> envp;
        for (auto& e : env_s) envp.push_back(e.data());
        envp.push_back(nullptr);
        const char* argv[] = {"sh", "-c", x.command.c_str(), nullptr};
        ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
        if (x.same_process) throw Error(ErrorCode::Generic, std::string("cannot run /bin/sh: ") + std::strerror(errno));
        _exit(127);
    }
    if (x.background) return 0;  // sops' cmd.Start(): the command goes on alone
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_exec_file(ExecOptions& x) {
    finish_file_options(x.file);
    Format format;
    DecryptedFile dec = decrypt_for_exec(x.file, format);
    Formats f = formats_for(x.file, x.file.file);
    std::string plain = emit_plain(f.out, dec.branches, store_options(x.file));
    PrivateTempFile temp(x.filename);
    std::string command = x.command;
    for (std::size_t p; (p = command.find("{}")) != std::string::npos;) command.replace(p, 2, "\"$1\"");
    if (x.no_fifo) {
        write_private(temp.path(), plain);
        wipe(plain);
        return run_shell(command, {temp.path()});
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
    int rc = run_shell(command, {temp.path()});
    child_done = true;
    // Unblock a writer still waiting for a reader that never came.
    int fd = ::open(temp.path().c_str(), O_RDONLY | O_NONBLOCK);
    writer.join();
    if (fd >= 0) ::close(fd);
    wipe(plain);
    return rc;
}

// --- groups ----------------------------------------------------------------------------------

struct GroupOptions {
    FileOptions file;
    std::string path;
    // sops' StringSliceFlags: each repetition is one key (age: one entry, comma-separated allowed)
    std::vector<std::string> age, pgp, kms, gcp_kms, azure_kv, hc_vault_transit;
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
        out = add_key_group(bytes, f, ring, group, o.shamir_threshold, store_options(o));
    } else {
        out = delete_key_group(bytes, f, ring, g.index, o.shamir_threshold, store_options(o));
    }
    if (g.in_place) atomic_write(g.path, out);
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
    e->callback([&runner] { runner = [] { return run_edit(edit); }; });

    static ExecOptions env_opts, file_opts;
    CLI::App* xe = app.add_subcommand("exec-env", "Run a command with the file's top-level values as environment variables");
    xe->add_option("file", env_opts.file.file, "The encrypted file")->required();
    xe->add_option("command", env_opts.command, "The command, run with /bin/sh -c")->required();
    xe->add_flag("--ignore-mac", env_opts.file.ignore_mac, "Ignore the MAC");
    xe->add_option("--input-type", env_opts.file.input_type, "Input format");
    xe->add_flag("--pristine", env_opts.pristine, "Give the command only the file's values, not sopskit's environment");
    xe->add_flag("--same-process", env_opts.same_process, "Replace sopskit with the command instead of running it as a child");
    xe->add_flag("--background", env_opts.background, "Start the command and return at once (deprecated in sops)");
    xe->add_option("--user", env_opts.user, "Run the command as this user");
    xe->add_option("--decryption-order", env_opts.file.decryption_order, "Key kinds to try first, comma-separated");
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
    ga->add_option("--shamir-secret-sharing-threshold", add_opts.file.shamir_threshold, "Groups needed to decrypt");
    ga->add_flag("-i,--in-place", add_opts.in_place, "Write the file in place");
    ga->callback([&runner] { runner = [] { return run_groups(add_opts, true); }; });
    CLI::App* gd = groups->add_subcommand("delete", "Delete the key group at INDEX");
    gd->add_option("-f,--file", del_opts.path, "The encrypted file")->required();
    gd->add_option("index", del_opts.index, "Index of the group (0-based)")->required();
    gd->add_option("--shamir-secret-sharing-threshold", del_opts.file.shamir_threshold, "Groups needed to decrypt");
    gd->add_flag("-i,--in-place", del_opts.in_place, "Write the file in place");
    gd->callback([&runner] { runner = [] { return run_groups(del_opts, false); }; });
}

}  // namespace sopskit::cli
