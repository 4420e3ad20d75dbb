// The HTTPS server: routes each request to its protocol, applies injected faults, and logs one
// line per call (service, operation, key, status — never plaintext, ciphertext or tokens).
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "sopskit/kms/emulator.hpp"
#include "handlers.hpp"
#include "tls_cert.hpp"

namespace sopskit::kms_emulator {

std::string bearer_token(const Request& req) {
    std::string h = req.get_header_value("Authorization");
    if (h.size() > 7 && (h.rfind("Bearer ", 0) == 0 || h.rfind("bearer ", 0) == 0)) return h.substr(7);
    return {};
}

void write_fault(const std::string& service, int status, Response& res) {
    if (service == "aws") {
        if (status == 429 || status == 400) return aws_error(res, 400, "ThrottlingException", "Rate exceeded");
        if (status == 403) return aws_error(res, 400, "AccessDeniedException", "injected fault");
        if (status == 503) return aws_error(res, 503, "ServiceUnavailableException", "Service Unavailable");
        if (status >= 500) return aws_error(res, status, "KMSInternalException", "injected fault");
        return aws_error(res, status, "ValidationException", "injected fault");
    }
    if (service == "sts") {
        if (status == 429 || status == 400) return sts_error(res, 400, "Throttling", "Rate exceeded");
        return sts_error(res, status, status >= 500 ? "ServiceUnavailable" : "AccessDenied", "injected fault");
    }
    if (service == "gcp") return gcp_error(res, status, status == 429 ? "Quota exceeded (injected fault)." : "injected fault");
    if (service == "azure") {
        if (status == 429) return azure_error(res, 429, "Throttled", "Request was not processed because too many requests were received.");
        return azure_error(res, status, status >= 500 ? "ServiceUnavailable" : "Forbidden", "injected fault");
    }
    if (service == "hckms") {
        if (status == 429) return hckms_error(res, 429, "APIGW.0308", "The request is throttled.");
        return hckms_error(res, status, status >= 500 ? "KMS.0101" : "KMS.0302", "injected fault");
    }
    if (service == "vault") {
        if (status == 429) return vault_error(res, 429, "request path \"transit\": rate limit quota exceeded");
        if (status == 503) return vault_error(res, 503, "Vault is sealed");
        return vault_error(res, status, "injected fault");
    }
    res.status = status;
    res.set_content(nlohmann::json{{"error", status == 429 ? "slow_down" : "temporarily_unavailable"},
                                   {"error_description", "injected fault"}}.dump(),
                    "application/json");
}

struct Emulator::Impl {
    Options options;
    Context ctx;
    TlsIdentity tls;
    std::unique_ptr<httplib::SSLServer> server;
    std::thread thread;
    int port = 0;
    std::unique_ptr<httplib::Server> kv_server;  // plain HTTP, Vault KV only
    std::thread kv_thread;
    int kv_port = 0;
    std::mutex log_mu;
    FILE* log = stderr;

    explicit Impl(Options o) : options(std::move(o)), ctx(options.state_path) {}

    void log_call(const Call& call, int status, bool injected) {
        if (options.quiet) return;
        std::lock_guard lock(log_mu);
        std::fprintf(log, "%s %s %s %s %d%s\n", rfc3339(now_seconds()).c_str(), call.service.c_str(),
                     call.operation.empty() ? "-" : call.operation.c_str(), call.key.empty() ? "-" : call.key.c_str(), status,
                     injected ? " injected" : "");
        std::fflush(log);
    }

    using Fn = void (*)(Context&, const Request&, Response&, Call&);

    httplib::Server::Handler wrap(const std::string& service, Fn fn) {
        return [this, service, fn](const Request& req, Response& res) {
            Call call{service, "", ""};
            std::string fault_service = service;
            if (service == "aws" && req.get_header_value("X-Amz-Target").empty()) fault_service = call.service = "sts";
            if (service == "gcp-token" || service == "azure-token") fault_service = "token";
            // The Key Vault challenge probe carries no token; faults count real calls only.
            bool probe = service == "azure" && bearer_token(req).empty();
            if (service != "control" && !probe) {
                if (auto status = ctx.faults.take(fault_service)) {
                    call.operation = req.get_header_value("X-Amz-Target").empty() ? req.method : req.get_header_value("X-Amz-Target");
                    call.key = req.path;
                    write_fault(fault_service, *status, res);
                    return log_call(call, res.status, true);
                }
            }
            try {
                if (fault_service == "sts") aws_sts(ctx, req, res, call);
                else fn(ctx, req, res, call);
            } catch (const std::exception& e) {
                write_fault(fault_service, 500, res);
            }
            log_call(call, res.status, false);
        };
    }

    // Vault KV: v1 at kv/, v2 at secret/ (as `vault server -dev` mounts them).
    void kv_routes(httplib::Server& s) {
        const char* kv = R"(/v1/(kv|secret)/(.+))";
        s.Get(kv, wrap("vault", vault_kv));
        s.Put(kv, wrap("vault", vault_kv));
        s.Post(kv, wrap("vault", vault_kv));
        s.Delete(kv, wrap("vault", vault_kv));
    }

