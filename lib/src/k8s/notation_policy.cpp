// `flux create secret notation`'s trust policy check: json.Unmarshal into notation-go's
// trustpolicy.Document (Go's decoding rules and error texts), then Document.Validate
// (notation-go v1.3, with go-ldap's RFC 4514 DN parser for x509.subject identities).
#include <re2/re2.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <set>
#include <vector>

#include "core/go_quote.hpp"
#include "k8s/go_json_syntax.hpp"
#include "sopskit/error.hpp"
#include "sopskit/git_secret.hpp"

namespace sopskit {

namespace {

using detail::go_quote_string;

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

struct SignatureVerification {
    std::string level;
    std::vector<std::pair<std::string, std::string>> override_;  // map, in first-seen key order
    bool override_nil = true;
    std::string verify_timestamp;
};

struct TrustPolicy {
    std::string name;
    std::vector<std::string> registry_scopes, trust_stores, trusted_identities;
    SignatureVerification signature_verification;
};

struct Document {
    std::string version;
    std::vector<TrustPolicy> trust_policies;
};

// Decoding as encoding/json does, stopping at the first type error (Go reports the first one;
// the syntax was checked before, so no other error can come later).
class Decoder {
public:
    explicit Decoder(std::string_view text) : cur_(text) {}

    Document document() {
        Document doc;
        std::string_view kind = cur_.peek_kind();
        if (kind == "null") return doc;
        if (kind != "object") type_error(kind, "trustpolicy.Document", /*top=*/true);
        object([&](const std::string& field) {
            if (field == "version") return scalar_string(doc.version, "string"), true;
            if (field == "trustPolicies") return policies(doc.trust_policies), true;
            return false;
        }, "Document", {"version", "trustPolicies"});
        return doc;
    }

private:
    [[noreturn]] void type_error(std::string_view kind, const std::string& type, bool top = false) {
        std::string where = top ? "Go value" : "Go struct field " + struct_ + "." + join_fields();
        fail("json: cannot unmarshal " + std::string(kind) + " into " + where + " of type " + type);
    }
    std::string join_fields() const {
        std::string out;
        for (const auto& f : fields_) out += (out.empty() ? "" : ".") + f;
        return out;
    }

    // Go's field lookup: an exact name first, else a case-insensitive one (ASCII, plus the
    // Kelvin sign and long s that Go folds to k and s).
    static std::string fold(const std::string& s) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c == 0xE2 && s.compare(i, 3, "\xE2\x84\xAA") == 0) out += 'k', i += 2;
            else if (c == 0xC5 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF) out += 's', ++i;
            else out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return out;
    }
    static std::optional<std::string> match_field(const std::string& key, const std::vector<std::string>& names) {
        for (const auto& n : names)
            if (n == key) return n;
        std::string folded = fold(key);
        for (const auto& n : names)
            if (fold(n) == folded) return n;
        return std::nullopt;
    }

    // Walks an object's members; `on_field` decodes a known field and returns true.
    template <typename F>
    void object(F on_field, const std::string& struct_name, const std::vector<std::string>& names) {
        cur_.enter();
        while (cur_.next_member()) {
            std::string key = cur_.read_key();
            auto field = match_field(key, names);
            if (!field) {
                cur_.skip_value();
                continue;
            }
            std::string saved_struct = struct_;
            std::size_t depth = fields_.size();
            struct_ = struct_name;
            fields_.push_back(*field);
            on_field(*field);
            fields_.resize(depth);
            struct_ = saved_struct;
        }
    }

    void scalar_string(std::string& into, const std::string& type) {
        std::string_view kind = cur_.peek_kind();
        if (kind == "string") into = cur_.read_string();
        else if (kind == "null") cur_.skip_value();
        else type_error(kind, type);
    }

    void strings(std::vector<std::string>& into) {
        std::string_view kind = cur_.peek_kind();
        if (kind == "null") {
            cur_.skip_value();
            into.clear();
            return;
        }
        if (kind != "array") type_error(kind, "[]string");
        cur_.enter();
        std::size_t i = 0;
        while (cur_.next_member()) {
            if (i >= into.size()) into.emplace_back();
            scalar_string(into[i++], "string");
        }
        into.resize(i);
    }

