// Small RAII helpers over GPGME, shared by the PGP key source and the isolated home.
#pragma once
#include "keys/gpgme_library.hpp"

#include <memory>
#include <string>
#include <string_view>


namespace sopskit::detail {

struct GpgmeCtxDeleter {
    void operator()(gpgme_ctx_t c) const { gpgme().gpgme_release(c); }
};
using GpgmeCtx = std::unique_ptr<std::remove_pointer_t<gpgme_ctx_t>, GpgmeCtxDeleter>;

struct GpgmeDataDeleter {
    void operator()(gpgme_data_t d) const { gpgme().gpgme_data_release(d); }
};
using GpgmeData = std::unique_ptr<std::remove_pointer_t<gpgme_data_t>, GpgmeDataDeleter>;

struct GpgmeKeyDeleter {
    void operator()(gpgme_key_t k) const { gpgme().gpgme_key_unref(k); }
};
using GpgmeKey = std::unique_ptr<std::remove_pointer_t<gpgme_key_t>, GpgmeKeyDeleter>;

// A new OpenPGP context on `home` (empty: GnuPG's default home, with the user's pinentry). An
// isolated home gets pinentry mode "cancel": no prompt can appear. Throws Error.
GpgmeCtx new_gpgme_context(const std::string& home);

// Input data over a buffer (not copied; the buffer must outlive the data object).
GpgmeData data_from(std::string_view bytes);
// Empty output data collecting into ordinary memory (for ciphertext).
GpgmeData empty_data();
// Collects the output of an operation (ciphertext, non-secret).
std::string take_data(GpgmeData data);

// The absolute path of the gpgconf GPGME itself uses (its configured install, not a PATH
// lookup), or empty when GPGME does not know one.
std::string gpgconf_path();

// gpgme's error text ("No secret key", ...).
std::string gpgme_error_text(gpgme_error_t err);

}  // namespace sopskit::detail
