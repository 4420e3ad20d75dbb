// libssh, loaded the first time an SSH key is read or a host is scanned (`create secret git`,
// deploy keys): it brings five Kerberos libraries that every other run mapped for nothing
// (see core/lazy_module.hpp). Code calls ssh().ssh_new() where it called ssh_new().
#pragma once
#include <libssh/libssh.h>

namespace sopskit::detail {

// Every libssh function sopskit calls.
#define SOPSKIT_SSH_FUNCTIONS(X)                                                                                  \
    X(ssh_new) X(ssh_free) X(ssh_options_set) X(ssh_connect) X(ssh_disconnect) X(ssh_get_error)                  \
    X(ssh_get_server_publickey) X(ssh_key_free) X(ssh_key_type) X(ssh_key_type_to_char)                          \
    X(ssh_pki_export_pubkey_base64) X(ssh_pki_import_privkey_base64) X(ssh_pki_export_privkey_to_pubkey)         \
    X(ssh_string_free_char)

struct SshLibrary {
#define SOPSKIT_SSH_SLOT(name) decltype(&::name) name;
    SOPSKIT_SSH_FUNCTIONS(SOPSKIT_SSH_SLOT)
#undef SOPSKIT_SSH_SLOT
};

// The loaded library; throws Error (naming the Debian package) when libssh.so.4 is missing.
const SshLibrary& ssh();

}  // namespace sopskit::detail
