// build, decrypt-manifests and krm: the controller-side decryptor from the command line.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <exception>
#include <iostream>
#include <new>
#include <string_view>
#include <vector>

#include "cli_support.hpp"
#include "core/command_words.hpp"
#include "commands.hpp"
#ifdef SOPSKIT_WITH_KMS
#include "sopskit/kms.hpp"
#endif
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/flux_build.hpp"
#include "sopskit/format.hpp"
#include "sopskit/private_dir.hpp"

namespace fs = std::filesystem;

namespace sopskit::cli {

namespace {

struct DecryptorFlags {
    std::vector<std::string> decryption_secrets;
    std::string sops_age_secret;
    bool no_decryption = false;
    bool check_mac = false;
    FileOptions fo;
    // Workload identity (kustomize-controller's spec.decryption.serviceAccountName and
    // --sops-vault-configmap, without an API server): see docs/decryptor.md.
    std::string service_account, token_file, token_command, vault_login_config;
    bool no_process_identity = false;
};

#ifdef SOPSKIT_WITH_KMS
std::string flag_or_env(const std::string& flag, const char* env) {
    if (!flag.empty()) return flag;
    const char* v = std::getenv(env);
    return v ? v : "";
}

// The identity a decryption key set uses for providers its Secret has no credential for.
kms::WorkloadIdentity workload_identity_for(const DecryptorFlags& f) {
    kms::WorkloadIdentity id;
    std::string token_file = flag_or_env(f.token_file, "SOPSKIT_SERVICE_ACCOUNT_TOKEN_FILE");
    std::string token_command = flag_or_env(f.token_command, "SOPSKIT_SERVICE_ACCOUNT_TOKEN_COMMAND");
    if (!token_file.empty() && !token_command.empty())
        throw Error(ErrorCode::Generic, "--service-account-token-file and --service-account-token-command exclude each other");
    if (!token_file.empty()) id.token = kms::token_source_from_file(token_file);
    if (!token_command.empty()) {
        auto words = detail::split_command_words(token_command);
        if (!words || words->empty()) throw Error(ErrorCode::Generic, "--service-account-token-command: cannot split the command into words");
        id.token = kms::token_source_from_command(*words);
    }
    std::string sa = flag_or_env(f.service_account, "SOPSKIT_DECRYPTION_SERVICE_ACCOUNT");
    if (!sa.empty()) {
        if (!id.token) throw Error(ErrorCode::Generic, "--decryption-service-account needs --service-account-token-file or --service-account-token-command");
        try {
            id.service_account = kms::service_account_from_manifest(read_input(sa));
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic, sa + ": " + e.what());
        }
    }
    std::string vault = flag_or_env(f.vault_login_config, "SOPSKIT_VAULT_LOGIN_CONFIG");
    if (!vault.empty()) {
        if (!id.token) throw Error(ErrorCode::Generic, "--vault-login-config needs --service-account-token-file or --service-account-token-command");
        try {
            id.vault_login_paths = kms::vault_login_paths_from(read_input(vault));
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic, vault + ": " + e.what());
        }
    }
    // As Flux: the controller's own identity unless a service account locks it out.
    id.process_identity = !f.no_process_identity && !std::getenv("SOPSKIT_NO_PROCESS_IDENTITY");
    return id;
}
#endif

// Flux's choice of keys: the Kustomization's secretRef (here one or more Secret files), else
// the controller's global age Secret, else (sopskit's own default) the user's keys as sops
// finds them. Without a decryption spec nothing is decrypted, so no key is loaded.
// A Secret manifest file; errors name it.
std::string read_secret_file(const std::string& path, const char* what) {
    try {
        return read_input(path);
    } catch (const Error& e) {
        throw Error(e.code(), std::string("cannot read the ") + what + " '" + path + "': " + e.what());
    }
}

