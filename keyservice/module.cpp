// The gRPC side of the key service: sops' KeyService over this project's keyservice.proto, as
// a client (one channel per --keyservice URI) and a server (calls handed to the library's
// handler). Loaded with dlopen by lib/src/keyservice/module_loader.cpp; see module_abi.hpp.
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "keyservice.grpc.pb.h"
#include "keyservice/module_abi.hpp"

namespace abi = sopskit::keyservice_abi;

namespace {

// --- Key <-> KeySpec -------------------------------------------------------------------------

abi::KeySpec spec_of(const Key& key) {
    abi::KeySpec s;
    switch (key.key_type_case()) {
    case Key::kKmsKey:
        s.kind = "kms";
        s.fields = {{"arn", key.kms_key().arn()}, {"role", key.kms_key().role()}, {"aws_profile", key.kms_key().aws_profile()}};
        for (const auto& [k, v] : key.kms_key().context()) s.context[k] = v;
        break;
    case Key::kPgpKey:
        s.kind = "pgp";
        s.fields = {{"fingerprint", key.pgp_key().fingerprint()}};
        break;
    case Key::kGcpKmsKey:
        s.kind = "gcp_kms";
        s.fields = {{"resource_id", key.gcp_kms_key().resource_id()}};
        break;
    case Key::kAzureKeyvaultKey:
        s.kind = "azure_kv";
        s.fields = {{"vault_url", key.azure_keyvault_key().vault_url()},
                    {"name", key.azure_keyvault_key().name()},
                    {"version", key.azure_keyvault_key().version()}};
        break;
    case Key::kVaultKey:
        s.kind = "hc_vault";
        s.fields = {{"vault_address", key.vault_key().vault_address()},
                    {"engine_path", key.vault_key().engine_path()},
                    {"key_name", key.vault_key().key_name()}};
        break;
    case Key::kAgeKey:
        s.kind = "age";
        s.fields = {{"recipient", key.age_key().recipient()}};
        break;
    case Key::kHckmsKey:
        s.kind = "hckms";
        s.fields = {{"key_id", key.hckms_key().key_id()}};
        break;
    case Key::KEY_TYPE_NOT_SET:
        break;
    }
    return s;
}

std::string field(const abi::KeySpec& s, const char* name) {
    auto it = s.fields.find(name);
    return it == s.fields.end() ? std::string() : it->second;
}

// False for a kind the protocol has no message for.
bool fill_key(const abi::KeySpec& s, Key* key) {
    if (s.kind == "kms") {
        KmsKey* k = key->mutable_kms_key();
        k->set_arn(field(s, "arn"));
        k->set_role(field(s, "role"));
        k->set_aws_profile(field(s, "aws_profile"));
        for (const auto& [name, value] : s.context) (*k->mutable_context())[name] = value;
    } else if (s.kind == "pgp") {
        key->mutable_pgp_key()->set_fingerprint(field(s, "fingerprint"));
    } else if (s.kind == "gcp_kms") {
        key->mutable_gcp_kms_key()->set_resource_id(field(s, "resource_id"));
    } else if (s.kind == "azure_kv") {
        AzureKeyVaultKey* k = key->mutable_azure_keyvault_key();
        k->set_vault_url(field(s, "vault_url"));
        k->set_name(field(s, "name"));
        k->set_version(field(s, "version"));
    } else if (s.kind == "hc_vault") {
        VaultKey* k = key->mutable_vault_key();
        k->set_vault_address(field(s, "vault_address"));
        k->set_engine_path(field(s, "engine_path"));
        k->set_key_name(field(s, "key_name"));
    } else if (s.kind == "age") {
        key->mutable_age_key()->set_recipient(field(s, "recipient"));
    } else if (s.kind == "hckms") {
        key->mutable_hckms_key()->set_key_id(field(s, "key_id"));
    } else {
        return false;
    }
    return true;
}

// --- client ----------------------------------------------------------------------------------

class GrpcClient : public abi::Client {
public:
    explicit GrpcClient(std::shared_ptr<grpc::Channel> channel) : stub_(KeyService::NewStub(std::move(channel))) {}

