// The public store API: picks the format and places the `sops` metadata as each store does.
#include "sopskit/format.hpp"

#include "sopskit/error.hpp"
#include "stores/stores_internal.hpp"

namespace sopskit {

namespace {

constexpr std::string_view kSopsKey = "sops";
constexpr std::string_view kDotenvPrefix = "sops_";


[[noreturn]] void metadata_not_found() { throw Error(ErrorCode::Generic, "sops metadata not found"); }

// YAML/JSON/INI: the `sops` entry of the first document; the entry is removed everywhere.
Value take_sops_entry(Branches& branches) {
    Value metadata;
    bool found = false;
    for (std::size_t b = 0; b < branches.size(); ++b) {
        auto& branch = branches[b];
        for (std::size_t i = 0; i < branch.size();) {
            if (!branch[i].is_comment() && branch[i].key.text == kSopsKey) {
                if (b == 0) {
                    if (found) throw Error(ErrorCode::Generic, "Found duplicate sops entry");
                    if (branch[i].value.kind != Kind::Map) throw Error(ErrorCode::Generic, "Found sops entry that is not a mapping");
                    metadata = std::move(branch[i].value);
                    found = true;
                }
                branch.erase(branch.begin() + static_cast<std::ptrdiff_t>(i));
            } else {
                ++i;
            }
        }
    }
    if (!found) metadata_not_found();
    return metadata;
}

void check_no_reserved_key(const Branches& branches, bool dotenv) {
    for (const auto& branch : branches)
        for (const auto& item : branch) {
            if (item.is_comment()) continue;
            if (dotenv && item.key.text.rfind(kDotenvPrefix, 0) == 0)
                throw Error(ErrorCode::ErrorDumpingTree, "Found key \"" + item.key.text +
                                                             "\" in encrypted data, which starts with the reserved key prefix \"sops_\" for SOPS metadata");
            if (!dotenv && item.key.text == kSopsKey)
                throw Error(ErrorCode::ErrorDumpingTree, "Found key \"sops\" in encrypted data, which is a reserved key used for SOPS metadata");
        }
}

// INI keeps metadata values on one line: newlines become the two characters \n.
Branch escape_newlines(Branch flat) {
    for (auto& item : flat)
        if (item.value.kind == Kind::String) {
            std::string& s = item.value.text;
            for (std::size_t p = 0; (p = s.find('\n', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\n");
        }
    return flat;
}

Branch unescape_newlines(Branch flat) {
    for (auto& item : flat)
        if (item.value.kind == Kind::String) {
            std::string& s = item.value.text;
            for (std::size_t p = 0; (p = s.find("\\n", p)) != std::string::npos; ++p) s.replace(p, 2, "\n");
        }
    return flat;
}

}  // namespace

Format format_from_path(std::string_view path) {
    if (path.ends_with(".yaml") || path.ends_with(".yml")) return Format::Yaml;
    if (path.ends_with(".json")) return Format::Json;
    if (path.ends_with(".env")) return Format::Dotenv;
    if (path.ends_with(".ini")) return Format::Ini;
    return Format::Binary;
}

std::optional<Format> format_from_name(std::string_view name) {
    if (name == "yaml") return Format::Yaml;
    if (name == "json") return Format::Json;
    if (name == "dotenv") return Format::Dotenv;
    if (name == "ini") return Format::Ini;
    if (name == "binary") return Format::Binary;
    return std::nullopt;
}

std::string_view format_name(Format f) {
    switch (f) {
        case Format::Yaml: return "yaml";
        case Format::Json: return "json";
        case Format::Dotenv: return "dotenv";
        case Format::Ini: return "ini";
        case Format::Binary: return "binary";
    }
    return "binary";
}

Branches load_plain(Format f, std::string_view bytes, const StoreOptions& opts) {
    switch (f) {
        case Format::Yaml: return detail::yaml_load(bytes, opts.yaml_timestamps);
        case Format::Json: return {detail::json_load(bytes)};
        case Format::Dotenv: return {detail::dotenv_load(bytes)};
        case Format::Ini: return {detail::ini_load(bytes)};
        case Format::Binary: return {Branch{Item{Value::string("data"), Value::string(std::string(bytes))}}};
    }
    return {};
}

std::string emit_plain(Format f, const Branches& branches, const StoreOptions& opts) {
    switch (f) {
        case Format::Yaml: return detail::yaml_emit(branches, opts.yaml_indent);
        case Format::Json:
            if (branches.empty()) return detail::json_emit({}, opts.json_indent);
            return detail::json_emit(branches.front(), opts.json_indent);
        case Format::Dotenv: return branches.empty() ? std::string() : detail::dotenv_emit(branches.front());
        case Format::Ini: return branches.empty() ? std::string() : detail::ini_emit(branches.front());
        case Format::Binary: {
            if (branches.size() != 1) throw Error(ErrorCode::ErrorDumpingTree, "error emitting binary store: there must be exactly one tree branch");
            for (const auto& item : branches.front())
                if (!item.is_comment() && item.key.text == "data") {
                    if (item.value.kind != Kind::String && item.value.kind != Kind::Bytes)
                        throw Error(ErrorCode::ErrorDumpingTree, "error emitting binary store: 'data' key in tree does not have a string value");
                    return item.value.text;
                }
            throw Error(ErrorCode::ErrorDumpingTree, "error emitting binary store: no binary data found in tree");
        }
    }
    return {};
}

SplitFile load_encrypted(Format f, std::string_view bytes, const StoreOptions& opts) {
    SplitFile out;
    switch (f) {
        case Format::Yaml:
        case Format::Json:
        case Format::Binary:
            out.branches = f == Format::Yaml ? detail::yaml_load(bytes, opts.yaml_timestamps) : Branches{detail::json_load(bytes)};
            out.metadata = take_sops_entry(out.branches);
            break;
        case Format::Ini:
            out.branches = load_plain(f, bytes, opts);
            out.metadata = detail::unflatten_items(unescape_newlines(std::move(take_sops_entry(out.branches).map)));
            break;
        case Format::Dotenv: {
            out.branches = load_plain(f, bytes, opts);
            Branch flat;
            Branch& data = out.branches.front();
            for (std::size_t i = 0; i < data.size();) {
                if (!data[i].is_comment() && data[i].key.text.rfind(kDotenvPrefix, 0) == 0) {
                    flat.push_back(Item{Value::string(data[i].key.text.substr(kDotenvPrefix.size())), std::move(data[i].value)});
                    data.erase(data.begin() + static_cast<std::ptrdiff_t>(i));
                } else {
                    ++i;
                }
            }
            if (flat.empty()) metadata_not_found();
            out.metadata = detail::unflatten_items(flat);
            break;
        }
    }
    return out;
}

std::string emit_encrypted(Format f, const Branches& branches, const Value& metadata, const StoreOptions& opts) {
    return emit_encrypted(f, Branches(branches), metadata, opts);
}

std::string emit_encrypted(Format f, Branches&& branches, const Value& metadata, const StoreOptions& opts) {
    check_no_reserved_key(branches, f == Format::Dotenv);
    Branches out = std::move(branches);
    switch (f) {
        case Format::Yaml:
        case Format::Json:
        case Format::Binary:
            for (auto& b : out) b.push_back(Item{Value::string(std::string(kSopsKey)), metadata});
            if (out.empty()) out.push_back(Branch{Item{Value::string(std::string(kSopsKey)), metadata}});
            if (f == Format::Yaml) return detail::yaml_emit(out, opts.yaml_indent);
            return detail::json_emit(out.front(), f == Format::Binary ? opts.json_binary_indent : opts.json_indent);
        case Format::Ini: {
            Value section = Value::empty_map();
            section.map = escape_newlines(detail::flatten_map(metadata, ""));
            if (out.empty()) out.emplace_back();
            out.front().push_back(Item{Value::string(std::string(kSopsKey)), std::move(section)});
            return detail::ini_emit(out.front());
        }
        case Format::Dotenv: {
            if (out.empty()) out.emplace_back();
            for (auto& item : detail::flatten_map(metadata, kDotenvPrefix)) out.front().push_back(std::move(item));
            return detail::dotenv_emit(out.front());
        }
    }
    return {};
}

std::string emit_value(Format f, const Value& v, const StoreOptions& opts) {
    switch (f) {
        case Format::Yaml: return detail::yaml_emit_value(v, opts.yaml_indent);
        case Format::Json: return detail::json_emit_value(v, opts.json_indent);
        case Format::Ini: return detail::json_marshal_value(v);
        case Format::Dotenv:
            if (v.kind == Kind::String) return v.text;
            throw Error(ErrorCode::ErrorDumpingTree, "the dotenv store only supports emitting strings");
        case Format::Binary:
            throw Error(ErrorCode::ErrorDumpingTree, "Binary files are not structured and extracting a single value is not possible");
    }
    return {};
}

}  // namespace sopskit
