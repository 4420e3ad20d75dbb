// Runs a helper program (age key commands, gcloud's executable-sourced tokens, `az`) without a
// shell, with a deadline and bounded output.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace sopskit::detail {

struct ProgramResult {
    int exit_code = -1;  // -1: killed (deadline) or ended by a signal
    bool timed_out = false;
    std::string out, err;
};

inline constexpr std::size_t kMaxProgramOutput = 256 << 10;

// argv[0] is looked up on PATH. `extra_env` is added to the process environment; standard input
// is /dev/null. Output beyond `max_output` bytes per stream is dropped. Throws
// std::runtime_error when it cannot start.
ProgramResult run_program(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& extra_env,
                          long timeout_ms, std::size_t max_output = kMaxProgramOutput);

// The first executable `name` in the colon-separated `path` (a name with a slash is taken as
// it is); empty when there is none.
std::string find_program(const std::string& name, const std::string& path);

}  // namespace sopskit::detail
