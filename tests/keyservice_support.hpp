// Helpers for the key service tests: server processes started for one test.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace sopskit::test {

using Env = std::vector<std::pair<std::string, std::string>>;

// A server process for one test (`sopskit keyservice`, or a peer's): started with its own
// environment and its stderr (the access log) in a file, which tells where it listens; stopped
// with SIGTERM.
class ServerProcess {
public:
    ServerProcess(const std::filesystem::path& dir, std::vector<std::string> argv, const Env& env, const std::string& name = "keyservice")
        : log_(dir / (name + ".log")) {
        std::ofstream(log_, std::ios::trunc).flush();  // before the fork: no stale line is read below
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log_.c_str(), O_WRONLY | O_APPEND);
            dup2(fd, 2);
            dup2(fd, 1);  // never the test's own output: a pipe held open would outlive the test
            int devnull = open((dir / "empty-stdin").c_str(), O_RDONLY | O_CREAT, 0600);
            dup2(devnull, 0);
            if (chdir(dir.c_str()) != 0) _exit(126);
            for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            execvp(args[0], args.data());
            _exit(127);
        }
        // The address it listens on, from its first log line (port 0 resolved).
        for (int i = 0; i < 400 && address_.empty(); ++i) {
            std::string log = this->log();
            if (auto at = log.find("Listening on "); at != std::string::npos && log.find('\n', at) != std::string::npos)
                address_ = log.substr(at + 13, log.find('\n', at) - at - 13);
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ~ServerProcess() { stop(); }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    const std::string& address() const { return address_; }
    std::string log() const {
        std::ifstream in(log_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    // SIGTERM, then its exit status (-1 if it had to be killed).
    int stop() {
        if (pid_ <= 0) return status_;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 200; ++i) {
            int st = 0;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = 0;
                return status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = 0;
        return status_ = -1;
    }
    void kill_now() {
        if (pid_ > 0) kill(pid_, SIGKILL), waitpid(pid_, nullptr, 0), pid_ = 0;
    }

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
    int status_ = -1;
    std::string address_;
};

// `sopskit keyservice ARGS...`
inline ServerProcess keyservice(const std::filesystem::path& dir, std::vector<std::string> args, const Env& env) {
    args.insert(args.begin(), {cli_path(), "keyservice"});
    return ServerProcess(dir, std::move(args), env);
}

}  // namespace sopskit::test
