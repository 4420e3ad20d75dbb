// Helper programs for the KMS providers: the library's runner (core/subprocess.hpp) and the
// blank-separated command lines of Google's executable credential sources.
#pragma once
#include <string>
#include <vector>

#include "core/subprocess.hpp"

namespace sopskit::kms {

using detail::find_program;
using detail::kMaxProgramOutput;
using detail::ProgramResult;
using detail::run_program;

// A command line split on blanks (no quoting), as Google's libraries split an executable
// credential source's command.
std::vector<std::string> split_command(const std::string& command);

}  // namespace sopskit::kms
