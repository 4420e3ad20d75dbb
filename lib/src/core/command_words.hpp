// Splitting $EDITOR, SOPS_AGE_KEY_CMD and SOPS_AGE_SSH_PRIVATE_KEY_CMD into a program and its
// arguments without a shell, as sops does (it uses github.com/google/shlex): quotes and backslashes group words, and nothing else of the shell
// applies, so `;`, `|`, `$(...)` are plain characters of a word.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sopskit::detail {

// Words separated by spaces, tabs, CR or LF. 'single quotes' keep everything literally;
// "double quotes" and a bare backslash take the next character literally; a `#` at the start
// of a word comments out the rest of the line. nullopt for an unterminated quote or a
// trailing backslash.
std::optional<std::vector<std::string>> split_command_words(std::string_view line);

}  // namespace sopskit::detail