    void policies(std::vector<TrustPolicy>& into) {
        std::string_view kind = cur_.peek_kind();
        if (kind == "null") {
            cur_.skip_value();
            into.clear();
            return;
        }
        if (kind != "array") type_error(kind, "[]trustpolicy.TrustPolicy");
        cur_.enter();
        std::size_t i = 0;
        while (cur_.next_member()) {
            if (i >= into.size()) into.emplace_back();
            policy(into[i++]);
        }
        into.resize(i);
    }

    void policy(TrustPolicy& p) {
        std::string_view kind = cur_.peek_kind();
        if (kind == "null") return cur_.skip_value();
        if (kind != "object") type_error(kind, "trustpolicy.TrustPolicy");
        object([&](const std::string& field) {
            if (field == "name") scalar_string(p.name, "string");
            else if (field == "registryScopes") strings(p.registry_scopes);
            else if (field == "signatureVerification") verification(p.signature_verification);
            else if (field == "trustStores") strings(p.trust_stores);
            else strings(p.trusted_identities);
            return true;
        }, "TrustPolicy", {"name", "registryScopes", "signatureVerification", "trustStores", "trustedIdentities"});
    }

    void verification(SignatureVerification& v) {
        std::string_view kind = cur_.peek_kind();
        if (kind == "null") return cur_.skip_value();
        if (kind != "object") type_error(kind, "trustpolicy.SignatureVerification");
        object([&](const std::string& field) {
            if (field == "level") scalar_string(v.level, "string");
            else if (field == "verifyTimestamp") scalar_string(v.verify_timestamp, "trustpolicy.TimestampOption");
            else overrides(v);
            return true;
        }, "SignatureVerification", {"level", "override", "verifyTimestamp"});
    }

    // A map merges into what an earlier duplicate key decoded; null resets it.
    void overrides(SignatureVerification& v) {
        std::string_view kind = cur_.peek_kind();
        if (kind == "null") {
            cur_.skip_value();
            v.override_.clear();
            v.override_nil = true;
            return;
        }
        if (kind != "object") type_error(kind, "map[trustpolicy.ValidationType]trustpolicy.ValidationAction");
        v.override_nil = false;
        cur_.enter();
        while (cur_.next_member()) {
            std::string key = cur_.read_key();
            std::string value;
            scalar_string(value, "trustpolicy.ValidationAction");
            bool replaced = false;
            for (auto& [k, val] : v.override_)
                if (k == key) val = value, replaced = true;
            if (!replaced) v.override_.emplace_back(key, value);
        }
    }

    detail::GoJsonCursor cur_;
    std::string struct_;
    std::vector<std::string> fields_;
};

// --- notation-go's Validate ---------------------------------------------------------------

const char* const kValidationTypes[] = {"integrity", "authenticity", "authenticTimestamp", "expiry", "revocation"};
const char* const kValidationActions[] = {"enforce", "log", "skip"};

std::string go_list_quoted(const char* const* items, std::size_t n) {
    std::string out = "[";
    for (std::size_t i = 0; i < n; ++i) out += (i ? " " : "") + go_quote_string(items[i]);
    return out + "]";
}

// GetVerificationLevel: the level's name ("custom" when overridden), or the error.
std::string verification_level(const SignatureVerification& v) {
    static const std::vector<std::string> levels{"strict", "permissive", "audit", "skip"};
    if (v.level.empty()) fail("signature verification level is empty or missing in the trust policy statement");
    if (std::find(levels.begin(), levels.end(), v.level) == levels.end())
        fail("invalid signature verification level " + go_quote_string(v.level));
    if (v.override_.empty()) return v.level;
    if (v.level == "skip") fail("signature verification level " + go_quote_string(v.level) + " can't be used to customize signature verification");
    for (const auto& [type, action] : v.override_) {
        if (std::find(std::begin(kValidationTypes), std::end(kValidationTypes), type) == std::end(kValidationTypes))
            fail("verification type " + go_quote_string(type) + " in custom signature verification is not supported, supported values are " +
                 go_list_quoted(kValidationTypes, 5));
        if (std::find(std::begin(kValidationActions), std::end(kValidationActions), action) == std::end(kValidationActions))
            fail("verification action " + go_quote_string(action) + " in custom signature verification is not supported, supported values are " +
                 go_list_quoted(kValidationActions, 3));
        if (type == "integrity") fail(go_quote_string(type) + " verification can not be overridden in custom signature verification");
        if (type != "revocation" && action == "skip") fail(go_quote_string(type) + " verification can not be skipped in custom signature verification");
    }
    return "custom";
}

