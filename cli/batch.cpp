#include "batch.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace fs = std::filesystem;

namespace sopskit::cli {

namespace {

struct Record {
    std::string path;
    std::string action;
    bool ok = true;
    int code = 0;
    std::string error;
};

std::vector<std::string> expand(const std::vector<std::string>& targets) {
    std::vector<std::string> files;
    for (const auto& t : targets) {
        if (!fs::is_directory(t)) {
            files.push_back(t);
            continue;
        }
        std::vector<std::string> found;
        for (auto it = fs::recursive_directory_iterator(t); it != fs::recursive_directory_iterator(); ++it) {
            std::string name = it->path().filename().string();
            if (!name.empty() && name[0] == '.') {
                if (it->is_directory()) it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file() && !it->is_symlink()) found.push_back(it->path().string());
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += c;
    }
    return out + "\"";
}

}  // namespace

bool is_batch(const std::vector<std::string>& targets) {
    return targets.size() > 1 || (targets.size() == 1 && fs::is_directory(targets[0]));
}

int run_batch(const std::vector<std::string>& targets, const FileOperation& op, const BatchOptions& opts) {
    std::vector<std::string> files = expand(targets);
    std::vector<Record> records(files.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::atomic<bool> stop{false};
    std::mutex out_mutex;
    bool progress = !opts.json && ::isatty(2);
    auto work = [&] {
        for (std::size_t i; !stop && (i = next.fetch_add(1)) < files.size();) {
            Record& r = records[i];
            r.path = files[i];
            try {
                FileOutcome outcome = op(files[i]);
                if (outcome.new_contents) write_output(files[i], *outcome.new_contents, Privacy::Shared);
                r.action = outcome.action;
            } catch (const Error& e) {
                r.ok = false;
                r.code = e.exit_code();
                r.error = e.what();
            } catch (const std::exception& e) {
                r.ok = false;
                r.code = 1;
                r.error = e.what();
            }
            if (!r.ok && opts.fail_fast) stop = true;
            std::size_t n = ++done;
            std::lock_guard<std::mutex> lock(out_mutex);
            if (progress) std::cerr << "\r[" << n << "/" << files.size() << "] " << r.path << "\033[K" << std::flush;
        }
    };
    unsigned threads = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads && t < files.size(); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (progress) std::cerr << "\r\033[K";

    int exit_code = 0;
    for (const auto& r : records) {
        if (r.path.empty()) continue;  // not reached after --fail-fast
        if (opts.json) {
            std::cout << "{\"path\":" << json_string(r.path) << ",\"action\":" << json_string(r.ok ? r.action : "failed")
                      << ",\"result\":" << json_string(r.ok ? "ok" : "error");
            if (!r.ok) std::cout << ",\"exit_code\":" << r.code << ",\"error\":" << json_string(r.error);
            std::cout << "}\n";
        } else if (!r.ok) {
            std::cerr << "sopskit: " << escape_control_chars(r.path) << ": " << escape_control_chars(r.error) << "\n";
        }
        if (!r.ok && exit_code == 0) exit_code = r.code ? r.code : 1;
    }
    return exit_code;
}

}  // namespace sopskit::cli