    abi::Reply call(bool encrypt, const abi::KeySpec& spec, const std::string& input, long long deadline_ms) override {
        grpc::ClientContext ctx;
        if (deadline_ms > 0) ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
        abi::Reply reply;
        grpc::Status status;
        if (encrypt) {
            EncryptRequest req;
            if (!fill_key(spec, req.mutable_key())) return {12, "the key service protocol has no " + spec.kind + " keys", {}};
            req.set_plaintext(input);
            EncryptResponse resp;
            status = stub_->Encrypt(&ctx, req, &resp);
            if (status.ok()) reply.bytes = resp.ciphertext();
        } else {
            DecryptRequest req;
            if (!fill_key(spec, req.mutable_key())) return {12, "the key service protocol has no " + spec.kind + " keys", {}};
            req.set_ciphertext(input);
            DecryptResponse resp;
            status = stub_->Decrypt(&ctx, req, &resp);
            if (status.ok()) reply.bytes = resp.plaintext();
        }
        reply.code = status.error_code();
        reply.message = status.error_message();
        return reply;
    }

private:
    std::unique_ptr<KeyService::Stub> stub_;
};

std::unique_ptr<abi::Client> connect(const abi::ClientOptions& o, std::string* error) {
    // sops' URL handling: scheme://host:port, or unix:// followed by the socket's path.
    const std::size_t sep = o.uri.find("://");
    if (sep == std::string::npos) {
        *error = "expected SCHEME://ADDRESS (tcp://host:port or unix:///path)";
        return nullptr;
    }
    const std::string scheme = o.uri.substr(0, sep), rest = o.uri.substr(sep + 3);
    std::string target;
    if (scheme == "unix") {
        if (rest.empty() || rest.front() != '/') {
            *error = "a unix key service needs an absolute socket path (unix:///path)";
            return nullptr;
        }
        target = "unix:" + rest;
    } else if (scheme == "tcp" || scheme == "tcp4" || scheme == "tcp6") {
        if (rest.empty() || rest.find('/') != std::string::npos) {
            *error = "a tcp key service is tcp://host:port";
            return nullptr;
        }
        target = rest;
    } else {
        *error = "unsupported scheme " + scheme + " (tcp or unix)";
        return nullptr;
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (!o.tls_ca.empty()) {
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = o.tls_ca;
        ssl.pem_cert_chain = o.tls_cert;
        ssl.pem_private_key = o.tls_key;
        creds = grpc::SslCredentials(ssl);
        if (!o.tls_server_name.empty()) args.SetSslTargetNameOverride(o.tls_server_name);
    } else {
        creds = grpc::InsecureChannelCredentials();  // as sops: its key service has no TLS
    }
    return std::make_unique<GrpcClient>(grpc::CreateCustomChannel(target, creds, args));
}

// --- server ----------------------------------------------------------------------------------

abi::Peer peer_of(grpc::ServerContext* ctx) {
    abi::Peer p;
    p.address = ctx->peer();
    std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
    if (auth && auth->IsPeerAuthenticated()) {
        for (const auto& v : auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) p.subject.assign(v.data(), v.size());
        for (const auto& v : auth->FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME)) p.sans.emplace_back(v.data(), v.size());
    }
    return p;
}

class Service final : public KeyService::Service {
public:
    Service(const abi::Handler& handler, int max_concurrency) : handler_(handler), max_(max_concurrency) {}

    grpc::Status Encrypt(grpc::ServerContext* ctx, const EncryptRequest* req, EncryptResponse* resp) override {
        return handle(ctx, true, req->key(), req->plaintext(), [&](std::string b) { resp->set_ciphertext(std::move(b)); });
    }
    grpc::Status Decrypt(grpc::ServerContext* ctx, const DecryptRequest* req, DecryptResponse* resp) override {
        return handle(ctx, false, req->key(), req->ciphertext(), [&](std::string b) { resp->set_plaintext(std::move(b)); });
    }

private:
    template <class Set>
    grpc::Status handle(grpc::ServerContext* ctx, bool encrypt, const Key& key, const std::string& input, Set set) {
        struct Slot {
            std::atomic<int>& n;
            ~Slot() { --n; }
        } slot{in_flight_};
        if (++in_flight_ > max_ && max_ > 0)
            return {grpc::StatusCode::RESOURCE_EXHAUSTED, "the key service is handling its maximum of concurrent calls"};
        abi::Reply r = handler_(encrypt, spec_of(key), input, peer_of(ctx));
        if (r.code != 0) return {static_cast<grpc::StatusCode>(r.code), r.message};
        set(std::move(r.bytes));
        return grpc::Status::OK;
    }

    const abi::Handler& handler_;
    const int max_;
    std::atomic<int> in_flight_{0};
};

int serve(const abi::ServerOptions& o, const abi::Handler& handler, std::string* error) {
    std::string address;
    if (o.network == "unix") {
        address = "unix:" + o.address;
    } else if (o.network == "tcp" || o.network == "tcp4" || o.network == "tcp6") {
        address = o.address;
    } else {
        *error = "unsupported network " + o.network + " (tcp or unix)";
        return 1;
    }
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (!o.tls_cert.empty()) {
        grpc::SslServerCredentialsOptions ssl(o.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                                                  : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
        ssl.pem_root_certs = o.client_ca;
        ssl.pem_key_cert_pairs.push_back({o.tls_key, o.tls_cert});
        creds = grpc::SslServerCredentials(ssl);
    } else {
        creds = grpc::InsecureServerCredentials();
    }
    // Signals go to one thread that asks the server to stop: calls in flight finish first.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    Service service(handler, o.max_concurrency);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(address, creds, o.network == "unix" ? nullptr : &port);
    builder.RegisterService(&service);
    builder.SetMaxReceiveMessageSize(o.max_message_bytes);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server) {
        *error = "could not listen on " + o.network + "://" + o.address;
        return 1;
    }
    if (o.on_listening) {
        std::string shown = o.address;
        if (o.network != "unix") {
            const std::size_t colon = shown.rfind(':');
            shown = shown.substr(0, colon == std::string::npos ? shown.size() : colon) + ":" + std::to_string(port);
        }
        o.on_listening(o.network + "://" + shown);
    }
    std::thread stopper([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
    });
    server->Wait();
    stopper.join();
    return 0;
}

bool decode_request(bool encrypt, const std::string& bytes, abi::KeySpec* key, std::string* input, std::string* error) {
    if (encrypt) {
        EncryptRequest req;
        if (!req.ParseFromString(bytes)) return *error = "not an EncryptRequest", false;
        *key = spec_of(req.key());
        *input = req.plaintext();
    } else {
        DecryptRequest req;
        if (!req.ParseFromString(bytes)) return *error = "not a DecryptRequest", false;
        *key = spec_of(req.key());
        *input = req.ciphertext();
    }
    return true;
}

const abi::Module kModule{abi::kVersion, &connect, &serve, &decode_request};

}  // namespace

extern "C" __attribute__((visibility("default"))) const abi::Module* sopskit_keyservice_module() { return &kModule; }