    void start_kv_server() {
        kv_server = std::make_unique<httplib::Server>();
        kv_server->set_payload_max_length(1 << 20);
        kv_server->set_keep_alive_timeout(1);
        kv_routes(*kv_server);
        if (options.vault_kv_port == 0) {
            kv_port = kv_server->bind_to_any_port(options.vault_kv_host);
            if (kv_port < 0) throw std::runtime_error("cannot listen on " + options.vault_kv_host);
        } else {
            if (!kv_server->bind_to_port(options.vault_kv_host, options.vault_kv_port))
                throw std::runtime_error("cannot listen on " + options.vault_kv_host + ":" + std::to_string(options.vault_kv_port));
            kv_port = options.vault_kv_port;
        }
        kv_thread = std::thread([this] { kv_server->listen_after_bind(); });
        while (!kv_server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    void routes() {
        httplib::Server& s = *server;
        s.Post("/", wrap("aws", aws_kms));
        const char* gcp = R"(/v1/(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/:]+)(/cryptoKeyVersions/(\d+))?:(encrypt|decrypt))";
        s.Post(gcp, wrap("gcp", gcp_kms));
        const char* vault = R"(/v1/(.+)/(encrypt|decrypt)/([^/]+))";
        s.Post(R"(/v1\.0/([^/]+)/kms/(encrypt-data|decrypt-data))", wrap("hckms", hckms_kms));
        s.Get("/v3/projects", wrap("hckms", hckms_iam_projects));
        s.Put("/meta-data/latest/api/token", wrap("hckms-metadata", hckms_metadata));
        s.Get("/openstack/latest/securitykey", wrap("hckms-metadata", hckms_metadata));
        s.Post(R"(/v1/(auth/.+)/login)", wrap("vault", vault_login));
        s.Put(R"(/v1/(auth/.+)/login)", wrap("vault", vault_login));
        s.Post(vault, wrap("vault", vault_transit));
        s.Put(vault, wrap("vault", vault_transit));
        kv_routes(s);
        s.Get(R"(/keys/(.*))", wrap("azure", azure_kv));
        s.Post(R"(/keys/(.*))", wrap("azure", azure_kv));
        s.Post("/token", wrap("gcp-token", gcp_token));
        s.Post("/v1/token", wrap("gcp-token", gcp_sts_token));
        s.Post(R"(/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken)", wrap("gcp-token", gcp_generate_access_token));
        s.Post(R"(/([^/]+)/oauth2/v2\.0/token)", wrap("azure-token", azure_token));
        s.Get(R"(/([^/]+)/v2\.0/\.well-known/openid-configuration)", wrap("azure-token", azure_openid_configuration));
        s.Get("/federation/credentials", wrap("sso", aws_sso));
        s.Put("/latest/api/token", wrap("imds", imds));
        s.Get(R"(/latest/meta-data/.*)", wrap("imds", imds));
        s.Post(R"(/_emulator/([a-z-]+))", wrap("control", control));
        s.Get("/_emulator/health", [](const Request&, Response& res) { res.set_content(R"({"ok":true})", "application/json"); });
        // Object stores last: S3's path-style /{bucket}/{key} would match every other path.
        s.Post(R"(/upload/storage/v1/b/([^/]+)/o)", wrap("gcs", gcs_upload));
        s.Get(R"(/storage/v1/b/([^/]+)/o/(.+))", wrap("gcs", gcs_object));
        s.Put(R"(/([^/]+)/(.+))", wrap("s3", s3_object));
        s.Get(R"(/([^/]+)/(.+))", wrap("s3", s3_object));
    }
};

Emulator::Emulator(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() { stop(); }

void Emulator::start() {
    Impl& m = *impl_;
    if (!m.options.log_path.empty()) {
        m.log = std::fopen(m.options.log_path.c_str(), "a");
        if (!m.log) throw std::runtime_error("cannot open log file " + m.options.log_path);
    }
    for (const auto& spec : m.options.fail_next) m.ctx.faults.add_spec(spec);
    if (m.options.token_ttl_seconds > 0) m.ctx.tokens.set_ttl_override(m.options.token_ttl_seconds);
    m.tls = make_self_signed(m.options.extra_names);
    m.server = std::make_unique<httplib::SSLServer>(m.tls.cert.get(), m.tls.key.get());
    if (!m.server->is_valid()) throw std::runtime_error("cannot set up TLS");
    m.server->set_keep_alive_max_count(1000);
    m.server->set_keep_alive_timeout(1);  // idle connections must not delay stop()
    m.routes();
    if (m.options.port == 0) {
        m.port = m.server->bind_to_any_port(m.options.host);
        if (m.port < 0) throw std::runtime_error("cannot listen on " + m.options.host);
    } else {
        if (!m.server->bind_to_port(m.options.host, m.options.port))
            throw std::runtime_error("cannot listen on " + m.options.host + ":" + std::to_string(m.options.port));
        m.port = m.options.port;
    }
    m.ctx.base_url = url();
    m.thread = std::thread([&m] { m.server->listen_after_bind(); });
    while (!m.server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (m.options.vault_kv_port >= 0) m.start_kv_server();
}

void Emulator::stop() {
    Impl& m = *impl_;
    if (m.server) m.server->stop();
    if (m.thread.joinable()) m.thread.join();
    if (m.kv_server) m.kv_server->stop();
    if (m.kv_thread.joinable()) m.kv_thread.join();
    if (m.log && m.log != stderr) {
        std::fclose(m.log);
        m.log = stderr;
    }
}

int Emulator::port() const { return impl_->port; }

std::string Emulator::url() const {
    std::string host = impl_->options.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return "https://" + host + ":" + std::to_string(impl_->port);
}

std::string Emulator::vault_kv_url() const {
    if (!impl_->kv_server) return {};
    std::string host = impl_->options.vault_kv_host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(impl_->kv_port);
}

const std::string& Emulator::cert_pem() const { return impl_->tls.cert_pem; }

}  // namespace sopskit::kms_emulator
