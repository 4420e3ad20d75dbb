#include "cli_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/go_quote.hpp"
#include "keyring_setup.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keyservice.hpp"

namespace sopskit::cli {

FileOptions& root_options() {
    static FileOptions root;
    return root;
}

bool& sops_style_errors() {
    static bool on = false;
    return on;
}

std::string go_quote(std::string_view s) { return detail::go_quote_string(s); }

namespace {
// sops: os.Stat, then os.IsNotExist; the path shown is filepath.Abs's (cleaned).
std::optional<std::string> missing_file(const std::string& path) {
    if (path.empty() || path == "-") return std::nullopt;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 || errno != ENOENT) return std::nullopt;
    std::error_code ec;
    std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
    while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
    return abs;
}
}  // namespace

void require_existing_file(const std::string& path) {
    if (auto abs = missing_file(path))
        throw Error(ErrorCode::NoFileSpecified, "Error: cannot operate on non-existent file " + go_quote(*abs));
}

void require_existing_file_for_key_change(const std::string& path) {
    if (auto abs = missing_file(path))
        throw Error(ErrorCode::CannotChangeKeysFromNonExistentFile,
                    "Error: cannot add or remove keys on non-existent file " + go_quote(*abs) + ", use the `edit` subcommand instead.");
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (fallback.empty() && v) ? std::string(v) : fallback;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) {
        auto b = part.find_first_not_of(" \t\n");
        auto e = part.find_last_not_of(" \t\n");
        if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    }
    return out;
}

namespace {
// sops' FormatForPathOrString: a type name it knows, else (an unknown name too) the file name's.
Format pick_format(const std::string& type_name, const std::string& path) {
    if (auto f = format_from_name(type_name)) return *f;
    return format_from_path(path);
}
}  // namespace

// As sops' inputStore/outputStore: each side from its own --*-type or from the file name; the
// output does not follow --input-type.
Formats formats_for(const FileOptions& o, const std::string& path) {
    const std::string& name = o.filename_override.empty() ? path : o.filename_override;
    Format in = pick_format(o.input_type, name);
    // Standard input has no name to take an output type from: it keeps the input's.
    bool unnamed = name.empty() || name == "-";
    return {in, unnamed && !format_from_name(o.output_type) ? in : pick_format(o.output_type, name)};
}

StoreOptions store_options(const FileOptions& o) {
    StoreOptions s;
    // sops reads the stores section whenever a config is found; a config that does not load
    // leaves the defaults here (the command reports it where it needs the creation rules).
    try {
        if (std::optional<std::string> path = config_path_for(o)) {
            SopsConfig cfg = load_config(*path);
            if (cfg.yaml_indent > 0) s.yaml_indent = cfg.yaml_indent;
            if (cfg.yaml_indent < 0) throw Error(ErrorCode::Generic, "YAML Negative indentation not accepted");
            s.json_indent = cfg.json_indent;
            s.json_binary_indent = cfg.json_binary_indent;
        }
    } catch (const Error& e) {
        if (std::string_view(e.what()).rfind("YAML Negative", 0) == 0) throw;
    }
    std::optional<int> indent = o.indent ? o.indent : root_options().indent;
    if (indent) {
        if (*indent < 0 && *indent != -1) throw Error(ErrorCode::Generic, "JSON Indentation parameter smaller than -1 is not accepted");
        s.yaml_indent = *indent > 0 ? *indent : 4;
        s.json_indent = *indent;
        s.json_binary_indent = *indent;
    }
    return s;
}

std::optional<std::string> config_path_for(const FileOptions& o) {
    std::string chosen = env_or("SOPS_CONFIG", o.config.empty() ? root_options().config : o.config);
    if (!chosen.empty()) return chosen;
    return find_config_file_from_working_dir();
}

std::optional<CreationRule> config_rule_for(const FileOptions& o, const std::string& path) {
    const std::string& name = o.filename_override.empty() ? path : o.filename_override;
    std::string target = name.empty() || name == "-" ? "stdin" : name;
    std::optional<std::string> config = config_path_for(o);
    if (!config) return std::nullopt;
    // sops returns config errors as plain errors: exit code 1, not codes.ErrorReadingConfig.
    try {
        SopsConfig cfg = load_config(*config);
        return creation_rule_for(cfg, std::filesystem::absolute(target).string());
    } catch (const Error& e) {
        if (e.code() != ErrorCode::ErrorReadingConfig) throw;
        throw Error(ErrorCode::Generic, e.what());
    }
}