std::shared_ptr<DecryptionKeys> keys_for(const DecryptorFlags& f) {
    if (f.no_decryption) {
        auto none = std::make_shared<DecryptionKeys>();
        none->fingerprint = "decryption-not-configured";
        return none;
    }
    std::vector<std::string> secrets = f.decryption_secrets;
    if (secrets.empty())
        if (const char* env = std::getenv("SOPSKIT_DECRYPTION_SECRET"); env && *env) secrets.push_back(env);
    if (!secrets.empty() || !f.sops_age_secret.empty()) {
        std::shared_ptr<DecryptionKeys> keys;
        if (secrets.empty()) {
            keys = DecryptionKeys::from_global_age_secret_manifest(read_secret_file(f.sops_age_secret, "SOPS age decryption Secret"));
        } else {
            std::vector<std::string> texts;
            for (const auto& s : secrets) texts.push_back(read_secret_file(s, "decryption Secret"));
            keys = texts.size() == 1 ? DecryptionKeys::from_secret_manifest(texts.front()) : DecryptionKeys::from_secret_manifests(texts);
            for (auto& t : texts) wipe(t);
        }
#ifdef SOPSKIT_WITH_KMS
        kms::add_flux_kms_sources(*keys, workload_identity_for(f));
#endif
        // The Secret's keys first (the local key service), then the operator's key services.
        KeyServiceClientOptions ks = key_service_options(f.fo);
        ks.local = true;
        use_key_services(keys->ring, ks);
        return keys;
    }
#ifdef SOPSKIT_WITH_KMS
    if (!flag_or_env(f.service_account, "SOPSKIT_DECRYPTION_SERVICE_ACCOUNT").empty()) {
        // Flux with serviceAccountName and no secretRef: the cloud keys of that account only.
        auto keys = DecryptionKeys::from_entries({}, "");
        kms::add_flux_kms_sources(*keys, workload_identity_for(f));
        return keys;
    }
#endif
    auto keys = std::make_shared<DecryptionKeys>();  // the user's own keys, as sops finds them
    keys->ring = keyring_for(f.fo);
    keys->fingerprint = "user-environment";
    return keys;
}

// `guard`: Flux's pre-apply check on each resource (the output goes to kubectl apply).
DecryptorOptions options_for(const DecryptorFlags& f, DataKeyCache* cache, bool guard) {
    DecryptorOptions o;
    o.check_mac = f.check_mac;
    o.cache = cache;
    o.decryption_configured = !f.no_decryption;
    o.refuse_encrypted_secrets = guard;
    return o;
}

void add_decryptor_flags(CLI::App& app, DecryptorFlags& f) {
    auto* secret = app.add_option("--decryption-secret", f.decryption_secrets,
                                  "A Flux decryption Secret manifest with the keys (*.asc, *.agekey, sops.*); repeat it (or put "
                                  "several Secret documents in one file) to combine their keys; default: your own keys "
                                  "(or $SOPSKIT_DECRYPTION_SECRET)")
                        ->allow_extra_args(false);
    app.add_option("--sops-age-secret", f.sops_age_secret,
                   "The controller's global age Secret (Flux's --sops-age-secret): its *.agekey entries are used when no "
                   "--decryption-secret is given");
    app.add_flag("--no-decryption", f.no_decryption,
                 "As a Kustomization without spec.decryption: nothing is decrypted, and a v1 Secret still encrypted is refused")
        ->excludes(secret);
    app.add_flag("--check-mac", f.check_mac, "Verify each document's MAC (Flux does not: kustomize rewrites resources)");
#ifdef SOPSKIT_WITH_KMS
    app.add_option("--decryption-service-account", f.service_account,
                   "A ServiceAccount manifest (Flux's spec.decryption.serviceAccountName): its annotations name the AWS role, "
                   "GCP provider/service account and Azure identity used for keys the decryption Secret has no credential for "
                   "(or $SOPSKIT_DECRYPTION_SERVICE_ACCOUNT)");
    app.add_option("--service-account-token-file", f.token_file,
                   "The service account's token, read again at each exchange (or $SOPSKIT_SERVICE_ACCOUNT_TOKEN_FILE)");
    app.add_option("--service-account-token-command", f.token_command,
                   "A command printing the service account's token, run without a shell; {audience} in it (and "
                   "$SOPSKIT_TOKEN_AUDIENCE) is the audience wanted (or $SOPSKIT_SERVICE_ACCOUNT_TOKEN_COMMAND)");
    app.add_option("--vault-login-config", f.vault_login_config,
                   "Flux's --sops-vault-configmap: a ConfigMap (or its config.yaml) mapping Vault addresses to login paths for "
                   "the Kubernetes login with the service account token (or $SOPSKIT_VAULT_LOGIN_CONFIG)");
    app.add_flag("--no-process-identity", f.no_process_identity,
                 "Never use this process's own cloud identity for keys the decryption Secret has no credential for "
                 "(or $SOPSKIT_NO_PROCESS_IDENTITY)");
#endif
    app.add_option("--keyservice", f.fo.keyservices,
                   "A sops key service to ask after the decryption keys, e.g. tcp://host:5000 (repeatable; also SOPS_KEYSERVICE)")
        ->allow_extra_args(false)
        ->delimiter(',')
        ->envname("SOPS_KEYSERVICE");
}