// go-ldap v3.4's decodeString: spaces trimmed (an escaped trailing one kept), escapes undone.
std::string ldap_decode(const std::string& raw) {
    std::string trimmed = raw;
    std::size_t b = trimmed.find_first_not_of(' ');
    trimmed = b == std::string::npos ? "" : trimmed.substr(b, trimmed.find_last_not_of(' ') - b + 1);
    if (!trimmed.empty() && trimmed.back() == '\\' && !raw.empty() && raw.back() == ' ') trimmed += ' ';
    // Go walks runes: invalid UTF-8 becomes U+FFFD.
    std::vector<std::string> runes;
    for (std::size_t i = 0; i < trimmed.size();) {
        auto d = detail::decode_utf8_rune(std::string_view(trimmed).substr(i));
        runes.push_back(d.rune == 0xFFFD && d.length == 1 ? std::string("\xEF\xBF\xBD") : trimmed.substr(i, d.length));
        i += d.length;
    }
    std::string out;
    auto hex_value = [](char c) { return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1; };
    auto invalid_byte = [](unsigned char c) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "U+%04X", c);
        std::string s = buf;
        if (c >= 0x20 && c < 0x7F) s += std::string(" '") + static_cast<char>(c) + "'";
        return "failed to decode escaped character: encoding/hex: invalid byte: " + s;
    };
    for (std::size_t i = 0; i < runes.size(); ++i) {
        if (runes[i] != "\\") {
            out += runes[i];
            continue;
        }
        if (i + 1 >= runes.size()) {
            std::string all;
            for (const auto& r : runes) all += r;
            throw std::runtime_error("got corrupted escaped character: '" + all + "'");
        }
        if (runes[i + 1].size() == 1 && std::string_view(" \"#+,;<=>\\").find(runes[i + 1][0]) != std::string_view::npos) {
            out += runes[++i];
            continue;
        }
        if (i + 2 >= runes.size())
            throw std::runtime_error("failed to decode escaped character: encoding/hex: invalid byte: " + runes[i + 1]);
        std::string xx = runes[i + 1] + runes[i + 2];
        if (xx.size() != 2) throw std::runtime_error("failed to decode escaped character: invalid byte: " + xx);
        int hi = hex_value(xx[0]), lo = hex_value(xx[1]);
        if (hi < 0) throw std::runtime_error(invalid_byte(static_cast<unsigned char>(xx[0])));
        if (lo < 0) throw std::runtime_error(invalid_byte(static_cast<unsigned char>(xx[1])));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

struct Attribute {
    std::string type, value;
};

// go-ldap's ParseDN: RDNs of type=value attributes ('+' joins attributes of one RDN).
std::vector<std::vector<Attribute>> ldap_parse_dn(const std::string& str) {
    std::vector<std::vector<Attribute>> rdns;
    if (str.find_first_not_of(" \t\n\v\f\r") == std::string::npos) return rdns;
    std::vector<Attribute> rdn;
    Attribute attr;
    bool escaping = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < str.size(); ++i) {
        char c = str[i];
        if (escaping) {
            escaping = false;
        } else if (c == '\\') {
            escaping = true;
        } else if (c == '=' && attr.type.empty()) {
            attr.type = ldap_decode(str.substr(start, i - start));
            start = i + 1;
        } else if (c == ',' || c == '+' || c == ';') {
            if (attr.type.empty()) throw std::runtime_error("incomplete type, value pair");
            attr.value = ldap_decode(str.substr(start, i - start));
            start = i + 1;
            rdn.push_back(std::move(attr));
            attr = Attribute{};
            if (c != '+') rdns.push_back(std::move(rdn)), rdn.clear();
        }
    }
    if (attr.type.empty()) throw std::runtime_error("DN ended with incomplete type, value pair");
    attr.value = ldap_decode(str.substr(start));
    rdn.push_back(std::move(attr));
    rdns.push_back(std::move(rdn));
    return rdns;
}

