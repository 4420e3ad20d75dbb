// `sopskit keyservice`: answers sops' Encrypt and Decrypt calls with the host's key ring. The
// transport is the module's; here are the rules: which key kinds, the policy, the prompt, the
// bounds on what a caller may send, and the access log (never key material).
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "keyservice/grpc_status.hpp"
#include "keyservice/key_spec.hpp"
#include "keyservice/module_loader.hpp"
#include "keyservice/policy.hpp"
#include "sopskit/error.hpp"
#include "sopskit/keyservice.hpp"

namespace sopskit {

namespace {

using namespace keyservice_detail;
using keyservice_abi::Peer;
using keyservice_abi::Reply;

constexpr int kNotFound = 5, kPermissionDenied = 7, kInvalidArgument = 3, kUnknown = 2, kFailedPrecondition = 9;
// A data key is 32 bytes, a Shamir part 33; a stored `enc` is a few KiB at most.
constexpr std::size_t kMaxPlaintext = 1024, kMaxCiphertext = 32 * 1024;

std::string read_file(const std::string& path, const char* what) {
    if (path.empty()) return {};
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) throw Error(ErrorCode::Generic, std::string("cannot read the ") + what + " " + path);
    return text.str();
}

class Handler {
public:
    Handler(KeyRing& ring, const KeyServiceServerOptions& o, std::optional<KeyServicePolicy> policy)
        : ring_(ring), o_(o), policy_(std::move(policy)) {}

    Reply operator()(bool encrypt, const KeySpec& spec, const std::string& input, const Peer& peer) {
        const auto start = std::chrono::steady_clock::now();
        const std::string client = client_name(peer);
        Reply reply = answer(encrypt, spec, input, peer);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        std::string line = "keyservice: client=" + client + " op=" + (encrypt ? "encrypt" : "decrypt") + " key=" +
                           describe(spec) + " result=" + grpc_code_name(reply.code) + " latency_ms=" + std::to_string(ms);
        if (reply.code != 0) line += " reason=" + escape_control_chars(reply.message.substr(0, 300));
        std::lock_guard lock(log_mu_);
        std::cerr << line << "\n" << std::flush;
        return reply;
    }

private:
    static std::string client_name(const Peer& p) {
        std::string who = escape_control_chars(p.address.substr(0, 200));
        if (!p.subject.empty()) who += " subject=\"" + escape_control_chars(p.subject.substr(0, 300)) + "\"";
        if (p.uid >= 0) who += " uid=" + std::to_string(p.uid);
        return who;
    }

    Reply answer(bool encrypt, const KeySpec& spec, const std::string& input, const Peer& peer) {
        if (o_.injected_delay.count() > 0) std::this_thread::sleep_for(o_.injected_delay);
        // sops' words for a request with no key, or one of a kind it does not know.
        if (spec.kind.empty()) return {kNotFound, "Must provide a key", {}};
        KeySource* source = ring_.find(spec.kind);
        if (!source) return {kFailedPrecondition, "this key service has no support for " + spec.kind + " keys", {}};
        if (encrypt && (input.empty() || input.size() > kMaxPlaintext))
            return {kInvalidArgument, "the plaintext must be a data key (1 to 1024 bytes)", {}};
        if (!encrypt && (input.empty() || input.size() > kMaxCiphertext))
            return {kInvalidArgument, "the ciphertext must be a stored data key (1 to 32768 bytes)", {}};
        if (policy_) {
            std::string why;
            if (!policy_->allows(peer, spec, encrypt ? KeyServicePolicy::Op::Encrypt : KeyServicePolicy::Op::Decrypt, &why))
                return {kPermissionDenied, why, {}};
        }
        if (o_.prompt && !ask(encrypt, spec)) return {kPermissionDenied, "Request rejected by user", {}};
        try {
            if (encrypt) {
                StoredKey stored = source->wrap(recipient_of(spec), SecureBytes::from(input));
                return {0, {}, stored.field("enc")};
            }
            UnwrapOutcome out = source->unwrap(stored_key_of(spec, input));
            if (out.status != UnwrapOutcome::Status::Ok) return {kUnknown, out.reason, {}};
            return {0, {}, std::string(out.data_key.view())};
        } catch (const Error& e) {
            return {kUnknown, e.what(), {}};
        }
    }

    // sops' --prompt: one question at a time on the terminal; anything but y or n asks again.
    bool ask(bool encrypt, const KeySpec& spec) {
        std::lock_guard lock(prompt_mu_);
        for (;;) {
            std::cout << "\nReceived " << (encrypt ? "encrypt" : "decrypt") << " request using " << describe(spec)
                      << ". Respond to request? (y/n): " << std::flush;
            std::string answer;
            if (!std::getline(std::cin, answer)) return false;
            if (answer == "y") return true;
            if (answer == "n") return false;
        }
    }

    KeyRing& ring_;
    const KeyServiceServerOptions& o_;
    std::optional<KeyServicePolicy> policy_;
    std::mutex log_mu_, prompt_mu_;
};

}  // namespace

void run_key_service(KeyRing& ring, const KeyServiceServerOptions& o) {
    if (o.tls_cert_file.empty() != o.tls_key_file.empty())
        throw Error(ErrorCode::Generic, "--tls-cert and --tls-key go together");
    if (!o.client_ca_file.empty() && o.tls_cert_file.empty())
        throw Error(ErrorCode::Generic, "--client-ca needs --tls-cert and --tls-key (mutual TLS)");
    std::optional<KeyServicePolicy> policy;
    if (!o.policy_file.empty()) policy = KeyServicePolicy::load(o.policy_file);
    const keyservice_abi::Module& m = key_service_module();
    keyservice_abi::ServerOptions so;
    so.network = o.network;
    so.address = o.address;
    so.tls_cert = read_file(o.tls_cert_file, "TLS certificate");
    so.tls_key = read_file(o.tls_key_file, "TLS key");
    so.client_ca = read_file(o.client_ca_file, "client CA file");
    so.max_concurrency = o.max_concurrency;
    so.on_listening = [](const std::string& where) { std::cerr << "keyservice: Listening on " << where << "\n" << std::flush; };
    Handler handler(ring, o, std::move(policy));
    keyservice_abi::Handler h = [&handler](bool encrypt, const KeySpec& spec, const std::string& input, const Peer& peer) {
        return handler(encrypt, spec, input, peer);
    };
    std::string error;
    int rc = m.serve(so, h, &error);
    wipe(so.tls_key);
    if (rc != 0) throw Error(ErrorCode::Generic, "Error running keyservice: " + error);
    std::cerr << "keyservice: stopped\n";
}

}  // namespace sopskit