struct ManifestOptions {
    DecryptorFlags flags;
    std::vector<std::string> files;
    bool serve = false;
    std::size_t cache_size = 10000;
    long cache_ttl = 3600;
};

// The answer to a request that failed. A sopskit Error's message is written for users (it names
// the resource, never plaintext); other exceptions are named by kind only, since their text
// (a parser's or the standard library's) may quote the input.
std::string failure_answer(std::exception_ptr failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const Error& e) {
        return std::string("error: ") + e.what() + "\n";
    } catch (const std::bad_alloc&) {
        return "error: out of memory while decrypting this stream\n";
    } catch (const std::filesystem::filesystem_error&) {
        return "error: a file system error while decrypting this stream\n";
    } catch (...) {
        return "error: an internal error while decrypting this stream\n";
    }
}

// Long-running mode for controllers: NUL-terminated manifest streams in on stdin, each
// answered on stdout by its decrypted stream (or "error: <message>") and a NUL. Keys and the
// data-key cache live for the whole process, so repeated reconciles skip the unwrap. A request
// over the input limit is not buffered: its bytes are skipped up to its NUL and it is answered
// with an error; every failure is one request's answer, never the end of the server.
int serve_manifests(const ManifestOptions& m) {
    DataKeyCache cache(m.cache_size, std::chrono::seconds(m.cache_ttl));
    Decryptor d(keys_for(m.flags), options_for(m.flags, &cache, true));
    const std::size_t limit = max_input_size();
    std::string request;
    bool oversized = false;
    std::size_t served = 0;
    auto answer = [&] {
        std::string out;
        try {
            if (oversized)
                throw Error(ErrorCode::CannotReadInput, "request larger than the " + std::to_string(limit) +
                                                            "-byte input limit (SOPSKIT_MAX_INPUT_SIZE raises it)");
            out = d.decrypt_manifests(request);
        } catch (...) {
            wipe(out);
            out = failure_answer(std::current_exception());
        }
        std::cout << out << '\0' << std::flush;
        wipe(out);
        wipe(request);
        request.clear();
        oversized = false;
        ++served;
    };
    std::vector<char> buf(1 << 16);
    for (;;) {
        ssize_t n = ::read(0, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
        while (!chunk.empty()) {
            std::size_t nul = chunk.find('\0');
            std::string_view part = chunk.substr(0, nul);
            if (!oversized && request.size() + part.size() > limit) {
                oversized = true;  // drop what we have; skip the rest up to the NUL
                wipe(request);
                request.clear();
                request.shrink_to_fit();
            }
            if (!oversized) request.append(part);
            if (nul == std::string_view::npos) break;
            answer();
            chunk.remove_prefix(nul + 1);
        }
    }
    std::fill(buf.begin(), buf.end(), '\0');
    wipe(request);
    std::cerr << "sopskit: served " << served << " streams, " << cache.hits() << " data keys from the cache\n";
    return 0;
}

// The decrypted stream, held until every document is decrypted: a failure prints nothing, so
// `| kubectl apply -f -` never gets part of a stream (Flux applies all or nothing). Kept in
// blocks that are never reallocated (no stray plaintext copies in freed memory), and bounded
// by the input limit, since the stream read is not.
class HeldOutput {
public:
    explicit HeldOutput(std::size_t limit) : limit_(limit) {}
    ~HeldOutput() {
        for (auto& b : blocks_) wipe(b);
    }
    HeldOutput(const HeldOutput&) = delete;
    HeldOutput& operator=(const HeldOutput&) = delete;

    void append(std::string_view piece) {
        size_ += piece.size();
        if (size_ > limit_)
            throw Error(ErrorCode::CannotReadInput, "the decrypted stream is larger than the " + std::to_string(limit_) +
                                                        "-byte input limit (SOPSKIT_MAX_INPUT_SIZE raises it): it is held until every "
                                                        "document is decrypted");
        while (!piece.empty()) {
            if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity()) blocks_.emplace_back().reserve(kBlock);
            std::string& b = blocks_.back();
            std::size_t n = std::min(piece.size(), b.capacity() - b.size());
            b.append(piece.substr(0, n));
            piece.remove_prefix(n);
        }
    }
    void print(std::ostream& os) const {
        for (const auto& b : blocks_) os.write(b.data(), static_cast<std::streamsize>(b.size()));
    }

private:
    static constexpr std::size_t kBlock = std::size_t{1} << 20;
    std::vector<std::string> blocks_;
    std::size_t size_ = 0;
    std::size_t limit_;
};

