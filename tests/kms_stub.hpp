// In-process HTTP(S) stub servers for the KMS client tests (cpp-httplib on a loopback port).
#pragma once
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "sopskit/kms.hpp"
#include "sopskit/kms/sigv4.hpp"
#include "test_support.hpp"

namespace sopskit::test {

class StubServer {
public:
    // Plain HTTP, or HTTPS with the given certificate and key files.
    StubServer() : server_(std::make_unique<httplib::Server>()) {}
    StubServer(const std::string& cert, const std::string& key)
        : server_(std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str())) {}
    ~StubServer() { stop(); }

    httplib::Server& srv() { return *server_; }
    // Binds to 127.0.0.1 on a free port and serves in a thread.
    void start() {
        port_ = server_->bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_->listen_after_bind(); });
        while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    void stop() {
        if (thread_.joinable()) {
            server_->stop();
            thread_.join();
        }
    }
    int port() const { return port_; }
    std::string url(const std::string& scheme = "http") const { return scheme + "://127.0.0.1:" + std::to_string(port_); }

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
};

// The request as the SigV4 verifier sees it.
inline kms::sigv4::Request sigv4_request_of(const httplib::Request& r) {
    kms::sigv4::Request s;
    s.method = r.method;
    s.path = r.path;
    for (const auto& [k, v] : r.headers) s.headers.push_back({k, v});
    s.body = r.body;
    return s;
}

// A self-signed certificate for 127.0.0.1/localhost in `dir` (cert.pem, key.pem).
inline bool make_self_signed_cert(const std::filesystem::path& dir) {
    auto r = run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                 "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
                 (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>&1");
    return r.exit_code == 0;
}

// A Vault transit stand-in for key `key`: encrypt answers "vault:v1:" + the plaintext, decrypt
// strips it; a request with any other token than `token` gets 403. `on_call` sees each token.
inline void serve_fake_vault_transit(StubServer& server, const std::string& key, const std::string& token,
                                     std::function<void(const std::string&)> on_call = {}) {
    using nlohmann::json;
    server.srv().Put("/v1/transit/(encrypt|decrypt)/" + key, [token, on_call](const httplib::Request& req, httplib::Response& res) {
        std::string sent = req.get_header_value("X-Vault-Token");
        if (on_call) on_call(sent);
        if (sent != token) {
            res.status = 403;
            res.set_content(R"({"errors":["permission denied"]})", "application/json");
            return;
        }
        json body = json::parse(req.body);
        if (std::string(req.matches[1]) == "encrypt")
            res.set_content(json{{"data", {{"ciphertext", "vault:v1:" + body["plaintext"].get<std::string>()}}}}.dump(), "application/json");
        else
            res.set_content(json{{"data", {{"plaintext", body["ciphertext"].get<std::string>().substr(9)}}}}.dump(), "application/json");
    });
}

// An environment of exactly these variables (empty values count as unset).
inline kms::EnvReader env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        if (it == vars.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
}

}  // namespace sopskit::test
