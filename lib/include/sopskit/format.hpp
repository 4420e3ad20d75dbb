// File formats (stores): bytes <-> tree, and where each keeps the `sops` metadata.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "sopskit/tree.hpp"

namespace sopskit {

enum class Format { Yaml, Json, Dotenv, Ini, Binary };

// Format from a file name's extension, as sops chooses it (.yaml/.yml, .json, .env, .ini; else binary).
Format format_from_path(std::string_view path);
// Format from an --input-type/--output-type name; nullopt for an unknown name.
std::optional<Format> format_from_name(std::string_view name);
std::string_view format_name(Format f);

struct StoreOptions {
    int yaml_indent = 4;   // sops' default
    int json_indent = -1;  // -1: a tab, as sops; otherwise that many spaces
    int json_binary_indent = -1;  // the JSON envelope of an encrypted binary file (sops' json_binary store)
    // YAML timestamps become time values, as in sops' YAML store. Off for Kubernetes objects
    // decrypted the way Flux does (through JSON, where they are plain strings).
    bool yaml_timestamps = true;
};

// A file split into its data and its metadata tree (the `sops` mapping, unflattened).
struct SplitFile {
    Branches branches;
    Value metadata;  // Kind::Map; Kind::Null when the file has none
};

// Plain (decrypted or never encrypted) documents.
Branches load_plain(Format f, std::string_view bytes, const StoreOptions& opts = {});
std::string emit_plain(Format f, const Branches& branches, const StoreOptions& opts = {});

// Encrypted files: the data plus the metadata tree, stored as each format stores it.
// load_encrypted throws Error(MacNotFound-free Generic) "sops metadata not found" when absent.
SplitFile load_encrypted(Format f, std::string_view bytes, const StoreOptions& opts = {});
std::string emit_encrypted(Format f, const Branches& branches, const Value& metadata,
                           const StoreOptions& opts = {});
// The same, consuming the tree (no copy of a large file's tree just to append `sops`).
std::string emit_encrypted(Format f, Branches&& branches, const Value& metadata, const StoreOptions& opts = {});

// Emits one value (for --extract) in the format's style.
std::string emit_value(Format f, const Value& v, const StoreOptions& opts = {});

}  // namespace sopskit
