#include "cli_support.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "keyring_setup.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace sopskit::cli {

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
Format pick_format(const std::string& type_name, const std::string& path) {
    if (!type_name.empty()) {
        if (auto f = format_from_name(type_name)) return *f;
        throw Error(ErrorCode::Generic, "unknown file type '" + type_name + "': use yaml, json, dotenv, ini or binary");
    }
    return format_from_path(path);
}
}  // namespace

Formats formats_for(const FileOptions& o, const std::string& path) {
    const std::string& name = o.filename_override.empty() ? path : o.filename_override;
    Format in = pick_format(o.input_type, name);
    Format out = o.output_type.empty() ? in : pick_format(o.output_type, name);
    return {in, out};
}

StoreOptions store_options(const FileOptions& o) {
    StoreOptions s;
    if (o.indent > 0) {
        s.yaml_indent = o.indent;
        s.json_indent = o.indent;
    }
    return s;
}

std::optional<CreationRule> config_rule_for(const FileOptions& o, const std::string& path) {
    const std::string& name = o.filename_override.empty() ? path : o.filename_override;
    std::string target = name.empty() || name == "-" ? "stdin" : name;
    std::optional<std::string> config = o.config.empty() ? find_config_file(target) : std::optional<std::string>(o.config);
    if (!config) return std::nullopt;
    SopsConfig cfg = load_config(*config);
    return creation_rule_for(cfg, std::filesystem::absolute(target).string());
}

KeyRing keyring_for(const FileOptions& o) {
    KeyRing ring = make_user_keyring();
    std::string order = env_or("SOPS_DECRYPTION_ORDER", o.decryption_order);
    if (!order.empty()) ring.set_decryption_order(split_list(order));
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

void print_error(std::ostream& out, std::string_view label, const std::exception& e) {
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
    out << "sopskit: ";
    if (!label.empty()) out << escape_control_chars(label) << ": ";
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
