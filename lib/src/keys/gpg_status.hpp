// What a gpg run reported on its status channel (--status-fd): the machine-readable lines
// "[GNUPG:] KEYWORD args" that GnuPG documents in doc/DETAILS. Only the keywords that decide
// the outcome of a decrypt or an encrypt are kept; the rest is skipped.
#pragma once
#include <cstdint>
#include <string_view>

namespace sopskit::detail {

struct GpgStatus {
    bool decryption_okay = false;   // DECRYPTION_OKAY: the session key was found and used
    bool end_encryption = false;    // END_ENCRYPTION: the message was written
    int no_seckey = 0;              // NO_SECKEY lines: recipients with no secret key here
    bool bad_passphrase = false;    // BAD_PASSPHRASE
    bool invalid_recipient = false; // INV_RECP: the key cannot be encrypted to
    // The first libgpg-error code of an ERROR or FAILURE line (source bits included), 0 if none.
    std::uint32_t error = 0;

    // The error code without its source (GPG_ERR_CANCELED, GPG_ERR_BAD_PASSPHRASE, ...).
    unsigned error_code() const { return error & 0xffffu; }
};

// Reads the status lines in `text`. Lines without the "[GNUPG:] " prefix, unknown keywords and
// malformed numbers are ignored; the text is not trusted to be well formed.
GpgStatus parse_gpg_status(std::string_view text);

}  // namespace sopskit::detail
