// sops' key service order for each master key: the local key service (this process's own key
// source), then each --keyservice in turn; the first to answer wins, and the errors of all
// are reported when none does.
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "keyservice/grpc_status.hpp"
#include "keyservice/key_spec.hpp"
#include "keyservice/module_loader.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keyservice.hpp"

namespace sopskit {

namespace {

using namespace keyservice_detail;

std::string read_pem(const std::string& path, const char* what) {
    if (path.empty()) return {};
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) throw Error(ErrorCode::Generic, std::string("cannot read the key service ") + what + " " + path);
    return text.str();
}

// One --keyservice URI; its channel is opened on first use (loading the gRPC module then).
class RemoteService {
public:
    RemoteService(std::string uri, const KeyServiceClientOptions& o) : uri_(std::move(uri)), options_(o) {}

    const std::string& uri() const { return uri_; }

    keyservice_abi::Reply call(bool encrypt, const KeySpec& spec, const std::string& input) {
        keyservice_abi::Client* client = nullptr;
        try {
            client = connect();
        } catch (const Error& e) {
            return {14, e.what(), {}};
        }
        auto budget = options_.timeout;
        if (auto deadline = unwrap_deadline()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
            if (left < budget) budget = std::max(left, std::chrono::milliseconds(1));
        }
        return client->call(encrypt, spec, input, budget.count());
    }

private:
    keyservice_abi::Client* connect() {
        std::lock_guard lock(mu_);
        if (client_) return client_.get();
        if (!error_.empty()) throw Error(ErrorCode::Generic, error_);
        const keyservice_abi::Module& m = key_service_module();
        keyservice_abi::ClientOptions co;
        co.uri = uri_;
        co.tls_ca = read_pem(options_.tls_ca_file, "CA file");
        co.tls_cert = read_pem(options_.tls_cert_file, "client certificate");
        co.tls_key = read_pem(options_.tls_key_file, "client key");
        co.tls_server_name = options_.tls_server_name;
        std::string why;
        client_ = m.connect(co, &why);
        wipe(co.tls_key);
        if (!client_) {
            error_ = "invalid key service " + escape_control_chars(uri_) + ": " + why;
            throw Error(ErrorCode::Generic, error_);
        }
        return client_.get();
    }

    std::string uri_;
    KeyServiceClientOptions options_;
    std::mutex mu_;
    std::unique_ptr<keyservice_abi::Client> client_;
    std::string error_;
};

// One key kind through the key services. The run's original ring (shared by the kinds) is the
// local key service; its source also reads and describes the kind's entries.
class RoutedSource : public KeySource {
public:
    RoutedSource(std::string kind, std::shared_ptr<const KeyRing> local_ring, bool use_local,
                 std::vector<std::shared_ptr<RemoteService>> remotes)
        : kind_(std::move(kind)),
          local_ring_(std::move(local_ring)),
          local_(local_ring_->find(kind_)),
          use_local_(use_local),
          remotes_(std::move(remotes)) {}

    std::string_view kind() const override { return kind_; }

    StoredKey wrap(const Recipient& r, const SecureBytes& data_key) override {
        std::vector<std::string> errors;
        if (use_local_ && local_) {
            try {
                return local_->wrap(r, data_key);
            } catch (const Error& e) {
                if (remotes_.empty()) throw;
                errors.push_back(failed_to_encrypt(r, e.what()));
            }
        }
        if (!use_local_ && remotes_.empty())
            throw Error(ErrorCode::Generic, "Could not generate data key: [no key services provided, cannot update master keys]");
        std::optional<KeySpec> spec = spec_of(r);
        for (const auto& remote : remotes_) {
            if (!spec) {
                errors.push_back(failed_to_encrypt(r, "this key cannot be named to a key service"));
                break;
            }
            std::string plain(data_key.view());
            keyservice_abi::Reply reply = remote->call(true, *spec, plain);
            wipe(plain);
            if (reply.code == 0 && !reply.bytes.empty()) return stored_key_of(*spec, reply.bytes);
            errors.push_back(failed_to_encrypt(r, reply.code ? rpc_error_text(reply.code, reply.message) : "empty ciphertext"));
        }
        if (!local_ && !use_local_ && errors.empty()) errors.push_back(failed_to_encrypt(r, "no support for this key kind"));
        std::string joined;
        for (const auto& e : errors) joined += (joined.empty() ? "" : " ") + e;
        throw Error(ErrorCode::Generic, "Could not generate data key: [" + joined + "]");
    }

    UnwrapOutcome unwrap(const StoredKey& key) override {
        std::string reasons;
        bool failed = false;
        auto note = [&](const std::string& who, const std::string& why) {
            reasons += (reasons.empty() ? "" : "; ") + who + ": " + why;
        };
        if (use_local_ && local_) {
            UnwrapOutcome out = local_->unwrap(key);
            if (out.status == UnwrapOutcome::Status::Ok || remotes_.empty()) return out;
            failed = out.status == UnwrapOutcome::Status::Failed;
            note("local key service", out.reason);
        }
        if (!use_local_ && remotes_.empty())
            return UnwrapOutcome::not_mine("no key service to ask (--enable-local-keyservice=false and no --keyservice)");
        const KeySpec spec = spec_of(key);
        for (const auto& remote : remotes_) {
            keyservice_abi::Reply reply = remote->call(false, spec, key.field("enc"));
            if (reply.code == 0) {
                if (reply.bytes.empty() || reply.bytes.size() > 1024) {
                    wipe(reply.bytes);
                    failed = true;
                    note(remote->uri(), "the key service returned a data key of the wrong size");
                    continue;
                }
                SecureBytes part = SecureBytes::from(reply.bytes);
                wipe(reply.bytes);
                return UnwrapOutcome::ok(std::move(part));
            }
            failed = true;
            note(escape_control_chars(remote->uri()), rpc_error_text(reply.code, reply.message));
        }
        return failed ? UnwrapOutcome::failed(reasons) : UnwrapOutcome::not_mine(reasons);
    }

    Recipient recipient_of(const StoredKey& key) const override {
        if (local_) return local_->recipient_of(key);
        return keyservice_detail::recipient_of(spec_of(key));
    }

    std::string describe(const StoredKey& key) const override {
        if (local_) return local_->describe(key);
        std::string d = keyservice_detail::describe(spec_of(key));
        return d.substr(d.find(' ') + 1);
    }

private:
    static std::string failed_to_encrypt(const Recipient& r, const std::string& why) {
        return "failed to encrypt new data key with master key \"" + escape_control_chars(r.id.substr(0, 300)) + "\": " + why;
    }

    std::string kind_;
    std::shared_ptr<const KeyRing> local_ring_;
    KeySource* local_;
    bool use_local_;
    std::vector<std::shared_ptr<RemoteService>> remotes_;
};

constexpr const char* kKinds[] = {"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"};

}  // namespace

void use_key_services(KeyRing& ring, const KeyServiceClientOptions& options) {
    if (options.local && options.uris.empty()) return;  // sops' default: the local key service only
    std::vector<std::shared_ptr<RemoteService>> remotes;
    for (const auto& uri : options.uris) remotes.push_back(std::make_shared<RemoteService>(uri, options));
    auto local = std::make_shared<const KeyRing>(std::move(ring));
    ring = KeyRing();
    for (const char* kind : kKinds) ring.add(std::make_unique<RoutedSource>(kind, local, options.local, remotes));
}

bool key_service_support_available() {
    try {
        keyservice_detail::key_service_module();
        return true;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace sopskit
