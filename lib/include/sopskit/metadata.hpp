// The `sops` metadata section: read from and written to its tree form exactly as sops does.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/tree.hpp"

namespace sopskit {

// One master key entry as stored (`pgp`, `age`, `kms`, ... or a kind we do not know). The
// fields are kept as read, so unknown kinds and fields survive a rewrite.
struct StoredKey {
    std::string kind;  // metadata name: pgp, age, kms, gcp_kms, azure_kv, hc_vault, hckms, ...
    Value fields;      // Kind::Map
    std::string field(std::string_view name) const;
    void set_field(std::string_view name, Value v);
};

using KeyGroup = std::vector<StoredKey>;

// Which values get encrypted. At most one of the six rules may be set.
struct CryptRules {
    std::string unencrypted_suffix;
    std::string encrypted_suffix;
    std::string unencrypted_regex;
    std::string encrypted_regex;
    std::string unencrypted_comment_regex;
    std::string encrypted_comment_regex;
    bool mac_only_encrypted = false;
    int rule_count() const;
};

inline constexpr const char* kDefaultUnencryptedSuffix = "_unencrypted";
// The sops format version we write (a 3.x release whose format we produce exactly).
inline constexpr const char* kSopsFormatVersion = "3.13.2";

struct Metadata {
    std::vector<KeyGroup> key_groups;
    int shamir_threshold = 0;
    std::string last_modified;  // RFC 3339, as Go's time.Format(time.RFC3339) prints it
    std::string mac;            // the MAC envelope (empty when the file has none)
    CryptRules rules;
    std::string version;
    std::vector<Item> unknown_fields;  // top-level fields sops does not define, kept as read

    std::size_t master_key_count() const;
};

// Reads the metadata tree (weakly typed, as sops' mapstructure decoding is: dotenv/INI give
// strings). Applies sops' defaults: no rule -> unencrypted_suffix "_unencrypted".
// Throws Error for more than one rule, no keys, or a bad timestamp.
Metadata parse_metadata(const Value& tree);

// The tree sops writes: map keys sorted, flat key lists for one group, `key_groups` for more.
Value serialize_metadata(const Metadata& md);

// Go's time.Now().UTC().Format(time.RFC3339).
std::string now_rfc3339();
// Re-formats an RFC 3339 timestamp as Go's time.Format(time.RFC3339) would after parsing it
// (fractional seconds dropped). Throws Error when it does not parse.
std::string normalize_rfc3339(std::string_view text);

}  // namespace sopskit
