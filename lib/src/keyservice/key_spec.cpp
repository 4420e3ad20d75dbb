#include "keyservice/key_spec.hpp"

#include "sopskit/error.hpp"
#include "sopskit/metadata.hpp"

namespace sopskit::keyservice_detail {

namespace {

std::string get(const KeySpec& s, const char* name) {
    auto it = s.fields.find(name);
    return it == s.fields.end() ? std::string() : it->second;
}

std::string param(const Value& params, const char* name) {
    const Value* v = params.find(name);
    return v && v->kind == Kind::String ? v->text : std::string();
}

// https://VAULT/keys/NAME[/VERSION] (sops' azure key URL).
bool split_azure_url(const std::string& url, KeySpec& s) {
    std::size_t keys = url.find("/keys/");
    if (keys == std::string::npos || url.rfind("https://", 0) != 0) return false;
    std::string rest = url.substr(keys + 6);
    std::size_t slash = rest.find('/');
    s.fields["vault_url"] = url.substr(0, keys);
    s.fields["name"] = rest.substr(0, slash);
    s.fields["version"] = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    return !s.fields["name"].empty() && s.fields["version"].find('/') == std::string::npos;
}

// SCHEME://HOST[:PORT]/v1/ENGINE/PATH/keys/NAME (sops' Vault transit URI).
bool split_vault_uri(std::string uri, KeySpec& s) {
    // One trailing slash is dropped before the search: ".../keys/" then has no key name (and
    // the name's offset cannot pass the end, which a fuzzed request once made it do).
    if (!uri.empty() && uri.back() == '/') uri.pop_back();
    std::size_t scheme = uri.find("://");
    if (scheme == std::string::npos) return false;
    std::size_t v1 = uri.find("/v1/", scheme + 3);
    std::size_t keys = uri.rfind("/keys/");
    if (v1 == std::string::npos || keys == std::string::npos || keys <= v1 + 3) return false;
    s.fields["vault_address"] = uri.substr(0, v1);
    s.fields["engine_path"] = uri.substr(v1 + 4, keys - v1 - 4);
    s.fields["key_name"] = uri.substr(keys + 6);
    return !s.fields["key_name"].empty() && s.fields["key_name"].find('/') == std::string::npos;
}

}  // namespace

KeySpec spec_of(const StoredKey& key) {
    KeySpec s;
    s.kind = key.kind;
    auto copy = [&](const char* stored, const char* proto) { s.fields[proto] = key.field(stored); };
    if (key.kind == "age") copy("recipient", "recipient");
    else if (key.kind == "pgp") copy("fp", "fingerprint");
    else if (key.kind == "gcp_kms") copy("resource_id", "resource_id");
    else if (key.kind == "hckms") copy("key_id", "key_id");
    else if (key.kind == "azure_kv") copy("vault_url", "vault_url"), copy("name", "name"), copy("version", "version");
    else if (key.kind == "hc_vault") copy("vault_address", "vault_address"), copy("engine_path", "engine_path"), copy("key_name", "key_name");
    else if (key.kind == "kms") {
        copy("arn", "arn"), copy("role", "role"), copy("aws_profile", "aws_profile");
        if (const Value* c = key.fields.find("context"); c && c->kind == Kind::Map)
            for (const Item& item : c->map)
                if (!item.is_comment() && item.key.kind == Kind::String && item.value.kind == Kind::String)
                    s.context[item.key.text] = item.value.text;
    }
    return s;
}

std::optional<KeySpec> spec_of(const Recipient& r) {
    KeySpec s;
    s.kind = r.kind;
    if (r.kind == "age") s.fields["recipient"] = r.id;
    else if (r.kind == "pgp") s.fields["fingerprint"] = r.id;
    else if (r.kind == "gcp_kms") s.fields["resource_id"] = r.id;
    else if (r.kind == "hckms") s.fields["key_id"] = r.id;
    else if (r.kind == "kms") {
        // ARN[+ROLE_ARN] from the command line; role, context and aws_profile from .sops.yaml.
        std::size_t plus = r.id.find('+');
        s.fields["arn"] = r.id.substr(0, plus);
        s.fields["role"] = plus == std::string::npos ? param(r.params, "role") : r.id.substr(plus + 1);
        s.fields["aws_profile"] = param(r.params, "aws_profile");
        if (const Value* c = r.params.find("context"); c && c->kind == Kind::Map)
            for (const Item& item : c->map)
                if (!item.is_comment() && item.key.kind == Kind::String && item.value.kind == Kind::String)
                    s.context[item.key.text] = item.value.text;
    } else if (r.kind == "azure_kv") {
        std::string name = param(r.params, "key");
        if (!name.empty()) {  // .sops.yaml key_groups form: vaultUrl, key, version
            std::string vault = param(r.params, "vaultUrl");
            s.fields["vault_url"] = vault.empty() ? r.id : vault;
            s.fields["name"] = name;
            s.fields["version"] = param(r.params, "version");
        } else if (!split_azure_url(r.id, s)) {
            return std::nullopt;
        }
        while (!s.fields["vault_url"].empty() && s.fields["vault_url"].back() == '/') s.fields["vault_url"].pop_back();
    } else if (r.kind == "hc_vault") {
        if (!split_vault_uri(r.id, s)) return std::nullopt;
    } else {
        return std::nullopt;
    }
    return s;
}

StoredKey stored_key_of(const KeySpec& s, const std::string& ciphertext) {
    StoredKey k{s.kind, Value::empty_map()};
    auto put = [&](const char* stored, const char* proto) { k.set_field(stored, Value::string(get(s, proto))); };
    if (s.kind == "age") put("recipient", "recipient");
    else if (s.kind == "pgp") put("fp", "fingerprint");
    else if (s.kind == "gcp_kms") put("resource_id", "resource_id");
    else if (s.kind == "hckms") put("key_id", "key_id");
    else if (s.kind == "azure_kv") put("vault_url", "vault_url"), put("name", "name"), put("version", "version");
    else if (s.kind == "hc_vault") put("vault_address", "vault_address"), put("engine_path", "engine_path"), put("key_name", "key_name");
    else if (s.kind == "kms") {
        put("arn", "arn");
        if (!get(s, "role").empty()) put("role", "role");
        if (!s.context.empty()) {
            Value c = Value::empty_map();
            for (const auto& [name, value] : s.context) c.map.push_back(Item{Value::string(name), Value::string(value)});
            k.set_field("context", std::move(c));
        }
        put("aws_profile", "aws_profile");
    }
    if (s.kind != "age") k.set_field("created_at", Value::string(now_rfc3339()));
    k.set_field("enc", Value::string(ciphertext));
    return k;
}

Recipient recipient_of(const KeySpec& s) {
    Recipient r{s.kind, {}, {}};
    if (s.kind == "age") r.id = get(s, "recipient");
    else if (s.kind == "pgp") r.id = get(s, "fingerprint");
    else if (s.kind == "gcp_kms") r.id = get(s, "resource_id");
    else if (s.kind == "hckms") r.id = get(s, "key_id");
    else if (s.kind == "azure_kv") {
        r.id = get(s, "vault_url") + "/keys/" + get(s, "name");
        if (!get(s, "version").empty()) r.id += "/" + get(s, "version");
    } else if (s.kind == "hc_vault") {
        r.id = get(s, "vault_address") + "/v1/" + get(s, "engine_path") + "/keys/" + get(s, "key_name");
    } else if (s.kind == "kms") {
        r.id = get(s, "arn");
        r.params = Value::empty_map();
        if (!get(s, "role").empty()) r.params.map.push_back(Item{Value::string("role"), Value::string(get(s, "role"))});
        if (!s.context.empty()) {
            Value c = Value::empty_map();
            for (const auto& [name, value] : s.context) c.map.push_back(Item{Value::string(name), Value::string(value)});
            r.params.map.push_back(Item{Value::string("context"), std::move(c)});
        }
        if (!get(s, "aws_profile").empty())
            r.params.map.push_back(Item{Value::string("aws_profile"), Value::string(get(s, "aws_profile"))});
    }
    return r;
}

std::string describe(const KeySpec& s) {
    if (s.kind.empty()) return "(no key)";
    Recipient r = recipient_of(s);
    std::string id = r.id;
    if (s.kind == "kms" && !get(s, "role").empty()) id += "+" + get(s, "role");
    return s.kind + " " + escape_control_chars(id.substr(0, 300));
}

}  // namespace sopskit::keyservice_detail
