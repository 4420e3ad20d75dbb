// publish: sends an encrypted file where its .sops.yaml destination_rules say. S3 and GCS get
// the encrypted file (re-encrypted first for the rule's recreation_rule keys); Vault KV (v1 and
// v2) gets the decrypted values, as sops writes them.
#include <filesystem>
#include <iostream>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keymgmt.hpp"
#include "sopskit/sops_file.hpp"
#ifdef SOPSKIT_WITH_KMS
#include "common/http.hpp"
#include "sopskit/kms/publish.hpp"
#endif

namespace fs = std::filesystem;

namespace sopskit::cli {

namespace {

struct PublishOptions {
    FileOptions file;
    bool yes = false;
    bool omit_extensions = false;
    bool recursive = false;
    bool verbose = false;
};

// sops' EmitAsMap: mappings become objects, every other value keeps its type.
nlohmann::json to_json(const Value& v) {
    switch (v.kind) {
        case Kind::Null: return nullptr;
        case Kind::Bool: return v.boolean;
        case Kind::Int: return v.integer;
        case Kind::Float: return v.number;
        case Kind::Map: {
            nlohmann::json out = nlohmann::json::object();
            for (const auto& item : v.map)
                if (!item.is_comment()) out[item.key.text] = to_json(item.value);
            return out;
        }
        case Kind::List: {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& e : v.list)
                if (!e.is_comment()) out.push_back(to_json(e));
            return out;
        }
        default: return v.text;
    }
}

// sops' VaultDestination: the mount and path each end in "/", KV v2 unless 1 is asked for.
struct VaultTarget {
    std::string address, secrets_path;
    int version = 2;
};

VaultTarget vault_target(const DestinationRule& d, const std::string& name) {
    VaultTarget t;
    std::string path = d.vault_path;
    if (path.empty() || path.back() != '/') path += '/';
    std::string mount = d.vault_kv_mount_name.empty() ? "secret/" : d.vault_kv_mount_name;
    if (mount.back() != '/') mount += '/';
    t.version = d.vault_kv_version == 1 ? 1 : 2;
    t.secrets_path = t.version == 1 ? mount + path + name : mount + "data/" + path + name;
    // The Vault client's default: $VAULT_ADDR, else https://127.0.0.1:8200.
    t.address = !d.vault_address.empty() ? d.vault_address : env_or("VAULT_ADDR", "");
    if (t.address.empty()) t.address = "https://127.0.0.1:8200";
    while (t.address.size() > 1 && t.address.back() == '/') t.address.pop_back();
    return t;
}

#ifdef SOPSKIT_WITH_KMS
std::string vault_token() {
    std::string token = env_or("VAULT_TOKEN", "");
    if (token.empty())
        if (const char* home = std::getenv("HOME")) {
            try {
                token = read_input(std::string(home) + "/.vault-token");
            } catch (const Error&) {
            }
        }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
}

// Vault's {"errors": [...]}, one line, for a failed call.
std::string vault_failure(const std::string& method, const std::string& url, const kms::HttpResponse& r) {
    std::string out = "Error making API request.\n\nURL: " + method + " " + url + "\nCode: " + std::to_string(r.status) + ".";
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("errors") && j["errors"].is_array())
        for (const auto& e : j["errors"])
            if (e.is_string() && !e.get<std::string>().empty()) out += " Errors:\n\n* " + e.get<std::string>();
    return out;
}

void upload_to_vault(const VaultTarget& t, const nlohmann::json& data) {
    kms::HttpOptions http = kms::http_options_from(kms::process_env(), env_or("VAULT_CACERT", ""));
    http.max_retries = 1;
    std::string url = t.address + "/v1/" + t.secrets_path;
    std::vector<std::pair<std::string, std::string>> headers{{"X-Vault-Token", vault_token()}};
    if (const char* ns = std::getenv("VAULT_NAMESPACE"); ns && *ns) headers.emplace_back("X-Vault-Namespace", ns);
    // Unchanged data: no new version (sops compares with what is there; a failed read only warns).
    kms::HttpRequest get{"GET", url, headers, ""};
    try {
        kms::HttpResponse existing = kms::http_send(get, http);
        if (existing.status == 200) {
            auto j = nlohmann::json::parse(existing.body, nullptr, false);
            if (j.is_object() && j.contains("data") && j["data"].is_object() && j["data"].contains("data") && j["data"]["data"] == data) {
                std::cerr << "Secret in " << t.secrets_path << " is already up-to-date.\n";
                return;
            }
        }
    } catch (const kms::TransportError&) {
        std::cerr << "Cannot check if destination secret already exists in " << t.secrets_path
                  << ". New version will be created even if the data has not been changed.\n";
    }
    nlohmann::json body = t.version == 1 ? data : nlohmann::json{{"data", data}};
    kms::HttpRequest put{"PUT", url, headers, body.dump()};
    put.headers.emplace_back("Content-Type", "application/json");
    kms::HttpResponse r;
    try {
        r = kms::http_send(put, http);
    } catch (const kms::TransportError& e) {
        throw Error(ErrorCode::Generic, std::string("Put \"") + url + "\": " + e.what());
    }
    if (r.status < 200 || r.status >= 300) throw Error(ErrorCode::Generic, vault_failure("PUT", url, r));
}

