// The large-file fast path of YAML encryption: a plain document in a small block-style subset
// is scanned straight from its bytes (no libfyaml, no Value tree) and encrypted into the output
// as the tree path (yaml_load, encrypt_branches, yaml_emit) would write it, byte for byte.
// Anything outside the subset is declined (nullopt), and the caller takes the tree path, which
// also gives every error: the fast path never reports one of its own for bad input.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/cipher.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/metadata.hpp"
#include "sopskit/sops_file.hpp"

namespace sopskit::detail {

// The subset: one document whose root is a block mapping at column 0; block mappings and
// sequences indented with spaces (a sequence may stand at its key's column); keys and values
// that are plain one-line scalars of printable ASCII; empty values; blank lines. Declined: any
// '#' (comments), quotes, flow collections, anchors, aliases, tags, block scalars, multi-line
// scalars, document markers and directives, tabs, CR, non-ASCII, duplicate or merge keys.
struct FastYaml {
    enum class Ev : std::uint8_t { MapStart, ListStart, End, Key, Scalar, Null };
    // 8 bytes: a file of small values has about two events per line.
    struct Event {
        std::uint64_t offset : 40;  // Key and Scalar: their text in `text`
        std::uint64_t length : 21;
        std::uint64_t kind : 3;     // an Ev
        Ev ev() const { return static_cast<Ev>(kind); }
    };
    static constexpr std::uint64_t kMaxOffset = (std::uint64_t{1} << 40) - 1;
    static constexpr std::uint64_t kMaxLength = (std::uint64_t{1} << 21) - 1;
    std::string_view text;
    std::string_view metadata;  // with `capture_metadata`: the top-level `sops:` entry's lines
    std::vector<Event> events;  // in document order; the root mapping's MapStart comes first
    std::size_t scalar_bytes = 0;
    std::size_t scalars = 0;
    bool timestamps = true;

    bool has_top_level_key(std::string_view key) const;
};

// Scans `bytes`; nullopt when they are outside the subset (or hold no document at all). With
// `capture_metadata`, the lines of a top-level `sops:` entry (which holds block scalars) are
// not scanned but kept in `metadata`, for libfyaml to read on their own.
std::optional<FastYaml> yaml_fast_parse(std::string_view bytes, bool timestamps, bool capture_metadata = false);

// From this many bytes of input on, encryption runs in two halves on two threads (SIZE_MAX
// with only one CPU to run on).
std::size_t yaml_fast_split_default();

// The encrypted document without its sops entry, as yaml_emit writes the tree after
// encrypt_branches, and the MAC hex into `mac_hex`. `reuse` supplies IVs as for encrypt_branches.
// A document of at least `split_from_bytes` is cut at its middle top-level key and its halves
// encrypted at once (the tests pass 0 to cut any document with two top-level keys).
// Throws what encrypt_branches throws (a bad regex in the rules, a cipher failure).
std::string yaml_fast_encrypt(const FastYaml& doc, const CryptRules& rules, const ValueCipher& cipher, int indent,
                              std::string& mac_hex, const IvStash* reuse = nullptr,
                              std::size_t split_from_bytes = yaml_fast_split_default());

// The sops entry's value as the tree path reads it, when its lines read on their own as one
// mapping entry holding a mapping, and hold no comment; else nullopt.
std::optional<Value> yaml_fast_metadata(const FastYaml& doc, bool timestamps);

// The decrypted document as emit_plain writes the tree after decrypt_branches, and the MAC
// hex; nullopt when a value cannot take the fast path (not an envelope where one is due, or
// one that does not decrypt): the tree path then gives the error.
std::optional<std::string> yaml_fast_decrypt(const FastYaml& doc, const CryptRules& rules, const ValueCipher& cipher,
                                             int indent, std::string& mac_hex);

// A whole YAML file decrypted to YAML, as decrypt_document and emit_plain give it, through the
// fast path when the file is in its subset (sops_file.cpp); nullopt when it is not, before any
// key is unwrapped. Once the data key is unwrapped it always answers, through the tree path
// if need be (which also gives every error, MAC mismatches included).
std::optional<std::string> decrypt_yaml_file_fast(std::string_view file, const KeyRing& ring, const DecryptOptions& opts,
                                                  const StoreOptions& store);

// Whether the fast paths are tried (on unless SOPSKIT_YAML_FAST=0 in the environment, which
// the bench uses to time the tree path).
bool yaml_fast_path_enabled();

}  // namespace sopskit::detail
