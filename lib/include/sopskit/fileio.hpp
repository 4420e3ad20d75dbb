// Reading inputs and writing results to what the user named.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <optional>
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

// What the written bytes are, which decides the mode of the file they end up in.
enum class Privacy {
    Shared,      // ciphertext: a new file gets 0666 minus the umask, as sops' os.Create gives
    Plaintext,   // a new file gets 0600; an existing file keeps its mode (the user chose it)
    PrivateKey,  // the file always ends 0600; refused when its mode cannot be changed
};

// Writes a result where the user asked, as sops' os.Create does: through symlinks (relative
// ones from the link's folder; a dangling link creates its target), into the inode a hard link
// shares, keeping owner, group and mode, and into a device or FIFO without replacing it.
// A regular file with one link whose owner can be kept is replaced atomically (temp file 0600
// in its folder, fchown, fchmod, fsync, rename, fsync of the folder); otherwise the file is
// truncated and written in place. docs/security.md ("Crash safety") says what each case
// guarantees. Throws Error(CannotWriteOutput) naming the path.
void write_output(const std::string& path, std::string_view contents, Privacy privacy);

// Replaces the directory entry `path` atomically; a symlink there is replaced, not followed.
// Meant for files sopskit manages itself (a working copy), not for what a user names. The temp
// file is 0600 until complete, then gets `mode` (default: the original's, 0600 for a new
// file). On failure the original is untouched and the temp file removed.
void atomic_write(const std::string& path, std::string_view contents, std::optional<mode_t> mode = std::nullopt);

}  // namespace sopskit
