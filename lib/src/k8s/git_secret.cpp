// Flux's `create secret git` (and the decryption Secret helper) as library calls.
#include <re2/re2.h>
#include <zlib.h>

#include <algorithm>

#include "core/base64.hpp"
#include "core/go_quote.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/git_secret.hpp"

namespace sopskit {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::Generic, what); }

// Go's %q of a string, for the flag errors pflag prints.
std::string go_quoted(const std::string& s) { return detail::go_quote_string(s); }

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

std::vector<std::string> split_flag_list(const std::string& value, const std::string& flag) {
    std::vector<std::string> fields;
    if (value.empty()) return fields;
    auto bad = [&](std::size_t at, const char* why) {
        fail("invalid argument " + go_quoted(value) + " for \"" + flag + "\" flag: parse error on line 1, column " +
             std::to_string(at + 1) + ": " + why);
    };
    std::size_t i = 0;
    while (i < value.size() && (value[i] == '\n' || value[i] == '\r')) ++i;  // csv skips empty lines
    if (i == value.size()) return fields;
    std::string field;
    bool quoted = false, after_quote = false;
    for (; i < value.size(); ++i) {
        char c = value[i];
        if (quoted) {
            if (c != '"') {
                field += c;
            } else if (i + 1 < value.size() && value[i + 1] == '"') {
                field += '"';
                ++i;
            } else {
                quoted = false;
                after_quote = true;
            }
            continue;
        }
        if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            after_quote = false;
        } else if (c == '\n' || (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n')) {
            break;  // pflag reads only the first record
        } else if (after_quote) {
            bad(i, "extraneous or missing \" in quoted-field");
        } else if (c == '"') {
            if (!field.empty()) bad(i, "bare \" in non-quoted-field");
            quoted = true;
        } else {
            field += c;
        }
    }
    if (quoted) bad(value.size(), "extraneous or missing \" in quoted-field");
    fields.push_back(std::move(field));
    return fields;
}

namespace {

// Kubernetes' validation messages (k8s.io/apimachinery validate/content), joined as Go's %v
// prints a []string.
std::string regex_error(const std::string& msg, const std::string& re, const std::vector<std::string>& examples) {
    std::string out = msg + " (e.g. ";
    for (std::size_t i = 0; i < examples.size(); ++i) out += (i ? " or '" : "'") + examples[i] + "', ";
    return out + "regex used for validation is '" + re + "')";
}

const char* const kLabelKeyFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const char* const kLabelKeyMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const char* const kDns1123SubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

bool full_match(const std::string& value, const char* fmt) {
    RE2 re(std::string("^") + fmt + "$");
    return RE2::FullMatch(value, re);
}

std::vector<std::string> label_key_errors(const std::string& key) {
    std::vector<std::string> errs;
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        auto slash = key.find('/', start);
        parts.push_back(key.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    const std::vector<std::string> examples{"MyName", "my.name", "123-abc"};
    if (parts.size() > 2)
        return {std::string("a valid label key ") + regex_error(kLabelKeyMsg, kLabelKeyFmt, examples) +
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    std::string name = parts.back();
    if (parts.size() == 2) {
        const std::string& prefix = parts[0];
        if (prefix.empty()) {
            errs.push_back("prefix part must be non-empty");
        } else {
            if (prefix.size() > 253) errs.push_back("prefix part must be no more than 253 bytes");
            if (!full_match(prefix, kDns1123SubdomainFmt))
                errs.push_back("prefix part " + regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                                                            "characters, '-' or '.', and must start and end with an alphanumeric character",
                                                            kDns1123SubdomainFmt, {"example.com"}));
        }
    }
    if (name.empty()) errs.push_back("name part must be non-empty");
    else if (name.size() > 63) errs.push_back("name part must be no more than 63 bytes");
    if (!full_match(name, kLabelKeyFmt)) errs.push_back("name part " + regex_error(kLabelKeyMsg, kLabelKeyFmt, examples));
    return errs;
}

std::vector<std::string> label_value_errors(const std::string& value) {
    std::vector<std::string> errs;
    if (value.size() > 63) errs.push_back("must be no more than 63 bytes");
    const std::string fmt = std::string("(") + kLabelKeyFmt + ")?";
    if (!full_match(value, fmt.c_str()))
        errs.push_back(regex_error("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                                   "'.', and must start and end with an alphanumeric character",
                                   fmt, {"MyValue", "my_value", "12345"}));
    return errs;
}

std::string go_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
    return out + "]";
}

}  // namespace

std::map<std::string, std::string> parse_labels(const std::vector<std::string>& values) {
    std::map<std::string, std::string> labels;
    for (const auto& v : values) {
        for (const auto& one : split_flag_list(v, "--label")) {
            auto eq = one.find('=');
            if (eq == std::string::npos || one.find('=', eq + 1) != std::string::npos)
                fail("invalid label format '" + one + "', must be key=value");
            std::string key = one.substr(0, eq), value = one.substr(eq + 1);
            if (auto errs = label_key_errors(key); !errs.empty()) fail("invalid label '" + key + "': " + go_list(errs));
            if (auto errs = label_value_errors(value); !errs.empty()) fail("invalid label value '" + value + "': " + go_list(errs));
            labels[key] = value;
        }
    }
    return labels;
}

// By hand rather than with a regex: every sopskit start reads FLUX_SYSTEM_NAMESPACE.
bool is_dns1123_label(const std::string& value) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (value.empty() || value.size() > 63 || !alnum(value.front()) || !alnum(value.back())) return false;
    return std::all_of(value.begin(), value.end(), [&](char c) { return alnum(c) || c == '-'; });
}

std::string flux_secret_content(const FluxSecret& secret) {
    Value metadata = Value::empty_map();
    if (!secret.annotations.empty()) metadata.map.push_back(Item{Value::string("annotations"), string_map(secret.annotations)});
    if (!secret.labels.empty()) metadata.map.push_back(Item{Value::string("labels"), string_map(secret.labels)});
    metadata.map.push_back(Item{Value::string("name"), Value::string(secret.name)});
    if (!secret.ns.empty()) metadata.map.push_back(Item{Value::string("namespace"), Value::string(secret.ns)});
    Branch doc;
    doc.push_back(Item{Value::string("apiVersion"), Value::string("v1")});
    doc.push_back(Item{Value::string("kind"), Value::string("Secret")});
    doc.push_back(Item{Value::string("metadata"), std::move(metadata)});
    if (!secret.string_data.empty()) doc.push_back(Item{Value::string("stringData"), string_map(secret.string_data)});
    if (!secret.type.empty()) doc.push_back(Item{Value::string("type"), Value::string(secret.type)});
    StoreOptions o;
    o.yaml_indent = 2;
    std::string out = "---\n" + emit_plain(Format::Yaml, {doc}, o);
    for (auto& item : doc)
        if (item.key.text == "stringData")
            for (auto& e : item.value.map) wipe(e.value.text);
    return out;
}

std::string flux_secret_yaml(const std::string& name, const std::string& ns, const std::map<std::string, std::string>& labels,
                             const std::string& type, const std::map<std::string, std::string>& string_data) {
    // Flux prints the content with Println: the export ends with an empty line.
    return flux_secret_content(FluxSecret{name, ns, labels, {}, string_data, type}) + "\n";
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
    // fluxcd/pkg's MakeSOPSSecret checks and words.
    if (age_keys.empty() && pgp_keys.empty()) fail("at least one key must be provided");
    for (const auto& k : age_keys)
        if (k.empty()) fail("Age key cannot be empty");
    for (const auto& k : pgp_keys)
        if (k.empty()) fail("GPG key cannot be empty");
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
