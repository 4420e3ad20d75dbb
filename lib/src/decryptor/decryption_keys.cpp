// Loading a Flux decryption Secret into a key ring.
#include <openssl/evp.h>

#include <deque>

#include "core/base64.hpp"
#include "core/hex.hpp"
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
    return detail::hex_encode(d, len);
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

// One Secret's entries as the import sees them.
struct SecretEntries {
    std::string label;  // "<ns>/<name>", for messages
    const std::map<std::string, std::string>* entries;
    std::string noun = "sops decryption Secret";  // how Flux's messages name it
    bool age_only = false;                         // the global age Secret: *.agekey entries only
};

// sops' ParsedIdentities.Import: every non-blank, non-comment line must be an identity, or
// the entry is refused (Flux then fails the Kustomization).
void import_age_identities(age::IdentitySet& ids, const std::string& text) {
    age::IdentitySet these;
    these.add_from_text(text, "");
    if (!these.problems().empty()) {
        std::string why = these.problems().front();
        if (auto colon = why.find(": ", why.find("line ")); colon != std::string::npos) why = why.substr(colon + 2);
        throw Error(ErrorCode::Generic, "failed to parse and add to age identities: " + why);
    }
    if (ids.size() == 0) ids = std::move(these);
    else ids.add_from_text(text, "age identities");
}

std::shared_ptr<DecryptionKeys> import_secrets(const std::vector<SecretEntries>& secrets);

}  // namespace

std::shared_ptr<DecryptionKeys> DecryptionKeys::from_entries(const std::map<std::string, std::string>& entries,
                                                             const std::string& secret) {
    return import_secrets({{secret, &entries}});
}

namespace {

std::shared_ptr<DecryptionKeys> import_secrets(const std::vector<SecretEntries>& secrets) {
    auto keys = std::make_shared<DecryptionKeys>();
    age::IdentitySet ids;
    std::shared_ptr<GnupgHome> home;
    std::string all;
    std::map<std::string, std::string> credential_from;  // sops.* entry -> the Secret giving it
    // Every entry of every Secret, in order, with the Secret it comes from.
    std::vector<std::pair<const SecretEntries*, const std::pair<const std::string, std::string>*>> all_entries;
    for (const SecretEntries& from : secrets)
        for (const auto& entry : *from.entries) all_entries.emplace_back(&from, &entry);  // sorted: deterministic, unlike Go's map order
    for (const auto& [source, entry] : all_entries) {
        const SecretEntries& from = *source;
        const auto& [name, value] = *entry;
        const std::string& secret = from.label;
        std::string ext = extension_of(name);
        if (from.age_only && ext != ".agekey") continue;
        if (name.starts_with("sops.") && !credential_from.emplace(name, secret).second)
            throw Error(ErrorCode::Generic, "'" + name + "' is given by both decryption Secrets '" + credential_from[name] + "' and '" +
                                                secret + "': give each credential once");
        all += secret + '\0' + name + '\0' + value + '\0';
        try {
            if (ext == ".asc") {
                if (!home) home = GnupgHome::create_temporary();
                home->import_keys(value);
            } else if (ext == ".agekey") {
                import_age_identities(ids, value);
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
            throw Error(ErrorCode::Generic, "failed to import '" + name + "' data from " + from.noun + " '" + secret + "': " + e.what());
        }
    }
    keys->credential_secrets = std::move(credential_from);
    keys->fingerprint = sha256_hex(all);
    wipe(all);
    keys->ring.add(make_age_key_source(std::move(ids)));
    if (home) keys->ring.add(make_pgp_key_source(home));
    else keys->ring.add(std::make_unique<NoPgpKeys>());
    return keys;
}

// A Secret document's "<ns>/<name>" and entries (`data` base64-decoded, `stringData` over it).
std::map<std::string, std::string> secret_entries(const Branch& doc, std::string& label) {
    Value root = Value::empty_map();
    root.map = doc;
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
    return entries;
}

// Every Secret document of the texts, imported together.
std::shared_ptr<DecryptionKeys> import_manifests(const std::vector<std::string_view>& yamls, const std::string& noun, bool age_only) {
    std::deque<std::map<std::string, std::string>> maps;  // stable addresses for `secrets`
    WipeOnExit maps_wiper{maps};  // the keys, however the import ends
    std::vector<SecretEntries> secrets;
    for (std::string_view yaml : yamls) {
        Branches docs = load_plain(Format::Yaml, yaml);
        std::erase_if(docs, [](const Branch& b) { return b.empty(); });
        if (docs.empty()) throw Error(ErrorCode::Generic, "the decryption Secret manifest is empty");
        for (const Branch& doc : docs) {
            std::string label;
            maps.push_back(secret_entries(doc, label));
            secrets.push_back({label, &maps.back(), noun, age_only});
        }
    }
    return import_secrets(secrets);
}

}  // namespace

std::shared_ptr<DecryptionKeys> DecryptionKeys::from_secret_manifest(std::string_view yaml) {
    Branches docs = load_plain(Format::Yaml, yaml);
    if (docs.empty()) throw Error(ErrorCode::Generic, "the decryption Secret manifest is empty");
    std::string label;
    auto entries = secret_entries(docs.front(), label);
    auto keys = from_entries(entries, label);
    for (auto& [k, v] : entries) wipe(v);
    return keys;
}

std::shared_ptr<DecryptionKeys> DecryptionKeys::from_secret_manifests(const std::vector<std::string>& yamls) {
    return import_manifests({yamls.begin(), yamls.end()}, "sops decryption Secret", false);
}

std::shared_ptr<DecryptionKeys> DecryptionKeys::from_global_age_secret_manifest(std::string_view yaml) {
    return import_manifests({yaml}, "sops SOPS age decryption Secret", true);
}

}  // namespace sopskit