std::size_t read_stdin(char* buf, std::size_t size) {
    for (;;) {
        ssize_t n = ::read(0, buf, size);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw Error(ErrorCode::CannotReadInput, std::string("Error reading file: ") + std::strerror(errno));
    }
}

// Manifest files as one stream, each as "---\n" + its bytes + "\n", read a piece at a time.
class FileStream {
public:
    explicit FileStream(const std::vector<std::string>& files) : files_(files) {}
    ~FileStream() {
        if (fd_ >= 0) ::close(fd_);
    }
    std::size_t read(char* buf, std::size_t size) {
        for (;;) {
            if (!pending_.empty()) {  // the "---" before a file or the LF after it
                std::size_t n = std::min(size, pending_.size());
                std::memcpy(buf, pending_.data(), n);
                pending_.remove_prefix(n);
                return n;
            }
            if (fd_ < 0) {
                if (next_ == files_.size()) return 0;
                open_next();
                pending_ = "---\n";
                continue;
            }
            ssize_t n = ::read(fd_, buf, size);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error(ErrorCode::CannotReadInput, std::string("Error reading file: ") + std::strerror(errno));
            if (n > 0) return static_cast<std::size_t>(n);
            ::close(fd_);
            fd_ = -1;
            pending_ = "\n";
        }
    }

private:
    void open_next() {
        const std::string& path = files_[next_++];
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw Error(ErrorCode::CannotReadInput, std::string("Error reading file: ") + std::strerror(errno));
        struct stat st{};
        if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) throw Error(ErrorCode::CannotReadInput, "Error reading file: is a directory");
    }
    const std::vector<std::string>& files_;
    std::size_t next_ = 0;
    int fd_ = -1;
    std::string_view pending_;
};

// The stream is read and decrypted a batch of documents at a time, never held whole: the input
// limit applies to each document (and to the decrypted stream held for output).
int run_decrypt_manifests(const ManifestOptions& m) {
    if (m.serve) return serve_manifests(m);
    Decryptor d(keys_for(m.flags), options_for(m.flags, nullptr, true));
    HeldOutput out(max_input_size());
    auto hold = [&out](std::string_view piece) { out.append(piece); };
    if (m.files.empty()) {
        d.decrypt_manifests(read_stdin, hold, max_input_size());
    } else {
        FileStream files(m.files);
        d.decrypt_manifests([&files](char* buf, std::size_t size) { return files.read(buf, size); }, hold, max_input_size());
    }
    out.print(std::cout);
    return 0;
}

// A KRM function: ResourceList in, ResourceList with decrypted items out.
int run_krm(const DecryptorFlags& flags) {
    std::string input = read_input("-");
    std::string out = Decryptor(keys_for(flags), options_for(flags, nullptr, true)).decrypt_resource_list(input);
    wipe(input);
    std::cout << out;
    wipe(out);
    return 0;
}

// kubectl, looked up once on the absolute entries of PATH (see find_program).
const std::string& kubectl_path() {
    static const std::string path = find_program("kubectl");
    if (path.empty()) throw Error(ErrorCode::Generic, "kubectl not found on PATH: sopskit build needs kubectl (kubectl kustomize)");
    return path;
}

// kubectl's own error line, `E1203 07:17:36.956533 6075 run.go:72] "command failed" err="..."`,
// reduced to the quoted error as Flux prints kustomize's (other text is kept as it is).
std::string kubectl_error_text(const std::string& err) {
    const std::string marker = "\"command failed\" err=\"";
    auto at = err.find(marker);
    if (at == std::string::npos || err.find('\n') != std::string::npos || err.back() != '"') return err;
    std::string quoted = err.substr(at + marker.size(), err.size() - at - marker.size() - 1), out;
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        if (quoted[i] == '\\' && i + 1 < quoted.size() && (quoted[i + 1] == '"' || quoted[i + 1] == '\\')) ++i;
        out += quoted[i];
    }
    return out;
}

