// Key management on SOPS files: rotate, updatekeys, set/unset, filestatus.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/config.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/sops_file.hpp"
#include "sopskit/tree_path.hpp"

namespace sopskit {

// Wraps `data_key` for every group (one Shamir share per group when there are several) and
// replaces md.key_groups with the stored entries. Throws Error naming a key that fails.
void wrap_for_groups(Metadata& md, const std::vector<std::vector<Recipient>>& groups, const SecureBytes& data_key,
                     const KeyRing& ring);

// The recipients a file is encrypted to, group by group.
std::vector<std::vector<Recipient>> recipients_of(const Metadata& md, const KeyRing& ring);

struct RotateOptions {
    std::vector<Recipient> add;     // added to the first group, as sops does
    std::vector<Recipient> remove;  // removed from every group
    DecryptOptions decrypt;
    StoreOptions store;
    std::optional<Format> output_format;  // --output-type; unset: the input's format
};

// sops rotate: a new data key, every value re-encrypted, recipients kept (plus/minus changes).
std::string rotate_document(std::string_view file, Format format, const KeyRing& ring, const RotateOptions& opts);

struct GroupDiff {
    std::vector<Recipient> added;
    std::vector<Recipient> removed;
};

// What updatekeys would change: per-group recipient differences and the Shamir threshold.
struct KeyUpdate {
    std::vector<GroupDiff> diffs;
    int old_threshold = 0;
    int new_threshold = 0;
    bool changes() const;
    std::string describe() const;  // sops' "The following changes will be made..." listing
};

KeyUpdate plan_key_update(const Metadata& md, const KeyRing& ring, const CreationRule& rule, int threshold_override = 0);

// Re-wraps the existing data key for the rule's groups; values and MAC stay as they are.
std::string apply_key_update(std::string_view file, Format format, const KeyRing& ring, const CreationRule& rule,
                             const KeyUpdate& plan, const StoreOptions& store = {});

// A value from sops' `set` syntax: JSON; scalars decode as Go's encoding/json does (numbers
// become floats), objects and arrays through the JSON store. Throws Error(InvalidSetFormat).
Value parse_set_value(std::string_view json);

// Sets the value at a path in the first document, creating maps and list entries on the way
// (sops' TreeBranch.Set). Returns whether anything changed.
bool set_value(Branch& doc, const TreePath& path, Value v);
// Removes the value at a path; throws Error when it is not there.
void unset_value(Branch& doc, const TreePath& path);

// Decrypts, applies `edit` to the tree, re-encrypts with the same data key (unchanged values
// keep their ciphertext) and returns the new file.
std::string rewrite_document(std::string_view file, Format format, const KeyRing& ring, const DecryptOptions& dopts,
                             const StoreOptions& store, const std::function<void(Branches&)>& edit);

// sops filestatus: the file has sops metadata with a version and a MAC.
bool is_encrypted_file(std::string_view file, Format format);

}  // namespace sopskit

namespace sopskit {

// sops groups add/delete: the data key is kept and re-split over the new set of groups.
std::string add_key_group(std::string_view file, Format format, const KeyRing& ring, const std::vector<Recipient>& group,
                          int threshold, const StoreOptions& store = {});
std::string delete_key_group(std::string_view file, Format format, const KeyRing& ring, std::size_t index,
                             int threshold, const StoreOptions& store = {});

}  // namespace sopskit
