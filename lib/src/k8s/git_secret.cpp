// Flux's `create secret git` (and the decryption Secret helper) as library calls.
#include <re2/re2.h>
#include <zlib.h>

#include <algorithm>

#include "core/base64.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/git_secret.hpp"

namespace sopskit {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

struct GitUrl {
    std::string scheme, host;  // host without brackets
    int port = 22;
};

GitUrl parse_git_url(const std::string& url) {
    if (url.empty()) fail("url is required");
    GitUrl u;
    auto sep = url.find("://");
    u.scheme = sep == std::string::npos ? "" : url.substr(0, sep);
    if (u.scheme != "ssh" && u.scheme != "http" && u.scheme != "https")
        fail("git URL scheme '" + u.scheme + "' not supported, can be: ssh, http and https");
    std::string rest = url.substr(sep + 3);
    std::string authority = rest.substr(0, rest.find('/'));
    if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
    if (!authority.empty() && authority[0] == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) fail("invalid URL: bad IPv6 host");
        u.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = std::stoi(authority.substr(close + 2));
    } else {
        auto colon = authority.find(':');
        u.host = authority.substr(0, colon);
        if (colon != std::string::npos) u.port = std::stoi(authority.substr(colon + 1));
    }
    if (u.host.empty()) fail("invalid URL: no host");
    return u;
}

Value string_map(const std::map<std::string, std::string>& m) {
    Value v = Value::empty_map();
    for (const auto& [k, s] : m) v.map.push_back(Item{Value::string(k), Value::string(s)});  // std::map: sorted
    return v;
}

}  // namespace

void validate_flux_name(const std::string& name) {
    if (name.empty()) fail("name is required");
    static const RE2 re("^[a-z0-9]([a-z0-9\\-]){0,61}[a-z0-9]$");
    if (!RE2::FullMatch(name, re))
        fail("name '" + name + "' is invalid, it should adhere to standard defined in RFC 1123, the name can only contain "
             "alphanumeric characters or '-'");
}

std::map<std::string, std::string> parse_labels(const std::vector<std::string>& values) {
    std::map<std::string, std::string> labels;
    for (const auto& v : values) {
        std::size_t start = 0;
        while (start <= v.size()) {
            std::size_t comma = v.find(',', start);
            std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            auto eq = one.find('=');
            if (eq == std::string::npos || one.find('=', eq + 1) != std::string::npos)
                fail("invalid label format '" + one + "', must be key=value");
            labels[one.substr(0, eq)] = one.substr(eq + 1);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    return labels;
}

std::string flux_secret_yaml(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                             const std::string& type, const std::map<std::string, std::string>& string_data) {
    Value metadata = Value::empty_map();
    if (!labels.empty()) metadata.map.push_back(Item{Value::string("labels"), string_map(labels)});
    metadata.map.push_back(Item{Value::string("name"), Value::string(name)});
    metadata.map.push_back(Item{Value::string("namespace"), Value::string(ns)});
    Branch doc;
    doc.push_back(Item{Value::string("apiVersion"), Value::string("v1")});
    doc.push_back(Item{Value::string("kind"), Value::string("Secret")});
    doc.push_back(Item{Value::string("metadata"), std::move(metadata)});
    doc.push_back(Item{Value::string("stringData"), string_map(string_data)});
    if (!type.empty()) doc.push_back(Item{Value::string("type"), Value::string(type)});
    StoreOptions o;
    o.yaml_indent = 2;
    // Flux prints "---", the YAML, and a newline from Println: the export ends with an empty line.
    return "---\n" + emit_plain(Format::Yaml, {doc}, o) + "\n";
}

std::string git_secret_manifest(const GitSecretOptions& o) {
    validate_flux_name(o.name);
    GitUrl url = parse_git_url(o.url);
    std::map<std::string, std::string> data;
    if (url.scheme == "ssh") {
        SshKeyPair pair = o.private_key_file_bytes ? load_ssh_private_key(*o.private_key_file_bytes, o.password)
                                                   : generate_ssh_key(o.ssh_key_algorithm, o.ssh_rsa_bits, o.ssh_ecdsa_curve);
        std::string known_hosts = o.known_hosts_override ? *o.known_hosts_override : scan_known_hosts(url.host, url.port);
        data["identity"] = std::string(pair.private_key.view());
        data["identity.pub"] = pair.public_line;
        data["known_hosts"] = known_hosts;
        if (!o.password.empty()) data["password"] = o.password;
    } else {
        bool basic = !o.username.empty() && !o.password.empty();
        if (!basic && o.bearer_token.empty())
            fail("for Git over HTTP/S the username and password, or a bearer token is required");
        if (!o.username.empty() && !o.password.empty() && !o.bearer_token.empty())
            fail("user credentials and bearer token cannot be used together");
        if (!o.bearer_token.empty()) {
            data["bearerToken"] = o.bearer_token;
        } else {
            data["username"] = o.username;
            data["password"] = o.password;
        }
        if (o.ca_crt) data["ca.crt"] = *o.ca_crt;
    }
    std::string out = flux_secret_yaml(o.name, o.ns, o.labels, "", data);
    for (auto& [k, v] : data) wipe(v);
    return out;
}

std::optional<std::string> identity_pub_of(const Branches& docs) {
    for (const auto& doc : docs) {
        Value root = Value::empty_map();
        root.map = doc;
        if (const Value* sd = root.find("stringData"))
            if (const Value* pub = sd->find("identity.pub")) return pub->text;
        if (const Value* data = root.find("data"))
            if (const Value* pub = data->find("identity.pub")) return detail::base64_decode(pub->text);
    }
    return std::nullopt;
}

std::string flux_decryption_secret(const std::string& name, const std::string& ns, const std::vector<std::string>& age_keys,
                                   const std::vector<std::string>& pgp_keys) {
    std::map<std::string, std::string> data;
    // Go's adler32.Checksum (Flux's MakeSOPSSecret): the standard Adler-32, whose running sum
    // starts at 1 (zlib's adler32(0, nullptr, 0)), not at 0.
    auto entry = [](const std::string& key) {
        uLong sum = adler32(0L, Z_NULL, 0);
        sum = adler32(sum, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
        return std::to_string(sum);
    };
    for (const auto& k : age_keys) data[entry(k) + ".agekey"] = k;
    for (const auto& k : pgp_keys) data[entry(k) + ".asc"] = k;
    std::string out = flux_secret_yaml(name, ns, {}, "Opaque", data);
    for (auto& [k, v] : data) wipe(v);
    return out;
}

}  // namespace sopskit
