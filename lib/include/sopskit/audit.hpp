// sopskit audit: finds plaintext Kubernetes Secret data and stale or weak SOPS settings in a
// repository, without ever reading a secret value into a message.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/keys.hpp"

namespace sopskit {

enum class AuditSeverity { Error, Warning };

// What a finding is about; its name is the rule id in JSON and SARIF.
enum class AuditRule {
    PlaintextSecret,          // a Secret's data/stringData with no SOPS metadata at all
    PartlyEncryptedSecret,    // a SOPS file whose Secret data/stringData values are readable
    PlaintextDecryptionKey,   // a plaintext Secret that carries *.agekey / *.asc decryption keys
    StaleRecipients,          // recipients differ from the .sops.yaml creation rule
    MacOnlyEncrypted,         // mac_only_encrypted: readable values are not covered by the MAC
    GeneratorPlaintextSource, // a kustomize secretGenerator reads a plaintext file or literals
    AgeIdentityCommitted,     // AGE-SECRET-KEY-1 in a file of the repository
    Unparsable,               // a file that looks like it holds a Secret but does not parse
    MacMismatch,              // an age-only SOPS file whose key is at hand and whose MAC fails
};

std::string_view audit_rule_id(AuditRule rule);
std::string_view audit_rule_summary(AuditRule rule);

struct AuditFinding {
    std::string file;      // relative to the audited root, '/'-separated
    int document = 0;      // 1-based document number in a multi-document file; 0: not shown
    std::string path;      // key path inside the document (data.password), or empty
    AuditRule rule = AuditRule::PlaintextSecret;
    AuditSeverity severity = AuditSeverity::Error;
    std::string what;      // never a value: names, counts and settings only
    std::string fix;       // the exact command to run
};

// One file of the audited set: its name relative to the root and its bytes.
struct AuditFile {
    std::string path;
    std::string bytes;
};

struct AuditOptions {
    // The folder `path`s are relative to, as the files sit on disk (.sops.yaml path_regex is
    // matched against root/path, as sops matches it).
    std::string root;
    // Makes the recipients of a SOPS file comparable with a creation rule's; null: no
    // stale-recipient check.
    const KeyRing* ring = nullptr;
    // Decrypts SOPS files whose keys are all age, with `ring`, to check the MAC; a file no
    // identity opens is skipped. (age only: a cloud or PGP key could mean network or prompts.)
    bool verify_mac = false;
};

// Audits a set of files (.sops.yaml and kustomizations are looked up among them). Findings come
// in file order. Never throws for a file's content; a file that does not parse is skipped
// unless it looks like a Secret (then an Unparsable warning).
std::vector<AuditFinding> audit_files(const std::vector<AuditFile>& files, const AuditOptions& options);

// A path quoted for a POSIX shell when it needs it (the fix commands are meant to be pasted).
std::string shell_quote(std::string_view word);

// --- reports ------------------------------------------------------------------------------

// One line per finding: `file[:document]: path: what — fix: command`.
std::string audit_report_text(const std::vector<AuditFinding>& findings);
// {"findings": [{file, document, path, rule, severity, message, fix}], "unreadable": [...]}
std::string audit_report_json(const std::vector<AuditFinding>& findings, const std::vector<std::string>& unreadable);
// SARIF 2.1.0 with one run, the rules used and one result per finding.
std::string audit_report_sarif(const std::vector<AuditFinding>& findings);

// --- where the files come from -------------------------------------------------------------

// The paths `git ls-files -z` prints: NUL-separated, each a relative path. Empty names are
// dropped; a name with a NUL-free control character is kept as it is (git quotes only without -z).
std::vector<std::string> parse_git_ls_files_z(std::string_view output);

enum class AuditSource { Auto, WorkTree, Staged, Folder };

struct AuditCollectOptions {
    AuditSource source = AuditSource::Auto;
    std::vector<std::string> paths;  // limits the set (files or folders, relative to cwd); empty: all
    std::size_t max_file_size = 4 << 20;  // larger files are not read (no manifest is that big)
    std::function<void(std::size_t done, std::size_t total)> progress;  // may be empty
};

struct AuditCollection {
    std::string root;               // where the files are on disk (a private export for --staged)
    std::vector<AuditFile> files;
    std::vector<std::string> unreadable;  // "path: reason" for files that could not be read
    std::shared_ptr<void> keep_alive;     // holds the private export folder of --staged
};

// Collects from the current directory: git-tracked files (Auto/WorkTree in a git work tree),
// the index content (Staged, exported to a private folder by `git checkout-index`), or a plain
// folder walk (Folder, or Auto outside git). Throws Error when git fails or is missing for
// Staged/WorkTree.
AuditCollection collect_audit_files(const AuditCollectOptions& options);

}  // namespace sopskit
