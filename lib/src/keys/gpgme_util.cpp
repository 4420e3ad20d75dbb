#include "keys/gpgme_util.hpp"

#include <cstddef>
#include <cstdlib>
#include <clocale>
#include <mutex>

#include "keys/gpg_program.hpp"
#include "sopskit/error.hpp"

namespace sopskit::detail {

namespace {

void init_gpgme() {
    static std::once_flag once;
    std::call_once(once, [] {
        // gpgme_check_version(nullptr), which is a macro over this function.
        gpgme().gpgme_check_version_internal(nullptr, offsetof(struct _gpgme_signature, validity));
        gpgme().gpgme_set_locale(nullptr, LC_CTYPE, std::setlocale(LC_CTYPE, nullptr));
        // SOPS_GPG_EXEC names the gpg program; it becomes the OpenPGP engine of every context.
        if (const char* exec = std::getenv("SOPS_GPG_EXEC"); exec && *exec) {
            std::string file = gpg_program();
            if (gpgme_error_t err = gpgme().gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, file.c_str(), nullptr))
                throw Error(ErrorCode::Generic, "SOPS_GPG_EXEC: GPGME refuses " + file + ": " + gpgme_error_text(err));
        }
        if (gpgme().gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
            throw Error(ErrorCode::Generic, "GnuPG (gpg) is not installed or too old for GPGME");
    });
}
}  // namespace

std::string gpgme_error_text(gpgme_error_t err) {
    char buf[256];
    gpgme().gpgme_strerror_r(err, buf, sizeof buf);
    return buf;
}

GpgmeCtx new_gpgme_context(const std::string& home) {
    init_gpgme();
    gpgme_ctx_t raw = nullptr;
    if (gpgme_error_t err = gpgme().gpgme_new(&raw)) throw Error(ErrorCode::Generic, "cannot start GPGME: " + gpgme_error_text(err));
    GpgmeCtx ctx(raw);
    gpgme().gpgme_set_protocol(raw, GPGME_PROTOCOL_OpenPGP);
    if (!home.empty()) {
        if (gpgme_error_t err = gpgme().gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str()))
            throw Error(ErrorCode::Generic, "cannot use GnuPG home " + home + ": " + gpgme_error_text(err));
    }
    if (!home.empty()) gpgme().gpgme_set_pinentry_mode(raw, GPGME_PINENTRY_MODE_CANCEL);
    gpgme().gpgme_set_armor(raw, 1);
    return ctx;
}

std::string gpgconf_path() {
    init_gpgme();
    const char* name = gpgme().gpgme_get_dirinfo("gpgconf-name");
    return name && name[0] == '/' ? std::string(name) : std::string();
}

GpgmeData data_from(std::string_view bytes) {
    gpgme_data_t raw = nullptr;
    if (gpgme().gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 0))
        throw Error(ErrorCode::Generic, "GPGME: out of memory");
    return GpgmeData(raw);
}

GpgmeData empty_data() {
    gpgme_data_t raw = nullptr;
    if (gpgme().gpgme_data_new(&raw)) throw Error(ErrorCode::Generic, "GPGME: out of memory");
    return GpgmeData(raw);
}

std::string take_data(GpgmeData data) {
    size_t len = 0;
    char* mem = gpgme().gpgme_data_release_and_get_mem(data.release(), &len);
    std::string out(mem ? mem : "", mem ? len : 0);
    gpgme().gpgme_free(mem);
    return out;
}

}  // namespace sopskit::detail
