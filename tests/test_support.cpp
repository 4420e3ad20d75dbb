#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace sopskit::test {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& contents) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << contents;
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::optional<fs::path> conformance_dir() {
    if (const char* env = std::getenv("SOPSKIT_CONFORMANCE_DIR"); env && *env) {
        if (fs::is_directory(env)) return fs::path(env);
        return std::nullopt;
    }
    fs::path p = fs::path(SOPSKIT_SOURCE_DIR) / ".." / "shared" / "conformance";
    if (fs::is_directory(p)) return fs::canonical(p);
    return std::nullopt;
}

namespace {
std::vector<fs::path>& temp_dirs() {
    static std::vector<fs::path> dirs;
    return dirs;
}
void remove_temp_dirs() {
    for (const auto& d : temp_dirs()) {
        std::error_code ec;
        fs::remove_all(d, ec);
    }
}
}  // namespace

fs::path make_temp_dir() {
    static std::once_flag once;
    // Construct the list before registering the handler, so it outlives the handler.
    std::call_once(once, [] {
        temp_dirs();
        std::atexit(remove_temp_dirs);
    });
    std::string pattern = (fs::temp_directory_path() / "sopskit-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    temp_dirs().push_back(pattern);
    return pattern;
}

RunResult run(const std::string& command, const std::string& stdin_data) {
    fs::path dir = make_temp_dir();
    write_file(dir / "stdin", stdin_data);
    std::string full = "(" + command + ") <'" + (dir / "stdin").string() + "' >'" + (dir / "stdout").string() +
                       "' 2>'" + (dir / "stderr").string() + "'";
    int status = std::system(full.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(dir / "stdout");
    r.err = read_file(dir / "stderr");
    return r;
}

bool have_program(const std::string& name) {
    return std::system(("command -v '" + name + "' >/dev/null 2>&1").c_str()) == 0;
}

std::string cli_path() { return SOPSKIT_CLI_PATH; }

}  // namespace sopskit::test
