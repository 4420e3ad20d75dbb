// Per-format readers and writers; format.cpp dispatches to them and places the metadata.
#pragma once
#include <string>
#include <string_view>

#include "sopskit/format.hpp"
#include "sopskit/tree.hpp"

namespace sopskit::detail {

// YAML (yaml_reader.cpp / yaml_writer.cpp): several documents, comments kept.
Branches yaml_load(std::string_view bytes, bool timestamps = true);
std::string yaml_emit(const Branches& docs, int indent);
std::string yaml_emit_value(const Value& v, int indent);
// What the YAML writer puts for a mapping key, and after "key: " or "- " for a scalar whose
// text has no line break (throws Error for one that has: its literal block depends on the column).
void yaml_append_key(std::string& out, const std::string& key);
void yaml_append_one_line_scalar(std::string& out, const Value& v);
// What the writer puts after "key:" at column `col` (or after "-" with `in_list`) for a scalar
// with no comments: " text\n", or a literal block.
void yaml_append_entry_scalar(std::string& out, const Value& v, int col, bool in_list, int indent);

// JSON (json_store.cpp): one top-level object, key order kept, Go encoding/json output.
Branch json_load(std::string_view bytes);
std::string json_emit(const Branch& doc, int indent);
std::string json_emit_value(const Value& v, int indent);
// Go's json.Marshal of a value (compact; sops' INI store emits single values so).
std::string json_marshal_value(const Value& v);

// dotenv (dotenv_store.cpp): KEY=value lines and # comments.
Branch dotenv_load(std::string_view bytes);
std::string dotenv_emit(const Branch& doc);

// INI (ini_store.cpp): sections are top-level keys holding string values.
Branch ini_load(std::string_view bytes);
std::string ini_emit(const Branch& doc);

// Metadata flattening for dotenv/INI (flatten.cpp): `pgp__list_0__map_enc` style keys.
Branch flatten_map(const Value& map, std::string_view prefix);
Value unflatten_items(const Branch& flat);

// A scalar as sops' stores.ValToString writes it (dotenv, INI).
std::string value_to_string(const Value& v);

}  // namespace sopskit::detail
