#include "keyservice/policy.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "keyservice/key_spec.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"

namespace sopskit::keyservice_detail {

namespace {

constexpr std::size_t kMaxPolicyBytes = 1 << 20;

[[noreturn]] void bad(const std::string& name, const std::string& where, const std::string& what) {
    throw Error(ErrorCode::Generic, "key service policy " + name + ": " + where + ": " + what);
}

std::vector<std::string> strings(const Value* v, const std::string& name, const std::string& where) {
    std::vector<std::string> out;
    if (!v) return out;
    if (v->kind == Kind::String) return {v->text};
    if (v->kind != Kind::List) bad(name, where, "expected a list of strings");
    for (const Value& item : v->list) {
        if (item.is_comment()) continue;
        if (item.kind != Kind::String) bad(name, where, "expected a list of strings");
        out.push_back(item.text);
    }
    return out;
}

// The key's identity as the policy names it: kind:id (the recipient, fingerprint, ARN, ...).
std::string key_name(const KeySpec& key) { return key.kind + ":" + recipient_of(key).id; }

}  // namespace

KeyServicePolicy KeyServicePolicy::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) throw Error(ErrorCode::Generic, "cannot read the key service policy " + path);
    return parse(text.str(), path);
}

KeyServicePolicy KeyServicePolicy::parse(const std::string& text, const std::string& name) {
    if (text.size() > kMaxPolicyBytes) bad(name, "file", "larger than 1 MiB");
    Branches docs;
    try {
        docs = load_plain(Format::Yaml, text);
    } catch (const Error& e) {
        bad(name, "YAML", e.what());
    }
    if (docs.size() != 1) bad(name, "top level", "expected one mapping with `rules:`");
    const Value* rules = nullptr;
    for (const Item& item : docs.front())
        if (!item.is_comment() && item.key.kind == Kind::String && item.key.text == "rules") rules = &item.value;
    if (!rules || rules->kind != Kind::List) bad(name, "rules", "expected a list of rules");
    KeyServicePolicy policy;
    int index = 0;
    for (const Value& r : rules->list) {
        if (r.is_comment()) continue;
        const std::string where = "rules[" + std::to_string(index++) + "]";
        if (r.kind != Kind::Map) bad(name, where, "expected a mapping");
        for (const Item& item : r.map)
            if (!item.is_comment() && item.key.text != "clients" && item.key.text != "keys" && item.key.text != "operations")
                bad(name, where, "unknown field " + escape_control_chars(item.key.text.substr(0, 100)));
        Rule rule;
        const Value* clients = r.find("clients");
        if (clients && clients->kind == Kind::String && clients->text == "*") {
            rule.any_client = true;
        } else if (clients && clients->kind == Kind::Map) {
            rule.subjects = strings(clients->find("subjects"), name, where + ".clients.subjects");
            rule.sans = strings(clients->find("sans"), name, where + ".clients.sans");
        } else {
            bad(name, where + ".clients", "expected \"*\" or a mapping with subjects and/or sans");
        }
        rule.keys = strings(r.find("keys"), name, where + ".keys");
        if (rule.keys.empty()) bad(name, where + ".keys", "list the keys (kind:id or kind:*)");
        for (const auto& k : rule.keys)
            if (k.find(':') == std::string::npos) bad(name, where + ".keys", "expected kind:id or kind:*, got " + escape_control_chars(k.substr(0, 100)));
        for (const auto& op : strings(r.find("operations"), name, where + ".operations")) {
            if (op == "encrypt") rule.encrypt = true;
            else if (op == "decrypt") rule.decrypt = true;
            else bad(name, where + ".operations", "expected encrypt or decrypt, got " + escape_control_chars(op.substr(0, 100)));
        }
        if (!rule.encrypt && !rule.decrypt) bad(name, where + ".operations", "list encrypt and/or decrypt");
        policy.rules_.push_back(std::move(rule));
    }
    return policy;
}

bool KeyServicePolicy::allows(const keyservice_abi::Peer& peer, const KeySpec& key, Op op, std::string* why) const {
    const std::string id = key_name(key);
    for (const Rule& r : rules_) {
        bool client = r.any_client || (!peer.subject.empty() && std::find(r.subjects.begin(), r.subjects.end(), peer.subject) != r.subjects.end());
        for (const auto& san : peer.sans) client = client || std::find(r.sans.begin(), r.sans.end(), san) != r.sans.end();
        if (!client) continue;
        if (!(op == Op::Encrypt ? r.encrypt : r.decrypt)) continue;
        for (const auto& k : r.keys)
            if (k == id || (k.size() > 2 && k.ends_with(":*") && k.substr(0, k.size() - 1) == key.kind + ":")) return true;
    }
    *why = std::string("permission denied: no policy rule lets this client ") + (op == Op::Encrypt ? "encrypt" : "decrypt") +
           " with " + escape_control_chars(id.substr(0, 300));
    return false;
}

}  // namespace sopskit::keyservice_detail
