// .sops.yaml: found and matched the way sops does it (config/config.go).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/format.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/sops_file.hpp"

namespace sopskit {

// What a matching creation rule asks for.
struct CreationRule {
    std::string path_regex;
    std::vector<std::vector<Recipient>> key_groups;  // empty groups list: no keys in the rule
    int shamir_threshold = 0;
    CryptRules rules;
};

// Where `sops publish` sends a file (destination_rules): one of S3, GCS or Vault KV.
struct DestinationRule {
    std::string path_regex;
    std::string s3_bucket, s3_prefix;
    std::string gcs_bucket, gcs_prefix;
    std::string vault_path, vault_address, vault_kv_mount_name;
    int vault_kv_version = 0;
    std::optional<CreationRule> recreation_rule;  // keys to re-encrypt with before an S3/GCS upload
    bool omit_extensions = false;
};

struct SopsConfig {
    std::string path;  // the .sops.yaml file
    std::vector<CreationRule> creation_rules;
    bool has_creation_rules = false;
    std::vector<DestinationRule> destination_rules;
    int yaml_indent = 0;   // stores.yaml.indent (0: default)
    int json_indent = -1;  // stores.json.indent
    int json_binary_indent = -1;  // stores.json_binary.indent
};

// Walks up from the folder of `start` (at most 100 levels) looking for .sops.yaml, as sops'
// LookupConfigFile does. nullopt when there is none.
std::optional<std::string> find_config_file(const std::string& start);
// The config the sops command uses: .sops.yaml from the working directory upwards (sops calls
// LookupConfigFile(".")), whatever folder the file worked on is in.
std::optional<std::string> find_config_file_from_working_dir();

// Reads and validates a config file. Throws Error(ErrorReadingConfig) naming the file and the
// place (YAML line, or the rule and field) of the problem.
SopsConfig load_config(const std::string& path);
// The same on text already read; `path` is used in messages and to resolve path_regex.
SopsConfig parse_config(std::string_view text, const std::string& path);

// The first creation rule whose path_regex matches `file_path` (made relative to the config's
// folder when inside it), or a rule without path_regex. nullopt when the config has no
// creation_rules at all; throws Error(ErrorReadingConfig) when none matches.
std::optional<CreationRule> creation_rule_for(const SopsConfig& config, const std::string& file_path);

// The first destination rule whose path_regex matches `file_path` as given (sops does not make
// it relative here), or one without path_regex. Throws Error(ErrorReadingConfig) when none
// matches or a rule names more than one destination.
const DestinationRule& destination_rule_for(const SopsConfig& config, const std::string& file_path);

}  // namespace sopskit
