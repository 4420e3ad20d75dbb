// known_hosts from a real SSH handshake (libssh), choosing the host key type Flux's Go client
// prefers, as `flux create secret git` does.
#include "k8s/ssh_library.hpp"

#include <memory>

#include "sopskit/error.hpp"
#include "sopskit/git_secret.hpp"

namespace sopskit {

namespace {
struct SessionDeleter {
    void operator()(ssh_session s) const {
        detail::ssh().ssh_disconnect(s);
        detail::ssh().ssh_free(s);
    }
};
// golang.org/x/crypto/ssh's default host key order without certificates and DSA.
constexpr const char* kHostKeyPreference =
    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-256,rsa-sha2-512,ssh-rsa,ssh-ed25519";
}  // namespace

std::string scan_known_hosts(const std::string& host, int port, std::chrono::seconds timeout) {
    std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    auto failed = [&](const std::string& why) {
        return Error(ErrorCode::Generic, "SSH key scan for host " + where + " failed, error: " + why);
    };
    const detail::SshLibrary& ssh = detail::ssh();
    std::unique_ptr<ssh_session_struct, SessionDeleter> s(ssh.ssh_new());
    if (!s) throw failed("cannot create an SSH session");
    bool no = false;
    long secs = static_cast<long>(timeout.count());
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_HOST, host.c_str());
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_PORT, &port);
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &secs);
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh.ssh_options_set(s.get(), SSH_OPTIONS_HOSTKEYS, kHostKeyPreference);
    if (ssh.ssh_connect(s.get()) != SSH_OK) throw failed(ssh.ssh_get_error(s.get()));
    ssh_key key = nullptr;
    if (ssh.ssh_get_server_publickey(s.get(), &key) != SSH_OK || !key) throw failed("the server presented no host key");
    char* b64 = nullptr;
    int rc = ssh.ssh_pki_export_pubkey_base64(key, &b64);
    std::string type = ssh.ssh_key_type_to_char(ssh.ssh_key_type(key));
    ssh.ssh_key_free(key);
    if (rc != SSH_OK) throw failed("cannot encode the host key");
    std::string line = (port == 22 ? host : "[" + host + "]:" + std::to_string(port)) + " " + type + " " + b64;
    ssh.ssh_string_free_char(b64);
    return line;
}

}  // namespace sopskit
