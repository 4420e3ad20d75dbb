// Generating a cluster's PGP key with GPGME in an isolated keyring.
#include "keys/gpgme_util.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keygen.hpp"
#include "sopskit/pgp_keys.hpp"

namespace sopskit {

namespace {

std::string export_key(gpgme_ctx_t ctx, const std::string& fpr, gpgme_export_mode_t mode) {
    detail::GpgmeData out = detail::empty_data();
    if (gpgme_error_t err = detail::gpgme().gpgme_op_export(ctx, fpr.c_str(), mode, out.get()))
        throw Error(ErrorCode::Generic, "could not export the new PGP key: " + detail::gpgme_error_text(err));
    return detail::take_data(std::move(out));
}

}  // namespace

GeneratedPgpKey generate_pgp_key(const std::string& user_id, const std::string& algorithm) {
    std::string primary_algo, sub_algo;
    if (algorithm == "rsa4096" || algorithm == "rsa3072" || algorithm == "rsa2048") {
        primary_algo = sub_algo = algorithm;
    } else if (algorithm == "ed25519") {
        primary_algo = "ed25519";
        sub_algo = "cv25519";
    } else {
        throw Error(ErrorCode::Generic, "unsupported PGP key algorithm '" + algorithm + "': use rsa4096, rsa3072, rsa2048 or ed25519");
    }
    auto home = GnupgHome::create_temporary();
    detail::GpgmeCtx ctx = detail::new_gpgme_context(home->path());
    unsigned int flags = GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE | GPGME_CREATE_FORCE;
    if (gpgme_error_t err = detail::gpgme().gpgme_op_createkey(ctx.get(), user_id.c_str(), primary_algo.c_str(), 0, 0, nullptr,
                                               flags | GPGME_CREATE_CERT | GPGME_CREATE_SIGN))
        throw Error(ErrorCode::Generic, "could not generate the PGP key: " + detail::gpgme_error_text(err));
    gpgme_genkey_result_t res = detail::gpgme().gpgme_op_genkey_result(ctx.get());
    if (!res || !res->fpr) throw Error(ErrorCode::Generic, "could not generate the PGP key: no fingerprint returned");
    std::string fpr = res->fpr;
    gpgme_key_t raw = nullptr;
    if (detail::gpgme().gpgme_get_key(ctx.get(), fpr.c_str(), &raw, 1))
        throw Error(ErrorCode::Generic, "could not read back the new PGP key");
    detail::GpgmeKey key(raw);
    if (gpgme_error_t err = detail::gpgme().gpgme_op_createsubkey(ctx.get(), key.get(), sub_algo.c_str(), 0, 0, flags | GPGME_CREATE_ENCR))
        throw Error(ErrorCode::Generic, "could not add the encryption subkey: " + detail::gpgme_error_text(err));
    GeneratedPgpKey out;
    out.fingerprint = fpr;
    out.armored_public = export_key(ctx.get(), fpr, 0);
    std::string secret = export_key(ctx.get(), fpr, GPGME_EXPORT_MODE_SECRET);
    out.armored_secret = SecureBytes::from(secret);
    wipe(secret);
    if (out.armored_secret.empty()) throw Error(ErrorCode::Generic, "could not export the new PGP secret key");
    return out;
}

void import_public_key_to_user_keyring(const std::string& armored_public) {
    detail::GpgmeCtx ctx = detail::new_gpgme_context("");
    detail::GpgmeData in = detail::data_from(armored_public);
    if (gpgme_error_t err = detail::gpgme().gpgme_op_import(ctx.get(), in.get()))
        throw Error(ErrorCode::Generic, "could not import the public key into your keyring: " + detail::gpgme_error_text(err));
}

}  // namespace sopskit