// Output of a program run without a shell, or an Error with its stderr. Both pipes are read
// as data arrives (poll), so a child filling one while we wait on the other cannot deadlock.
std::string capture(const std::vector<std::string>& argv_s) {
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw Error(ErrorCode::Generic, "cannot create a pipe");
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        throw Error(ErrorCode::Generic, "cannot create a pipe");
    }
    std::vector<char*> argv;
    for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execv(argv[0], argv.data());
        _exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (pid < 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        throw Error(ErrorCode::Generic, "cannot start " + argv_s[0]);
    }
    const std::size_t out_limit = max_input_size(), err_limit = 64 * 1024;
    std::string out, err;
    bool too_large = false;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::vector<char> buf(65536);
    for (int open_fds = 2; open_fds > 0;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
                continue;
            }
            std::string& sink = i == 0 ? out : err;
            std::size_t limit = i == 0 ? out_limit : err_limit;
            std::size_t keep = std::min(static_cast<std::size_t>(n), limit - std::min(limit, sink.size()));
            sink.append(buf.data(), keep);
            if (i == 0 && keep < static_cast<std::size_t>(n)) too_large = true;  // keep draining: the child must not block
        }
    }
    for (const pollfd& p : fds)
        if (p.fd >= 0) ::close(p.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (rc == 127) throw Error(ErrorCode::Generic, "cannot run " + argv_s[0]);
    if (rc != 0) {
        wipe(out);
        while (!err.empty() && err.back() == '\n') err.pop_back();
        throw Error(ErrorCode::Generic, "kustomize build failed: " + kubectl_error_text(err));
    }
    if (too_large) {
        wipe(out);
        throw Error(ErrorCode::Generic, "kustomize build printed more than the input limit (SOPSKIT_MAX_INPUT_SIZE)");
    }
    return out;
}

struct BuildOptions {
    DecryptorFlags flags;
    std::string dir;
    std::string root;
    std::string kustomization;                 // a Flux Kustomization manifest
    std::vector<std::string> substitute_from;  // ConfigMap/Secret manifests for postBuild.substituteFrom
    bool strict_substitute = false;
    bool no_remote_bases = false;
};

// The ConfigMaps and Secrets postBuild.substituteFrom may name, read from files; SOPS-encrypted
// Secrets among them are decrypted with the build's keys (Flux reads them from the cluster).
Branches substitution_sources(const BuildOptions& b, const Decryptor& d) {
    Branches all;
    for (const auto& f : b.substitute_from) {
        std::string text = read_input(f);
        Branches docs;
        try {
            docs = load_plain(Format::Yaml, text, StoreOptions{2, -1, -1, false});
        } catch (const Error& e) {
            wipe(text);
            throw Error(e.code(), f + ": " + e.what());
        }
        wipe(text);
        std::erase_if(docs, [](const Branch& x) { return x.empty(); });
        d.decrypt_resources(docs);
        for (auto& doc : docs) all.push_back(std::move(doc));
    }
    return all;
}

// The folder to build: the argument, or the Kustomization's spec.path under the root (`..`
// cannot climb above the root, as Flux's securejoin has it).
std::string build_folder(const BuildOptions& b, const FluxKustomizationSpec& spec, std::string& root) {
    if (!b.dir.empty()) {
        root = fs::weakly_canonical(b.root.empty() ? b.dir : b.root).string();
        return fs::weakly_canonical(b.dir).string();
    }
    if (b.kustomization.empty()) throw Error(ErrorCode::Generic, "sopskit build needs a folder or a --kustomization");
    root = fs::weakly_canonical(b.root.empty() ? "." : b.root).string();
    std::string rel = fs::path("/" + spec.path.value_or("")).lexically_normal().relative_path().string();  // Flux: "" is the root
    return fs::weakly_canonical(fs::path(root) / rel).string();
}

