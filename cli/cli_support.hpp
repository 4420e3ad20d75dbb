// Helpers shared by the command implementations.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "file_options.hpp"
#include "sopskit/config.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keys.hpp"

namespace sopskit::cli {

// `fallback` when set, else the environment variable (sops' flag-or-env rule).
std::string env_or(const char* name, const std::string& fallback);
std::vector<std::string> split_list(const std::string& s);

struct Formats {
    Format in;
    Format out;
};
// Formats for `path` from --input-type/--output-type or the extension (or --filename-override).
Formats formats_for(const FileOptions& o, const std::string& path);
StoreOptions store_options(const FileOptions& o);

// The .sops.yaml creation rule for a path: --config or the nearest one above it.
std::optional<CreationRule> config_rule_for(const FileOptions& o, const std::string& path);

// The user's key ring with --decryption-order / SOPS_DECRYPTION_ORDER applied.
KeyRing keyring_for(const FileOptions& o);

// Writes to the file (-i), --output, or standard output; `privacy` picks a new file's mode.
void write_result(const FileOptions& o, const std::string& bytes, Privacy privacy);
void check_destination(const FileOptions& o);

}  // namespace sopskit::cli
