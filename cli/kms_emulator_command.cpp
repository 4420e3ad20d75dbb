// sopskit kms-emulator: checks the arguments and gives help here, then runs
// sopskit-kms-emulator (installed beside sopskit) with them. The server lives in its own
// executable so that sopskit does not load cpp-httplib at every start.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "sopskit/error.hpp"

namespace sopskit::cli {

namespace {

std::filesystem::path emulator_executable() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) throw Error(ErrorCode::Generic, "cannot find sopskit's own path to run sopskit-kms-emulator: " + ec.message());
    return self.parent_path() / "sopskit-kms-emulator";
}

[[noreturn]] void run_emulator(const std::vector<std::string>& args) {
    std::filesystem::path program = emulator_executable();
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    throw Error(ErrorCode::Generic, "cannot run " + program.string() + ": " + std::strerror(errno));
}

}  // namespace

void add_kms_emulator_command(CLI::App& app, Runner& runner, int argc, char** argv) {
    auto line = std::make_shared<kms_emulator::CommandLine>();
    CLI::App* cmd = app.add_subcommand("kms-emulator", kms_emulator::kCommandSummary);
    kms_emulator::add_command_options(*cmd, *line);
    // The arguments as given, after the command's name, go to the emulator unchanged.
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) != "kms-emulator") continue;
        args.assign(argv + i + 1, argv + argc);
        break;
    }
    // The options write into *line while the command line is parsed, after this returns: the
    // callback holds it, so it lives as long as the command.
    cmd->callback([args, line, &runner] {
        (void)line;
        runner = [args]() -> int { run_emulator(args); };
    });
}

}  // namespace sopskit::cli
