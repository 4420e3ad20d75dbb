// The JSON state file: load, create with defaults, persist new keys atomically with mode 0600.
#include "key_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "codec.hpp"
#include "crypto.hpp"

namespace sopskit::kms_emulator {

namespace {

nlohmann::json default_state() {
    nlohmann::json s;
    s["auto_create"] = true;
    s["token_ttl_seconds"] = 3600;
    std::string akid = "AKIAEMU" + hex_encode(random_bytes(7)).substr(0, 13);
    for (char& c : akid) c = char(toupper(static_cast<unsigned char>(c)));
    s["aws"]["credentials"][akid] = random_token("");
    s["azure"]["clients"][hex_encode(random_bytes(16))] = {{"tenant", hex_encode(random_bytes(16))}, {"secret", random_token("")}};
    s["vault"]["tokens"][random_token("hvs.")] = {{"namespace", ""}};
    s["hckms"]["credentials"][hex_encode(random_bytes(10))] = {{"secret", random_token("")}, {"project_id", hex_encode(random_bytes(16))}};
    s["gcp"]["static_tokens"] = nlohmann::json::array({random_token("ya29.")});
    return s;
}

}  // namespace

KeyStore::KeyStore(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (in) {
        std::stringstream ss;
        ss << in.rdbuf();
        state_ = nlohmann::json::parse(ss.str(), nullptr, false);
        if (!state_.is_object()) throw std::runtime_error("state file " + path_ + " is not a JSON object");
        chmod(path_.c_str(), 0600);
    } else {
        state_ = default_state();
        save_locked();
    }
}

void KeyStore::save_locked() {
    std::string tmp = path_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + tmp);
    std::string text = state_.dump(2) + "\n";
    size_t off = 0;
    while (off < text.size()) {
        ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("cannot write " + tmp);
        }
        off += size_t(n);
    }
    ::fsync(fd);
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) throw std::runtime_error("cannot replace " + path_);
}

std::optional<SymmetricKey> KeyStore::symmetric(const std::string& service, const std::string& id, bool create) {
    std::lock_guard lock(mu_);
    nlohmann::json& keys = state_[service]["keys"];
    if (!keys.is_object()) keys = nlohmann::json::object();
    auto it = keys.find(id);
    if (it == keys.end()) {
        if (!create || !state_.value("auto_create", true)) return std::nullopt;
        keys[id] = {{"versions", nlohmann::json::array({base64_encode(random_bytes(32))})}, {"denied", false}};
        save_locked();
        it = keys.find(id);
    }
    SymmetricKey k;
    k.id = id;
    k.denied = it->value("denied", false);
    for (const auto& v : it->value("versions", nlohmann::json::array())) {
        auto raw = base64_decode(v.get<std::string>());
        if (!raw || raw->size() != 32) throw std::runtime_error("state file: key " + id + " has a version that is not 32 bytes");
        k.versions.push_back(*raw);
    }
    if (k.versions.empty()) throw std::runtime_error("state file: key " + id + " has no versions");
    return k;
}

std::optional<RsaKey> KeyStore::rsa(const std::string& name, const std::string& version, bool create) {
    std::lock_guard lock(mu_);
    nlohmann::json& keys = state_["azure"]["keys"];
    if (!keys.is_object()) keys = nlohmann::json::object();
    auto it = keys.find(name);
    if (it == keys.end()) {
        if (!create || !state_.value("auto_create", true)) return std::nullopt;
        std::string v = version.empty() ? hex_encode(random_bytes(16)) : version;
        keys[name] = {{"versions", {{v, rsa_generate_pem()}}}, {"current", v}, {"denied", false}};
        save_locked();
        it = keys.find(name);
    }
    std::string v = version.empty() ? it->value("current", "") : version;
    const nlohmann::json& versions = (*it)["versions"];
    if (!versions.is_object() || !versions.contains(v)) return std::nullopt;
    return RsaKey{name, v, versions[v].get<std::string>(), it->value("denied", false)};
}

bool KeyStore::set_denied(const std::string& service, const std::string& id, bool denied) {
    std::lock_guard lock(mu_);
    nlohmann::json& keys = state_[service]["keys"];
    if (!keys.is_object() || !keys.contains(id)) return false;
    keys[id]["denied"] = denied;
    save_locked();
    return true;
}

nlohmann::json KeyStore::section(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = state_.find(name);
    return it == state_.end() ? nlohmann::json::object() : *it;
}

long long KeyStore::token_ttl_seconds() const {
    std::lock_guard lock(mu_);
    return state_.value("token_ttl_seconds", 3600LL);
}

}  // namespace sopskit::kms_emulator
