#include "keys/gpgme_util.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <clocale>
#include <cstring>
#include <mutex>

#include "sopskit/error.hpp"

namespace sopskit::detail {

namespace {

// SOPS_GPG_EXEC as sops reads it: a program name looked up on PATH, or a path. GPGME wants
// the engine's file name, so a bare name is resolved here; empty when it is nowhere.
std::string resolve_gpg_exec(const std::string& name) {
    if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : std::string();
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return {};
}

void init_gpgme() {
    static std::once_flag once;
    std::call_once(once, [] {
        // gpgme_check_version(nullptr), which is a macro over this function.
        gpgme().gpgme_check_version_internal(nullptr, offsetof(struct _gpgme_signature, validity));
        gpgme().gpgme_set_locale(nullptr, LC_CTYPE, std::setlocale(LC_CTYPE, nullptr));
        // SOPS_GPG_EXEC names the gpg program; it becomes the OpenPGP engine of every context.
        if (const char* exec = std::getenv("SOPS_GPG_EXEC"); exec && *exec) {
            std::string file = resolve_gpg_exec(exec);
            if (file.empty()) throw Error(ErrorCode::Generic, std::string("SOPS_GPG_EXEC: cannot find program '") + exec + "'");
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

SecureSink::SecureSink(std::size_t limit) : buffer_(limit) {
    cbs_.write = &SecureSink::write_cb;
    gpgme_data_t raw = nullptr;
    if (gpgme().gpgme_data_new_from_cbs(&raw, &cbs_, this)) throw Error(ErrorCode::Generic, "GPGME: out of memory");
    data_.reset(raw);
}

ssize_t SecureSink::write_cb(void* handle, const void* buffer, size_t size) {
    auto* self = static_cast<SecureSink*>(handle);
    if (self->used_ + size > self->buffer_.size()) {
        errno = ENOSPC;  // a data key is 32 bytes; anything larger is not a sops data key
        return -1;
    }
    std::memcpy(self->buffer_.data() + self->used_, buffer, size);
    self->used_ += size;
    return static_cast<ssize_t>(size);
}

SecureBytes SecureSink::take() { return SecureBytes(buffer_.data(), used_); }

}  // namespace sopskit::detail
