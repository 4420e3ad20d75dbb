// GPGME, loaded the first time a PGP key is imported, generated or refused by gpg (decrypt and
// encrypt run gpg itself, keys/gpg_program.hpp): no run maps GnuPG's three libraries at
// start-up (see core/lazy_module.hpp). Code calls gpgme().gpgme_new(...) where it
// called gpgme_new(...); types, constants and gpgme.h's inline helpers are used as before.
#pragma once
#include <gpgme.h>

namespace sopskit::detail {

// Every GPGME function sopskit calls. gpgme_check_version is a macro over
// gpgme_check_version_internal; gpgme_err_code is inline and needs no entry.
#define SOPSKIT_GPGME_FUNCTIONS(X)                                                                                    \
    X(gpgme_check_version_internal) X(gpgme_set_locale) X(gpgme_set_engine_info) X(gpgme_engine_check_version)       \
    X(gpgme_strerror_r) X(gpgme_new) X(gpgme_release) X(gpgme_set_protocol) X(gpgme_ctx_set_engine_info)             \
    X(gpgme_set_pinentry_mode) X(gpgme_set_armor) X(gpgme_get_dirinfo) X(gpgme_data_new_from_mem) X(gpgme_data_new)  \
    X(gpgme_data_release) X(gpgme_data_release_and_get_mem) X(gpgme_free) X(gpgme_key_unref) X(gpgme_get_key)        \
    X(gpgme_op_export) X(gpgme_op_import) X(gpgme_op_import_result) X(gpgme_op_createkey) X(gpgme_op_createsubkey)   \
    X(gpgme_op_genkey_result)

struct GpgmeLibrary {
#define SOPSKIT_GPGME_SLOT(name) decltype(&::name) name;
    SOPSKIT_GPGME_FUNCTIONS(SOPSKIT_GPGME_SLOT)
#undef SOPSKIT_GPGME_SLOT
};

// The loaded library; throws Error (naming the Debian package) when libgpgme.so.11 is missing.
const GpgmeLibrary& gpgme();

}  // namespace sopskit::detail
