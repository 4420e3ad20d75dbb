// Rules the two decryptor phases share.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sopskit/format.hpp"
#include "sopskit/metadata.hpp"

namespace sopskit {

// Format from a generator key or Secret data key, as Flux chooses it (.dockerconfigjson: JSON).
Format flux_format_for_key(std::string_view key);
// Marker bytes that say a payload is a SOPS file, and in which format (Flux's list).
std::optional<Format> detect_sops_payload(std::string_view data);
// Whether `data` carries the marker of `format` (phase 1's gate).
bool has_sops_marker(std::string_view data, Format format);
// Cache id of a file's data key: its wrapped keys plus the key set that may open them.
std::string data_key_cache_id(const Metadata& md, const std::string& keyset);
// Runs job(i) for i in [0, n) on up to `threads` threads (0: one per core); rethrows the
// exception of the first failing index, as a sequential run would report it.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& job);
// kustomize's YAML: timestamps stay strings, two-space indent.
StoreOptions kustomize_yaml();

}  // namespace sopskit
