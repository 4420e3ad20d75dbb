#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "keys/gpgme_util.hpp"
#include "sopskit/error.hpp"
#include "sopskit/pgp_keys.hpp"

extern char** environ;

namespace sopskit {

namespace {

// Runs `gpgconf --homedir HOME --kill all` so the home's gpg-agent does not outlive it.
void kill_agents(const std::string& home) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string homedir = home;
    char arg0[] = "gpgconf", arg1[] = "--homedir", arg3[] = "--kill", arg4[] = "all";
    char* argv[] = {arg0, arg1, homedir.data(), arg3, arg4, nullptr};
    pid_t pid = 0;
    if (posix_spawnp(&pid, "gpgconf", &actions, nullptr, argv, environ) == 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    posix_spawn_file_actions_destroy(&actions);
}

}  // namespace

std::shared_ptr<GnupgHome> GnupgHome::create_temporary() {
    const char* tmp = std::getenv("TMPDIR");
    // Short paths: gpg-agent's socket path must fit in sockaddr_un.
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sopskit-gpg-XXXXXX";
    if (!mkdtemp(pattern.data())) throw Error(ErrorCode::Generic, "cannot create a temporary GnuPG home");
    ::chmod(pattern.c_str(), 0700);
    return std::shared_ptr<GnupgHome>(new GnupgHome(pattern));
}

GnupgHome::~GnupgHome() {
    kill_agents(path_);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> GnupgHome::import_keys(std::string_view key_data) {
    detail::GpgmeCtx ctx = detail::new_gpgme_context(path_);
    detail::GpgmeData in = detail::data_from(key_data);
    if (gpgme_error_t err = gpgme_op_import(ctx.get(), in.get()))
        throw Error(ErrorCode::Generic, "failed to import armored key data into GnuPG keyring: " + detail::gpgme_error_text(err));
    gpgme_import_result_t result = gpgme_op_import_result(ctx.get());
    std::vector<std::string> fingerprints;
    for (gpgme_import_status_t s = result ? result->imports : nullptr; s; s = s->next)
        if (s->result == 0 && s->fpr) fingerprints.emplace_back(s->fpr);
    if (fingerprints.empty())
        throw Error(ErrorCode::Generic, "failed to import armored key data into GnuPG keyring: no valid key found");
    return fingerprints;
}

}  // namespace sopskit
