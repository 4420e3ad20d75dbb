// HashiCorp Vault's KV secrets engine as `vault server -dev` mounts it: version 1 at kv/ and
// version 2 at secret/, kept in memory. Enough for `sops publish` to Vault and for tests that
// read back what it wrote; not a Vault (no policies beyond the token list, no CAS, no leases).
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "handlers.hpp"

namespace sopskit::kms_emulator {

namespace {

constexpr std::size_t kMaxSecrets = 10'000;  // a test writes a few; this bounds a runaway client
constexpr std::size_t kMaxVersions = 100;    // versions kept per v2 secret

void reply(Response& res, int status, const nlohmann::json& data) {
    nlohmann::json body = {{"request_id", hex_encode(random_bytes(16))}, {"lease_id", ""}, {"renewable", false},
                           {"lease_duration", 0}, {"data", data}, {"wrap_info", nullptr}, {"warnings", nullptr}, {"auth", nullptr}};
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

// A secret's path below its mount: no empty, "." or ".." segments, no trailing slash.
bool valid_secret_path(const std::string& path) {
    if (path.empty() || path.size() > 1024) return false;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string_view seg(path.data() + start, end - start);
        if (seg.empty() || seg == "." || seg == "..") return false;
        start = end + 1;
    }
    return true;
}

// v1 writes the request body as the secret; v2 wants {"data": {...}}.
void kv_v1(Context& ctx, const Request& req, Response& res, const std::string& path) {
    std::lock_guard lock(ctx.kv.mu);
    auto it = ctx.kv.v1.find(path);
    if (req.method == "GET") {
        if (it == ctx.kv.v1.end()) return vault_error(res, 404, "");
        return reply(res, 200, it->second);
    }
    if (req.method == "DELETE") {
        if (it != ctx.kv.v1.end()) ctx.kv.v1.erase(it);
        res.status = 204;
        return;
    }
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return vault_error(res, 400, "failed to parse JSON input: invalid character in request body");
    if (it == ctx.kv.v1.end() && ctx.kv.size() >= kMaxSecrets) return vault_error(res, 507, "too many secrets in the emulator");
    ctx.kv.v1[path] = std::move(body);
    res.status = 204;
}

void kv_v2(Context& ctx, const Request& req, Response& res, const std::string& path) {
    std::lock_guard lock(ctx.kv.mu);
    auto it = ctx.kv.v2.find(path);
    if (req.method == "GET") {
        if (it == ctx.kv.v2.end() || it->second.empty()) return vault_error(res, 404, "");
        const nlohmann::json& latest = it->second.back();
        return reply(res, 200, {{"data", latest["data"]}, {"metadata", latest["metadata"]}});
    }
    if (req.method == "DELETE") {
        if (it != ctx.kv.v2.end()) ctx.kv.v2.erase(it);
        res.status = 204;
        return;
    }
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("data") || !body["data"].is_object())
        return vault_error(res, 400, "no data provided");
    if (it == ctx.kv.v2.end() && ctx.kv.size() >= kMaxSecrets) return vault_error(res, 507, "too many secrets in the emulator");
    auto& versions = ctx.kv.v2[path];
    long long version = versions.empty() ? 1 : versions.back()["metadata"]["version"].get<long long>() + 1;
    nlohmann::json metadata = {{"created_time", rfc3339(now_seconds())}, {"custom_metadata", nullptr},
                               {"deletion_time", ""}, {"destroyed", false}, {"version", version}};
    versions.push_back({{"data", std::move(body["data"])}, {"metadata", metadata}});
    if (versions.size() > kMaxVersions) versions.erase(versions.begin());
    reply(res, 200, metadata);
}

}  // namespace

std::size_t VaultKv::size() const { return v1.size() + v2.size(); }

void vault_kv(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string mount = req.matches[1], rest = req.matches[2];
    call.operation = "kv " + req.method;
    call.key = mount + "/" + rest;
    if (!vault_token_allowed(ctx, req, "")) return vault_error(res, 403, "permission denied");
    if (mount == "secret") {
        if (rest.rfind("data/", 0) != 0) return vault_error(res, 404, "no handler for route \"secret/" + rest + "\"");
        rest.erase(0, 5);
    }
    if (!valid_secret_path(rest)) return vault_error(res, 400, "invalid secret path");
    if (mount == "kv") return kv_v1(ctx, req, res, rest);
    kv_v2(ctx, req, res, rest);
}

}  // namespace sopskit::kms_emulator