KeyServiceClientOptions key_service_options(const FileOptions& o) {
    KeyServiceClientOptions ks;
    ks.local = o.local_keyservice && root_options().local_keyservice;
    const FileOptions& root = root_options();
    for (const auto* list : {&o.keyservices, &root.keyservices})
        for (const auto& uri : *list)
            if (std::find(ks.uris.begin(), ks.uris.end(), uri) == ks.uris.end()) ks.uris.push_back(uri);
    if (const char* t = std::getenv("SOPSKIT_KEYSERVICE_TIMEOUT_S"); t && std::atoi(t) > 0)
        ks.timeout = std::chrono::seconds(std::atoi(t));
    ks.tls_ca_file = env_or("SOPSKIT_KEYSERVICE_CA", "");
    ks.tls_cert_file = env_or("SOPSKIT_KEYSERVICE_CERT", "");
    ks.tls_key_file = env_or("SOPSKIT_KEYSERVICE_KEY", "");
    ks.tls_server_name = env_or("SOPSKIT_KEYSERVICE_SERVER_NAME", "");
    return ks;
}

KeyRing keyring_for(const FileOptions& o) {
    KeyRing ring = make_user_keyring();
    use_key_services(ring, key_service_options(o));
    std::string order = env_or("SOPS_DECRYPTION_ORDER", o.decryption_order);
    if (!order.empty()) {
        // sops' decryptionOrder: the list split on commas as written; a kind named twice is
        // refused (112), an unknown one is simply never matched.
        std::vector<std::string> kinds;
        for (std::size_t start = 0;;) {
            std::size_t comma = order.find(',', start);
            std::string kind = order.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end())
                throw Error(ErrorCode::DuplicateDecryptionKeyType, "Duplicate decryption key type: " + kind);
            kinds.push_back(std::move(kind));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        ring.set_decryption_order(std::move(kinds));
    }
    return ring;
}

void check_destination(const FileOptions& o) {
    if (o.in_place && !o.output.empty())
        throw Error(ErrorCode::ConflictingParameters, "--in-place and --output cannot be used together");
    if (o.in_place && (o.file.empty() || o.file == "-"))
        throw Error(ErrorCode::ConflictingParameters, "--in-place needs a file, not standard input");
}

void write_result(const FileOptions& o, const std::string& bytes, Privacy privacy) {
    if (o.in_place) return write_output(o.file, bytes, privacy);
    if (!o.output.empty()) return write_output(o.output, bytes, privacy);
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) throw Error(ErrorCode::CannotWriteOutput, "Could not write to standard output");
}

void print_error(std::ostream& out, std::string_view label, const std::exception& e, bool as_sops) {
    std::string message = e.what();
    const auto* error = dynamic_cast<const Error*>(&e);
    std::string text;
    if (error && error->code() == ErrorCode::CouldNotRetrieveKey) {
        std::size_t start = 0;
        for (std::size_t nl; (nl = message.find('\n', start)) != std::string::npos; start = nl + 1)
            text += escape_control_chars(std::string_view(message).substr(start, nl - start)) + "\n";
        text += escape_control_chars(std::string_view(message).substr(start));
    } else {
        text = escape_control_chars(message);
    }
    // Run as `sops`, errors are sops' bare lines (scripts match them); as sopskit, they name the file.
    if (!as_sops) {
        out << "sopskit: ";
        if (!label.empty()) out << escape_control_chars(label) << ": ";
    }
    out << text << "\n";
}

std::string find_program(std::string_view name) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path ? path : "";
    while (true) {
        std::size_t colon = rest.find(':');
        std::string_view dir = rest.substr(0, colon);
        if (!dir.empty() && dir.front() == '/') {
            std::string candidate = std::string(dir) + "/" + std::string(name);
            std::error_code ec;
            if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        if (colon == std::string_view::npos) return {};
        rest.remove_prefix(colon + 1);
    }
}

}  // namespace sopskit::cli
