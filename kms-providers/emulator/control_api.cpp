// Test controls: inject faults, expire or shorten tokens, deny a key. POST /_emulator/<what>.
#include <nlohmann/json.hpp>

#include "handlers.hpp"

namespace sopskit::kms_emulator {

namespace {
void done(Response& res, const nlohmann::json& extra = nlohmann::json::object()) {
    nlohmann::json body = {{"ok", true}};
    body.update(extra);
    res.status = 200;
    res.set_content(body.dump(), "application/json");
}
void bad(Response& res, const std::string& why) {
    res.status = 400;
    res.set_content(nlohmann::json{{"ok", false}, {"error", why}}.dump(), "application/json");
}
}  // namespace

void control(Context& ctx, const Request& req, Response& res, Call& call) {
    std::string what = req.matches[1];
    call.operation = what;
    nlohmann::json body = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) return bad(res, "body must be a JSON object");
    try {
        if (what == "faults") {
            // {"service":"aws","status":429,"count":1} or {"clear":true}
            if (body.value("clear", false)) {
                ctx.faults.clear();
                return done(res);
            }
            call.key = body.value("service", "");
            ctx.faults.add(body.value("service", ""), body.value("status", 0), body.value("count", 1));
            return done(res);
        }
        if (what == "expire-tokens") {
            ctx.tokens.expire_all();
            return done(res);
        }
        if (what == "token-ttl") {
            // {"seconds": 2}; 0 restores the state file's token_ttl_seconds
            ctx.tokens.set_ttl_override(body.value("seconds", 0LL));
            return done(res, {{"token_ttl_seconds", ctx.token_ttl()}});
        }
        if (what == "deny") {
            // {"service":"aws|gcp|azure|vault","key":"<id as in the state file>","denied":true}
            call.key = body.value("key", "");
            if (!ctx.keys.set_denied(body.value("service", ""), call.key, body.value("denied", true))) return bad(res, "no such key");
            return done(res);
        }
    } catch (const std::exception& e) {
        return bad(res, e.what());
    }
    res.status = 404;
    res.set_content(R"({"ok":false,"error":"unknown control"})", "application/json");
}

}  // namespace sopskit::kms_emulator