// notation-go's pkix.ParseDistinguishedName.
std::map<std::string, std::string> parse_dn(const std::string& name) {
    const std::string qn = go_quote_string(name);
    if (name.find("=#") != std::string::npos)
        fail("unsupported distinguished name (DN) " + qn + ": notation does not support x509.subject identities containing \"=#\"");
    std::vector<std::vector<Attribute>> rdns;
    try {
        rdns = ldap_parse_dn(name);
    } catch (const std::runtime_error& e) {
        fail("parsing distinguished name (DN) " + qn + " failed with err: " + e.what() +
             ". A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard");
    }
    std::map<std::string, std::string> attrs;
    for (const auto& rdn : rdns) {
        if (rdn.size() > 1)
            fail("distinguished name (DN) " + qn + " has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported");
        for (const auto& a : rdn) {
            std::string type = a.type == "S" ? "ST" : a.type;
            if (!attrs[type].empty())
                fail("distinguished name (DN) " + qn + " has duplicate RDN attribute for " + go_quote_string(type) +
                     ", DN can only have unique RDN attributes");
            attrs[type] = a.value;
        }
    }
    for (const char* field : {"C", "ST", "O"})
        if (attrs[field].empty())
            fail("distinguished name (DN) " + qn + " has no mandatory RDN attribute for " + go_quote_string(field) +
                 ", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum");
    return attrs;
}

bool is_subset_dn(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
    for (const auto& [k, v] : a) {
        auto it = b.find(k);
        if (v != (it == b.end() ? std::string() : it->second)) return false;
    }
    return true;
}

void validate_trust_stores(const std::string& qn, const std::vector<std::string>& stores) {
    static const RE2 store_name("[a-zA-Z0-9_.-]+");
    for (const auto& store : stores) {
        auto colon = store.find(':');
        if (colon == std::string::npos)
            fail("trust policy statement " + qn + " has malformed trust store value " + go_quote_string(store) +
                 ". The required format is <TrustStoreType>:<TrustStoreName>");
        std::string type = store.substr(0, colon), named = store.substr(colon + 1);
        if (type != "ca" && type != "signingAuthority" && type != "tsa")
            fail("trust policy statement " + qn + " uses an unsupported trust store type " + go_quote_string(type) + " in trust store value " +
                 go_quote_string(store));
        if (!RE2::FullMatch(named, store_name))
            fail("trust policy statement " + qn + " uses an unsupported trust store name " + go_quote_string(named) +
                 " in trust store value " + go_quote_string(store) + ". Named store name needs to follow [a-zA-Z0-9_.-]+ format");
    }
}

void validate_trusted_identities(const std::string& qn, const std::vector<std::string>& identities) {
    if (identities.size() > 1 && std::find(identities.begin(), identities.end(), "*") != identities.end())
        fail("trust policy statement " + qn + " uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values");
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> dns;
    for (const auto& identity : identities) {
        if (identity.empty()) fail("trust policy statement " + qn + " has an empty trusted identity");
        if (identity == "*") continue;
        auto colon = identity.find(':');
        if (colon == std::string::npos) fail("trust policy statement " + qn + " has trusted identity " + go_quote_string(identity) + " missing separator");
        if (identity.substr(0, colon) != "x509.subject") continue;
        std::string value = identity.substr(colon + 1);
        if (value.empty())
            fail("trust policy statement " + qn + " has trusted identity " + go_quote_string(identity) + " without an identity value");
        try {
            dns.emplace_back(identity, parse_dn(value));
        } catch (const Error& e) {
            fail("trust policy statement " + qn + " has trusted identity " + go_quote_string(identity) + " with invalid identity value: " + e.what());
        }
    }
    for (std::size_t i = 0; i < dns.size(); ++i)
        for (std::size_t j = 0; j < dns.size(); ++j)
            if (i != j && is_subset_dn(dns[i].second, dns[j].second))
                fail("trust policy statement " + qn + " has overlapping x509 trustedIdentities, " + go_quote_string(dns[i].first) +
                     " overlaps with " + go_quote_string(dns[j].first));
}

