#include <cstdio>

#include "keys/gpgme_util.hpp"
#include "sopskit/error.hpp"
#include "sopskit/pgp_keys.hpp"

namespace sopskit {

std::shared_ptr<GnupgHome> GnupgHome::create_temporary() {
    // Short prefix: gpg-agent's socket path must fit in sockaddr_un.
    auto dir = PrivateDir::create("sopskit-gpg", detail::gpgconf_path());
    // gpg run on this home by anything else never prompts either.
    std::string conf = dir->path() + "/gpg.conf";
    if (FILE* f = std::fopen(conf.c_str(), "wx")) {
        std::fputs("pinentry-mode cancel\n", f);
        std::fclose(f);
    }
    return std::shared_ptr<GnupgHome>(new GnupgHome(std::move(dir)));
}

GnupgHome::~GnupgHome() = default;  // the PrivateDir stops the agent and wipes the folder

std::vector<std::string> GnupgHome::import_keys(std::string_view key_data) {
    detail::GpgmeCtx ctx = detail::new_gpgme_context(path_);
    detail::GpgmeData in = detail::data_from(key_data);
    if (gpgme_error_t err = detail::gpgme().gpgme_op_import(ctx.get(), in.get()))
        throw Error(ErrorCode::Generic, "failed to import armored key data into GnuPG keyring: " + detail::gpgme_error_text(err));
    gpgme_import_result_t result = detail::gpgme().gpgme_op_import_result(ctx.get());
    std::vector<std::string> fingerprints;
    for (gpgme_import_status_t s = result ? result->imports : nullptr; s; s = s->next)
        if (s->result == 0 && s->fpr) fingerprints.emplace_back(s->fpr);
    if (fingerprints.empty())
        throw Error(ErrorCode::Generic, "failed to import armored key data into GnuPG keyring: no valid key found");
    return fingerprints;
}

}  // namespace sopskit
