// Reading inputs and replacing files safely.
#pragma once
#include <string>
#include <string_view>

namespace sopskit {

// The whole file (or stdin for "-"). Throws Error(CannotReadInput) naming the path.
std::string read_input(const std::string& path);

// Replaces `path` atomically: a temp file in the same folder with the original's mode (0600
// for a new file), fsync'ed, then renamed over it; the folder is fsync'ed too. On any failure
// the original is untouched and the temp file removed. Throws Error(CannotWriteOutput).
void atomic_write(const std::string& path, std::string_view contents);

}  // namespace sopskit
