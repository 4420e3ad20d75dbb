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
#include "commands.hpp"
#ifdef SOPSKIT_WITH_KMS
#include "sopskit/kms.hpp"
#endif
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/format.hpp"
#include "sopskit/private_dir.hpp"

namespace fs = std::filesystem;

namespace sopskit::cli {

namespace {

struct DecryptorFlags {
    std::string decryption_secret;
    bool check_mac = false;
    FileOptions fo;
};

std::shared_ptr<DecryptionKeys> keys_for(const DecryptorFlags& f) {
    std::string secret = f.decryption_secret;
    if (secret.empty())
        if (const char* env = std::getenv("SOPSKIT_DECRYPTION_SECRET")) secret = env;
    if (!secret.empty()) {
        auto keys = DecryptionKeys::from_secret_manifest(read_input(secret));
#ifdef SOPSKIT_WITH_KMS
        kms::add_flux_kms_sources(*keys);  // the Secret's cloud credentials only, never the process's
#endif
        return keys;
    }
    auto keys = std::make_shared<DecryptionKeys>();  // the user's own keys, as sops finds them
    keys->ring = keyring_for(f.fo);
    keys->fingerprint = "user-environment";
    return keys;
}

void add_decryptor_flags(CLI::App& app, DecryptorFlags& f) {
    app.add_option("--decryption-secret", f.decryption_secret,
                   "A Flux decryption Secret manifest with the keys (*.asc, *.agekey); default: your own keys "
                   "(or $SOPSKIT_DECRYPTION_SECRET)");
    app.add_flag("--check-mac", f.check_mac, "Verify each document's MAC (Flux does not: kustomize rewrites resources)");
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
    Decryptor d(keys_for(m.flags), DecryptorOptions{m.flags.check_mac, &cache, 0});
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
    Decryptor d(keys_for(m.flags), DecryptorOptions{m.flags.check_mac, nullptr, 0});
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
    std::string out = Decryptor(keys_for(flags), DecryptorOptions{flags.check_mac, nullptr, 0}).decrypt_resource_list(input);
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
        throw Error(ErrorCode::Generic, "kustomize build failed: " + err);
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
};

// The whole reconcile step: work copy, phase 1, kustomize build, phase 2, the Secret guard.
int run_build(const BuildOptions& b) {
    std::string root = fs::weakly_canonical(b.root.empty() ? b.dir : b.root).string();
    std::string dir = fs::weakly_canonical(b.dir).string();
    if (dir.compare(0, root.size(), root) != 0) throw Error(ErrorCode::Generic, "the build folder must be inside --root");
    std::string rel = dir.size() > root.size() ? dir.substr(root.size() + 1) : std::string(".");
    const std::string& kubectl = kubectl_path();
    // Decrypted sources live only here: wiped and removed on every way out (see PrivateDir).
    auto work = PrivateDir::create("sopskit-build");
    std::string copy = work->path() + "/src";
    fs::copy(root, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    auto keys = keys_for(b.flags);
    Decryptor d(keys, DecryptorOptions{b.flags.check_mac, nullptr, 0});
    d.decrypt_sources(copy, rel);
    std::string built = capture({kubectl, "kustomize", copy + "/" + rel});
    StoreOptions o;
    o.yaml_timestamps = false;
    o.yaml_indent = 2;
    Branches docs = load_plain(Format::Yaml, built, o);
    wipe(built);
    std::erase_if(docs, [](const Branch& x) { return x.empty(); });
    d.decrypt_resources(docs);
    check_no_encrypted_secrets(docs);
    std::string out = emit_plain(Format::Yaml, docs, o);
    std::cout << out;
    wipe(out);
    return 0;
}

}  // namespace

void add_decryptor_commands(CLI::App& app, Runner& runner) {
    static BuildOptions build;
    CLI::App* b = app.add_subcommand("build", "Flux's reconcile step: decrypt sources, kustomize build, decrypt resources, print");
    b->add_option("dir", build.dir, "The kustomization folder (Flux's spec.path)")->required();
    b->add_option("--root", build.root, "The repository root paths are clamped to (default: the folder)");
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
