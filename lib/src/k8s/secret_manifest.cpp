// Secret manifests and key files for the decryption side.
#include <algorithm>
#include <ctime>

#include "core/base64.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keygen.hpp"

namespace sopskit {

std::string secret_manifest(const std::string& name, const std::string& ns,
                            const std::vector<std::pair<std::string, std::string_view>>& entries) {
    auto sorted = entries;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Value data = Value::empty_map();
    for (const auto& [key, bytes] : sorted)
        data.map.push_back(Item{Value::string(key), Value::string(detail::base64_encode(bytes))});
    Value metadata = Value::empty_map();
    metadata.map.push_back(Item{Value::string("name"), Value::string(name)});
    if (!ns.empty()) metadata.map.push_back(Item{Value::string("namespace"), Value::string(ns)});
    Branch doc;
    doc.push_back(Item{Value::string("apiVersion"), Value::string("v1")});
    doc.push_back(Item{Value::string("data"), std::move(data)});
    doc.push_back(Item{Value::string("kind"), Value::string("Secret")});
    doc.push_back(Item{Value::string("metadata"), std::move(metadata)});
    StoreOptions o;
    o.yaml_indent = 2;
    std::string out = "---\n" + emit_plain(Format::Yaml, {doc}, o);
    for (auto& item : doc) wipe(item.value.text);
    return out;
}

std::string age_keys_file(const age::X25519Identity& id) { return age_keys_file(id.encode(), id.recipient()); }

std::string age_keys_file(std::string_view identity, std::string_view recipient) {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char created[64];
    std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S%z", &tm);
    std::string c = created;
    if (c.size() > 5) c.insert(c.size() - 2, ":");  // +0000 -> +00:00
    return "# created: " + c + "\n# public key: " + std::string(recipient) + "\n" + std::string(identity) + "\n";
}

}  // namespace sopskit