void validate_policy_core(const TrustPolicy& p) {
    if (p.name.empty()) fail("a trust policy statement is missing a name, every statement requires a name");
    const std::string qn = go_quote_string(p.name);
    std::string level;
    try {
        level = verification_level(p.signature_verification);
    } catch (const Error& e) {
        fail("trust policy statement " + qn + " has invalid signatureVerification: " + e.what());
    }
    const std::string& ts = p.signature_verification.verify_timestamp;
    if (!ts.empty() && ts != "always" && ts != "afterCertExpiry")
        fail("trust policy statement " + qn + " has invalid signatureVerification: verifyTimestamp must be \"always\" or \"afterCertExpiry\", but got " +
             go_quote_string(ts));
    if (level == "skip") {
        if (!p.trust_stores.empty() || !p.trusted_identities.empty())
            fail("trust policy statement " + qn + " is set to skip signature verification but configured with trust stores and/or trusted "
                 "identities, remove them if signature verification needs to be skipped");
        return;
    }
    if (p.trust_stores.empty() || p.trusted_identities.empty())
        fail("trust policy statement " + qn + " is either missing trust stores or trusted identities, both must be specified");
    validate_trust_stores(qn, p.trust_stores);
    validate_trusted_identities(qn, p.trusted_identities);
}

void validate_registry_scope_format(const std::string& scope) {
    static const RE2 domain(
        "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?");
    static const RE2 repository("[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?");
    const std::string ensure =
        "make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a "
        "local scope like local/myOCILayout";
    if (scope.size() > 1 && scope.find('*') != std::string::npos)
        fail("registry scope " + go_quote_string(scope) + " with wild card(s) is not valid, " + ensure);
    auto slash = scope.find('/');
    bool ok = slash != std::string::npos;
    if (ok) {
        std::string d = scope.substr(0, slash), r = scope.substr(slash + 1);
        ok = !d.empty() && !r.empty() && RE2::FullMatch(d, domain) && RE2::FullMatch(r, repository);
    }
    if (!ok) fail("registry scope " + go_quote_string(scope) + " is not valid, " + ensure);
}

void validate_registry_scopes(const Document& doc) {
    std::vector<std::string> order;
    std::map<std::string, int> count;
    for (const auto& p : doc.trust_policies) {
        const std::string qn = go_quote_string(p.name);
        if (p.registry_scopes.empty())
            fail("trust policy statement " + qn + " has zero registry scopes, it must specify registry scopes with at least one value");
        if (p.registry_scopes.size() > 1 && std::find(p.registry_scopes.begin(), p.registry_scopes.end(), "*") != p.registry_scopes.end())
            fail("trust policy statement " + qn + " uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values");
        for (const auto& scope : p.registry_scopes) {
            if (scope != "*") validate_registry_scope_format(scope);
            if (count[scope]++ == 0) order.push_back(scope);
        }
    }
    for (const auto& scope : order)
        if (count[scope] > 1)
            fail("registry scope " + go_quote_string(scope) +
                 " is present in multiple trust policy statements, one registry scope value can only be associated with one statement");
}

void validate_document(const Document& doc) {
    if (doc.version.empty()) fail("trust policy document has empty version, version must be specified");
    if (doc.version != "1.0") fail("trust policy document uses unsupported version " + go_quote_string(doc.version));
    if (doc.trust_policies.empty()) fail("trust policy document can not have zero trust policy statements");
    std::set<std::string> names;
    for (const auto& p : doc.trust_policies) {
        if (names.count(p.name))
            fail("multiple trust policy statements use the same name " + go_quote_string(p.name) + ", statement names must be unique");
        try {
            validate_policy_core(p);
        } catch (const Error& e) {
            fail(std::string("trust policy: ") + e.what());
        }
        names.insert(p.name);
    }
    validate_registry_scopes(doc);
}

}  // namespace

void validate_notation_trust_policy(std::string_view json, const std::string& file) {
    Document doc;
    try {
        if (auto syntax = detail::go_json_syntax_error(json)) fail(*syntax);
        doc = Decoder(json).document();
    } catch (const Error& e) {
        fail("failed to unmarshal trust policy " + file + ": " + e.what());
    }
    try {
        validate_document(doc);
    } catch (const Error& e) {
        fail(std::string("invalid trust policy: ") + e.what());
    }
}

}  // namespace sopskit