void upload_encrypted(const DestinationRule& rule, const std::string& name, const std::string& contents) {
    if (!rule.s3_bucket.empty()) return kms::put_s3_object(rule.s3_bucket, rule.s3_prefix + name, contents);
    kms::upload_gcs_object(rule.gcs_bucket, rule.gcs_prefix + name, contents);
}
#else
[[noreturn]] void without_kms() {
    throw Error(ErrorCode::Generic, "this sopskit was built without KMS support (SOPSKIT_WITH_KMS=OFF): it cannot publish");
}
void upload_to_vault(const VaultTarget&, const nlohmann::json&) { without_kms(); }
void upload_encrypted(const DestinationRule&, const std::string&, const std::string&) { without_kms(); }
#endif

// sops' PrettyPrintDiffs, uncoloured: per group the kept keys, then +++ added, --- removed.
// Empty when no key is added or removed.
std::string key_group_changes(const std::vector<std::vector<Recipient>>& have, const std::vector<std::vector<Recipient>>& want) {
    std::string out;
    bool changes = false;
    static const std::vector<Recipient> none;
    for (std::size_t i = 0; i < std::max(have.size(), want.size()); ++i) {
        const auto& ours = i < have.size() ? have[i] : none;
        const auto& theirs = i < want.size() ? want[i] : none;
        auto in = [](const std::vector<Recipient>& g, const Recipient& r) { return std::find(g.begin(), g.end(), r) != g.end(); };
        std::string common, added, removed;
        for (const auto& r : theirs) {
            if (in(ours, r)) common += "    " + r.id + "\n";
            else added += "+++ " + r.id + "\n";
        }
        for (const auto& r : ours)
            if (!in(theirs, r)) removed += "--- " + r.id + "\n";
        changes = changes || !added.empty() || !removed.empty();
        out += "Group " + std::to_string(i + 1) + "\n" + common + added + removed;
    }
    return changes ? "The following changes will be made to the file's key groups:\n" + out : std::string();
}

// sops re-encrypts for an S3/GCS destination with the recreation rule's keys: a new data key,
// and of the rule's settings only the key groups, Shamir threshold and the two suffixes.
std::string recreate_for(const CreationRule& rule, const std::string& text, Format format, const KeyRing& ring,
                         const StoreOptions& store) {
    DecryptOptions d;
    d.remember_ivs = false;
    DecryptedFile dec = decrypt_document(text, format, ring, d, store);
    std::cout << key_group_changes(recipients_of(dec.metadata, ring), rule.key_groups) << std::flush;
    Metadata md;
    md.shamir_threshold = rule.shamir_threshold;
    md.rules.unencrypted_suffix = rule.rules.unencrypted_suffix;
    md.rules.encrypted_suffix = rule.rules.encrypted_suffix;
    SecureBytes key = SecureBytes::random(32);
    wrap_for_groups(md, rule.key_groups, key, ring);
    return encrypt_with_metadata(std::move(dec.branches), std::move(md), key, format, store);
}

