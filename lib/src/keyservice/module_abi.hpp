// The boundary between the library and the gRPC key service module (sopskit-keyservice.so),
// which the library loads with dlopen only when a key service is used: gRPC and protobuf stay
// out of every other run. Both sides are built together by this project, so plain C++ types
// cross it; no sopskit type does, so the module needs nothing from the library.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sopskit::keyservice_abi {

inline constexpr int kVersion = 1;

// The protocol's Key message, flattened: kind is the sops metadata name (age, pgp, kms,
// gcp_kms, azure_kv, hc_vault, hckms; empty when the request named none) and fields carry the
// proto field names (recipient, fingerprint, arn, role, aws_profile, resource_id, vault_url,
// name, version, vault_address, engine_path, key_name, key_id). context is KmsKey.context.
struct KeySpec {
    std::string kind;
    std::map<std::string, std::string> fields;
    std::map<std::string, std::string> context;
};

// A gRPC status code (0: OK) and text; bytes is the reply's payload on success.
struct Reply {
    int code = 0;
    std::string message;
    std::string bytes;
};

struct ClientOptions {
    std::string uri;             // tcp://host:port or unix:///path (sops' --keyservice syntax)
    std::string tls_ca;          // PEM text; non-empty: TLS (else plaintext, as sops)
    std::string tls_cert, tls_key;  // PEM text: the client certificate for mutual TLS
    std::string tls_server_name;    // overrides the name checked in the server certificate
};

class Client {
public:
    virtual ~Client() = default;
    // One Encrypt (encrypt=true) or Decrypt call; the input is the plaintext or ciphertext.
    // deadline_ms bounds the call (0: none).
    virtual Reply call(bool encrypt, const KeySpec& key, const std::string& input, long long deadline_ms) = 0;
};

// Who is calling, as the transport knows it.
struct Peer {
    std::string address;              // gRPC's peer string (ipv4:..., unix:...)
    std::string subject;              // the verified client certificate's subject, if any
    std::vector<std::string> sans;    // and its subject alternative names
    long long uid = -1;               // the Unix peer's uid, when the transport knows it
};

using Handler = std::function<Reply(bool encrypt, const KeySpec& key, const std::string& input, const Peer& peer)>;

struct ServerOptions {
    std::string network = "tcp";  // tcp or unix
    std::string address = "127.0.0.1:5000";
    std::string tls_cert, tls_key;  // PEM text; both set: TLS
    std::string client_ca;          // PEM text: clients must present a certificate it signed
    int max_concurrency = 0;        // calls handled at once; 0: no bound. Beyond: RESOURCE_EXHAUSTED
    int max_message_bytes = 64 * 1024;
    std::function<void(const std::string&)> on_listening;  // told the bound address (port 0 resolved)
};

struct Module {
    int version;
    // A channel to one key service; nullptr and *error on a bad URI or TLS setup.
    std::unique_ptr<Client> (*connect)(const ClientOptions& options, std::string* error);
    // Serves until SIGTERM or SIGINT (calls in flight are finished); 0, or 1 and *error.
    int (*serve)(const ServerOptions& options, const Handler& handler, std::string* error);
    // Decodes a serialized EncryptRequest or DecryptRequest as the server does (fuzzing).
    bool (*decode_request)(bool encrypt, const std::string& bytes, KeySpec* key, std::string* input, std::string* error);
};

}  // namespace sopskit::keyservice_abi

// The module's one exported symbol.
extern "C" const sopskit::keyservice_abi::Module* sopskit_keyservice_module();
