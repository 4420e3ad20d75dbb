// SigV4 verification of received AWS requests. The signature maths are the KMS client's
// signer (sopskit/kms/sigv4.hpp); this file only maps the received request onto it and
// applies the service's rules on scope, skew and credentials.
#include "aws_auth.hpp"

#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>

#include "codec.hpp"

#include "sopskit/kms/sigv4.hpp"

namespace sopskit::kms_emulator {

namespace {

long long parse_amz_date(const std::string& d) {
    std::tm tm{};
    if (d.size() != 16 || !strptime(d.c_str(), "%Y%m%dT%H%M%SZ", &tm)) return -1;
    return static_cast<long long>(timegm(&tm));
}

struct Secret {
    std::string secret;
    std::string account;
    std::string principal;
    std::string session_token;  // required when non-empty
    long long expires_at = 0;   // 0: long-term
};

std::optional<Secret> find_secret(Context& ctx, const std::string& akid) {
    nlohmann::json aws = ctx.keys.section("aws");
    std::string account = aws.value("account", "111122223333");
    nlohmann::json creds = aws.value("credentials", nlohmann::json::object());
    if (auto it = creds.find(akid); it != creds.end()) {
        Secret s;
        s.account = account;
        if (it->is_string()) {
            s.secret = it->get<std::string>();
        } else {
            s.secret = it->value("secret", "");
            s.account = it->value("account", account);
        }
        std::string user = it->is_object() ? it->value("user", "emulator") : "emulator";
        s.principal = "arn:aws:iam::" + s.account + ":user/" + user;
        return s;
    }
    if (auto t = ctx.tokens.find_aws(akid)) {
        Secret s{t->secret, account, t->role_arn, t->session_token, t->expires_at};
        // arn:aws:iam::ACCT:role/NAME → arn:aws:sts::ACCT:assumed-role/NAME/emulator
        size_t role = t->role_arn.find(":role/");
        if (role != std::string::npos) {
            size_t acct_start = t->role_arn.find("::") + 2;
            s.account = t->role_arn.substr(acct_start, role - acct_start);
            s.principal = "arn:aws:sts::" + s.account + ":assumed-role/" + t->role_arn.substr(role + 6) + "/emulator";
        }
        return s;
    }
    return std::nullopt;
}

}  // namespace

std::string aws_account(Context& ctx) { return ctx.keys.section("aws").value("account", "111122223333"); }

AwsAuth authenticate_aws(Context& ctx, const httplib::Request& req, std::string_view service) {
    AwsAuth out;
    auto fail = [&](AwsAuthFailure f, std::string msg) {
        out.failure = f;
        out.message = std::move(msg);
        return out;
    };
    namespace sv = sopskit::kms::sigv4;
    std::string authz = req.get_header_value("Authorization");
    if (authz.empty()) return fail(AwsAuthFailure::MissingAuthentication, "Missing Authentication Token");
    auto parsed = sv::parse_authorization(authz);
    if (!parsed)
        return fail(AwsAuthFailure::IncompleteSignature,
                    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
    out.access_key_id = parsed->access_key_id;
    out.region = parsed->region;
    auto secret = find_secret(ctx, parsed->access_key_id);
    if (!secret) return fail(AwsAuthFailure::UnknownAccessKey, "The security token included in the request is invalid.");
    if (!secret->session_token.empty() && req.get_header_value("X-Amz-Security-Token") != secret->session_token)
        return fail(AwsAuthFailure::UnknownAccessKey, "The security token included in the request is invalid.");
    if (secret->expires_at && secret->expires_at <= now_seconds())
        return fail(AwsAuthFailure::ExpiredToken, "The security token included in the request is expired");
    out.account = secret->account;
    out.principal = secret->principal;

    std::string amz_date = req.get_header_value("X-Amz-Date");
    long long t = parse_amz_date(amz_date);
    if (t < 0) return fail(AwsAuthFailure::IncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    if (parsed->date != amz_date.substr(0, 8))
        return fail(AwsAuthFailure::BadSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                                                      parsed->date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.");
    if (parsed->service != service)
        return fail(AwsAuthFailure::BadSignature, "Credential should be scoped to correct service: '" + std::string(service) + "'.");
    long long now = now_seconds();
    if (std::llabs(now - t) > 300)
        return fail(AwsAuthFailure::SignatureExpired, "Signature expired: " + amz_date + " is now earlier than " +
                                                          rfc3339(now - 300) + " (" + rfc3339(now) + " - 5 min.)");

    const bool s3 = service == "s3";
    if (s3 && req.get_header_value("X-Amz-Content-Sha256") != sv::sha256_hex(req.body))
        return fail(AwsAuthFailure::BadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.");
    sv::Request r;
    r.method = req.method;
    std::string target = req.target.empty() ? req.path : req.target;
    size_t q = target.find('?');
    r.path = s3 ? req.path : target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    for (const auto& [name, value] : req.headers) r.headers.push_back({name, value});
    r.body = req.body;
    if (!sv::verify(r, secret->secret, !s3))
        return fail(AwsAuthFailure::BadSignature,
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
                    "Access Key and signing method. Consult the service documentation for details.");
    return out;
}

}  // namespace sopskit::kms_emulator