int publish_one(const PublishOptions& p, const std::string& config_path, const std::string& path, const std::string& root) {
    SopsConfig cfg = load_config(config_path);
    const DestinationRule& rule = destination_rule_for(cfg, path);
    std::string destination = p.recursive ? fs::path(path).lexically_relative(root).string() : fs::path(path).filename().string();
    if (p.omit_extensions || rule.omit_extensions) {
        std::string ext = fs::path(path).extension().string();
        if (!ext.empty() && destination.size() >= ext.size() && destination.compare(destination.size() - ext.size(), ext.size(), ext) == 0)
            destination.resize(destination.size() - ext.size());
    }
    bool to_vault = !rule.vault_path.empty();
    if (!to_vault && rule.s3_bucket.empty() && rule.gcs_bucket.empty()) throw Error(ErrorCode::Generic, "no destination configured for this file");
    FileOptions o = p.file;
    o.file = path;
    Formats f = formats_for(o, path);
    KeyRing ring = keyring_for(o);
    std::string text = read_input(path);
    nlohmann::json data;
    std::string contents, shown;
    if (to_vault) {
        DecryptedFile dec = decrypt_document(text, f.in, ring, DecryptOptions{}, store_options(o));
        Value all = Value::empty_map();
        for (auto& branch : dec.branches)
            for (auto& item : branch) all.map.push_back(std::move(item));
        data = to_json(all);
        VaultTarget target = vault_target(rule, destination);
        shown = target.address + "/v1/" + target.secrets_path;
    } else {
        // The file goes as it is unless the rule names keys to re-encrypt it for.
        if (!is_encrypted_file(text, f.in)) throw Error(ErrorCode::Generic, "sops metadata not found");
        const auto& re = rule.recreation_rule;
        bool recreate = re && !re->key_groups.empty() && !re->key_groups.front().empty();
        contents = recreate ? recreate_for(*re, text, f.in, ring, store_options(o)) : text;
        shown = rule.s3_bucket.empty() ? "gcs://" + rule.gcs_bucket + "/" + rule.gcs_prefix + destination
                                       : "s3://" + rule.s3_bucket + "/" + rule.s3_prefix + destination;
    }
    if (!p.yes) {
        std::string abs = fs::absolute(path).lexically_normal().string();
        std::string answer;
        while (answer != "y" && answer != "n") {
            std::cout << "uploading " << abs << " to " << shown << " ? (y/n): " << std::flush;
            if (!std::getline(std::cin, answer)) throw Error(ErrorCode::Generic, "unexpected newline");
        }
        if (answer == "n") {
            if (p.recursive) {
                std::cout << "Publication of " << abs << " canceled\n";
                return 0;
            }
            throw Error(ErrorCode::Generic, "Publication of " + abs + " canceled");
        }
    }
    if (to_vault) {
        upload_to_vault(vault_target(rule, destination), data);
        data.clear();
    } else {
        upload_encrypted(rule, destination, contents);
    }
    return 0;
}

int run_publish(PublishOptions& p) {
    finish_file_options(p.file);
    std::optional<std::string> config = config_path_for(p.file);
    if (!config) throw Error(ErrorCode::Generic, "config file not found");
    if (p.file.files.empty()) throw Error(ErrorCode::NoFileSpecified, "Error: no file specified");
    const std::string& root = p.file.files.front();
    std::error_code ec;
    auto status = fs::status(root, ec);
    if (ec || !fs::exists(status)) throw Error(ErrorCode::Generic, "stat " + root + ": no such file or directory");
    if (!fs::is_directory(status)) return publish_one(p, *config, root, root);
    if (!p.recursive) throw Error(ErrorCode::Generic, "can't operate on a directory without --recursive flag.");
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file()) files.push_back(it->path().string());
    std::sort(files.begin(), files.end());  // filepath.Walk visits in lexical order
    for (const auto& f : files) publish_one(p, *config, f, root);
    return 0;
}

}  // namespace

void add_publish_command(CLI::App& app, Runner& runner) {
    static PublishOptions opts;
    CLI::App* c = app.add_subcommand("publish", "Publish an encrypted file (or, with --recursive, a folder) to its .sops.yaml destination_rules (S3, GCS, Vault KV)");
    c->add_option("file", opts.file.files, "The file or folder");
    c->add_flag("-y,--yes", opts.yes, "Do not ask before each upload");
    c->add_flag("--omit-extensions", opts.omit_extensions, "Leave the file extension out of the destination path");
    c->add_flag("--recursive", opts.recursive, "Publish every file under a folder");
    c->add_flag("--verbose", opts.verbose, "Accepted for sops compatibility");
    c->add_option("--decryption-order", opts.file.decryption_order, "Key kinds to try first, comma-separated");
    c->add_option("--config", opts.file.config, "Path to the .sops.yaml to use");
    c->callback([&runner] { runner = [] { return run_publish(opts); }; });
}

}  // namespace sopskit::cli
