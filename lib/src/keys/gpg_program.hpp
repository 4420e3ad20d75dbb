// Runs the gpg program directly for the PGP key source's decrypt and encrypt, as sops does.
// GPGME, before its first operation, ran gpgconf three times, `gpg --version` and
// `gpgsm --version` (about 45 ms); one gpg run is all a data key needs. GPGME stays for the
// rarer operations (import, key generation, diagnosing a key gpg refused).
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "keys/gpg_status.hpp"

namespace sopskit::detail {

// The gpg to run: SOPS_GPG_EXEC (a path, or a name looked up on PATH, as sops reads it), else
// gpg on PATH; only PATH's absolute entries are searched. Throws Error naming the program
// when it is nowhere.
std::string gpg_program();

struct GpgRun {
    int exit_code = -1;  // -1: ended by a signal, or stopped because its output was too long
    GpgStatus status;
    std::string errors;  // what gpg wrote to stderr (bounded), for diagnostics
};

// Receives gpg's standard output; returns false to stop the run (too much output).
using GpgOutput = std::function<bool(const char* data, std::size_t size)>;

// Runs `gpg --batch --status-fd ... <args>` without a shell, `input` on its standard input.
// `home` non-empty: --homedir home and pinentry mode "cancel" (an isolated home never
// prompts). Empty: GnuPG's own home ($GNUPGHOME or ~/.gnupg) and the agent's pinentry, told
// about our terminal when there is one. No deadline: a pinentry may wait for the user.
// Throws Error when gpg cannot be started.
GpgRun run_gpg(const std::string& home, const std::vector<std::string>& args, std::string_view input, const GpgOutput& output);

}  // namespace sopskit::detail
