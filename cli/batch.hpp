// Running one file operation over many files and folders: atomic per file, both cores,
// a progress line on a terminal, a JSON report, and an exit code that says if any failed.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sopskit::cli {

struct BatchOptions {
    bool json = false;
    bool fail_fast = false;
    unsigned threads = 0;  // 0: one per core
};

// What an operation did with one file: the new contents to write (nullopt: leave the file
// alone) and the action name for the report ("rotated", "unchanged", "skipped", ...).
struct FileOutcome {
    std::optional<std::string> new_contents;
    std::string action;
};

using FileOperation = std::function<FileOutcome(const std::string& path)>;

// Expands folders (recursively, regular files only, hidden entries skipped) and runs `op` on
// each file; writes results atomically. Returns the exit code.
int run_batch(const std::vector<std::string>& targets, const FileOperation& op, const BatchOptions& opts);

// True when `targets` needs batch handling: several entries or a folder.
bool is_batch(const std::vector<std::string>& targets);

}  // namespace sopskit::cli
