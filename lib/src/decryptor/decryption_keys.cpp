// Loading a Flux decryption Secret into a key ring.
#include <openssl/evp.h>

#include "core/base64.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "core/text.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "sopskit/pgp_keys.hpp"

namespace sopskit {

namespace {

std::string extension_of(const std::string& name) {
    auto dot = name.rfind('.');
    return dot == std::string::npos ? std::string() : name.substr(dot);
}

std::string sha256_hex(const std::string& data) {
    unsigned char d[32];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), d, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += hex[d[i] >> 4], out += hex[d[i] & 15];
    return out;
}


// A tenant without *.asc keys: PGP entries are simply not theirs to open. Answering here
// spares every such key set a temporary GnuPG home and a gpg round trip per file.
class NoPgpKeys : public KeySource {
public:
    std::string_view kind() const override { return "pgp"; }
    StoredKey wrap(const Recipient&, const SecureBytes&) override {
        throw Error(ErrorCode::Generic, "the decryption Secret holds no PGP key to encrypt with");
    }
    Recipient recipient_of(const StoredKey& key) const override { return {"pgp", key.field("fp"), {}}; }
    UnwrapOutcome unwrap(const StoredKey&) override {
        return UnwrapOutcome::not_mine("no secret key for it: the decryption Secret has no *.asc key");
    }
    std::string describe(const StoredKey& key) const override { return key.field("fp"); }
};

}  // namespace

std::shared_ptr<DecryptionKeys> DecryptionKeys::from_entries(const std::map<std::string, std::string>& entries,
                                                             const std::string& secret) {
    auto keys = std::make_shared<DecryptionKeys>();
    keys->secret = secret;
    age::IdentitySet ids;
    std::shared_ptr<GnupgHome> home;
    std::string all;
    for (const auto& [name, value] : entries) {  // sorted: deterministic, unlike Go's map order
        all += name + '\0' + value + '\0';
        try {
            std::string ext = extension_of(name);
            if (ext == ".asc") {
                if (!home) home = GnupgHome::create_temporary();
                home->import_keys(value);
            } else if (ext == ".agekey") {
                // A bad line costs only the files no other key opens; they report it in Flux's words.
                ids.add_from_text(value, "failed to import '" + name + "' data from sops decryption Secret '" + secret + "'");
            } else if (name == "sops.vault-token") {
                keys->vault_token = detail::trim(value);
            } else if (name == "sops.vault-allowlist") {  // sopskit's own entry (Flux ignores it)
                keys->vault_allowlist = value;
            } else if (name == "sops.aws-kms") {
                keys->aws_kms = value;
            } else if (name == "sops.azure-kv") {
                keys->azure_kv = value;
            } else if (name == "sops.gcp-kms") {
                keys->gcp_kms = detail::trim(value);
            }
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic,
                        "failed to import '" + name + "' data from sops decryption Secret '" + secret + "': " + e.what());
        }
    }
    keys->fingerprint = sha256_hex(all);
    wipe(all);
    keys->ring.add(make_age_key_source(std::move(ids)));
    if (home) keys->ring.add(make_pgp_key_source(home));
    else keys->ring.add(std::make_unique<NoPgpKeys>());
    return keys;
}

std::shared_ptr<DecryptionKeys> DecryptionKeys::from_secret_manifest(std::string_view yaml) {
    Branches docs = load_plain(Format::Yaml, yaml);
    if (docs.empty()) throw Error(ErrorCode::Generic, "the decryption Secret manifest is empty");
    Value root = Value::empty_map();
    root.map = docs.front();
    std::string label;
    if (const Value* md = root.find("metadata")) {
        const Value* ns = md->find("namespace");
        const Value* name = md->find("name");
        label = (ns ? ns->text : std::string()) + "/" + (name ? name->text : std::string());
    }
    std::map<std::string, std::string> entries;
    if (const Value* data = root.find("data"); data && data->kind == Kind::Map)
        for (const auto& item : data->map) {
            if (item.is_comment()) continue;
            auto decoded = detail::base64_decode(item.value.text);
            if (!decoded)
                throw Error(ErrorCode::Generic, "failed to import '" + item.key.text + "' data from sops decryption Secret '" +
                                                    label + "': illegal base64 data");
            entries[item.key.text] = std::move(*decoded);
        }
    // The API server folds stringData over data; do the same.
    if (const Value* sd = root.find("stringData"); sd && sd->kind == Kind::Map)
        for (const auto& item : sd->map)
            if (!item.is_comment()) entries[item.key.text] = item.value.text;
    auto keys = from_entries(entries, label);
    for (auto& [k, v] : entries) wipe(v);
    return keys;
}

}  // namespace sopskit