// The whole reconcile step as kustomize-controller takes it: work copy, generated
// kustomization.yaml with the spec applied, phase 1, kustomize build (files may come from
// anywhere inside the root), phase 2, postBuild substitution, the Secret guard, commonMetadata.
int run_build(const BuildOptions& b) {
    FluxKustomizationSpec spec;
    if (!b.kustomization.empty()) {
        try {
            spec = FluxKustomizationSpec::from_manifest(read_input(b.kustomization));
        } catch (const Error& e) {
            throw Error(e.code(), b.kustomization + ": " + e.what());
        }
    }
    std::string root;
    std::string dir = build_folder(b, spec, root);
    if (dir.compare(0, root.size(), root) != 0 || (dir.size() > root.size() && dir[root.size()] != '/'))
        throw Error(ErrorCode::Generic, "the build folder must be inside --root");
    std::string rel = dir.size() > root.size() ? dir.substr(root.size() + 1) : std::string(".");
    if (!fs::is_directory(dir))  // Flux's wording (it names its own work copy)
        throw Error(ErrorCode::Generic, "kustomization path not found: stat " + rel + ": no such file or directory");
    const std::string& kubectl = kubectl_path();
    // Decrypted sources live only here: wiped and removed on every way out (see PrivateDir).
    auto work = PrivateDir::create("sopskit-build");
    std::string copy = work->path() + "/src";
    copy_root_for_build(root, copy);
    write_flux_kustomization(copy, rel, spec);
    auto keys = keys_for(b.flags);
    Decryptor d(keys, options_for(b.flags, nullptr, false));  // the guard runs below, on the whole build
    d.decrypt_sources(copy, rel);
    try {
        check_build_references(copy, rel, {b.no_remote_bases});
    } catch (const Error& e) {
        throw Error(e.code(), std::string("kustomize build failed: ") + e.what());
    }
    // Flux's krusty options: LoadRestrictionsNone (the root bound is checked above), no plugins.
    std::string built = capture({kubectl, "kustomize", copy + "/" + rel, "--load-restrictor", "LoadRestrictionsNone"});
    StoreOptions o;
    o.yaml_timestamps = false;
    o.yaml_indent = 2;
    Branches docs = load_plain(Format::Yaml, built, o);
    wipe(built);
    std::erase_if(docs, [](const Branch& x) { return x.empty(); });
    d.decrypt_resources(docs);
    if (spec.post_build) {
        auto vars = load_substitution_variables(spec, substitution_sources(b, d));
        substitute_resources(docs, spec, vars, EnvsubstOptions{b.strict_substitute});
        for (auto& [k, v] : vars) wipe(v);
    }
    check_no_encrypted_secrets(docs);
    apply_common_metadata(docs, spec);
    std::string out = emit_plain(Format::Yaml, docs, o);
    std::cout << out;
    wipe(out);
    return 0;
}

}  // namespace

void add_decryptor_commands(CLI::App& app, Runner& runner) {
    static BuildOptions build;
    CLI::App* b = app.add_subcommand("build", "Flux's reconcile step: decrypt sources, kustomize build, decrypt resources, print");
    b->add_option("dir", build.dir, "The kustomization folder (default: --kustomization's spec.path under --root)");
    b->add_option("--root", build.root, "The repository root paths are clamped to (default: the folder, or . with spec.path)");
    b->add_option("--kustomization", build.kustomization,
                  "A Flux Kustomization manifest: targetNamespace, namePrefix/nameSuffix, patches, images, components, "
                  "commonMetadata and postBuild are applied as kustomize-controller applies them");
    b->add_option("--substitute-from", build.substitute_from,
                  "A file of ConfigMaps/Secrets that spec.postBuild.substituteFrom names (repeatable; SOPS Secrets are decrypted)");
    b->add_flag("--strict-substitute", build.strict_substitute,
                "Fail on a variable without a value or default (the controller's StrictPostBuildSubstitutions)");
    b->add_flag("--no-remote-bases", build.no_remote_bases, "Refuse remote bases, as the controller's --no-remote-bases does");
    add_decryptor_flags(*b, build.flags);
    b->callback([&runner] { runner = [] { return run_build(build); }; });

    static ManifestOptions manifests;
    CLI::App* m = app.add_subcommand("decrypt-manifests", "Decrypt every SOPS resource of a manifest stream (stdin or files), as Flux does");
    m->add_option("files", manifests.files, "Manifest files (default: standard input)");
    m->add_flag("--serve", manifests.serve, "Long-running: answer NUL-terminated streams on stdin, keeping keys and the data-key cache");
    m->add_option("--cache-size", manifests.cache_size, "--serve: data keys kept at most")->capture_default_str();
    m->add_option("--cache-ttl", manifests.cache_ttl, "--serve: seconds a cached data key lives")->capture_default_str();
    add_decryptor_flags(*m, manifests.flags);
    m->callback([&runner] { runner = [] { return run_decrypt_manifests(manifests); }; });

    static DecryptorFlags krm;
    CLI::App* k = app.add_subcommand("krm", "KRM function: a ResourceList on stdin, decrypted on stdout (kustomize exec / kpt fn --exec)");
    add_decryptor_flags(*k, krm);
    k->callback([&runner] { runner = [] { return run_krm(krm); }; });
}

}  // namespace sopskit::cli
