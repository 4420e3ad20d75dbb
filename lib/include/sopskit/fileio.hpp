// Reading inputs and replacing files safely.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sopskit {

// Inputs larger than this are refused before they are read: peak memory is a small multiple
// of the input (see docs/security.md). SOPSKIT_MAX_INPUT_SIZE (bytes) overrides the default.
inline constexpr std::size_t kDefaultMaxInputSize = std::size_t{64} << 20;
std::size_t max_input_size();

// The whole file (or stdin for "-"). Throws Error(CannotReadInput) naming the path, also when
// the input exceeds max_input_size().
std::string read_input(const std::string& path);

// Replaces `path` atomically: a temp file in the same folder with the original's mode (0600
// for a new file), fsync'ed, then renamed over it; the folder is fsync'ed too. On any failure
// the original is untouched and the temp file removed. Throws Error(CannotWriteOutput).
void atomic_write(const std::string& path, std::string_view contents);

}  // namespace sopskit
