// Load on a key service: N client threads unwrapping an age data key through --keyservice for
// a fixed time, then throughput and latency percentiles, beside the in-process unwrap of the
// same entry. With two URIs and --kill-first-after S, the first server is killed mid-run (its
// pid from $KILL_PID) and the clients must fail over to the second without errors.
// Usage: sopskit_bench_keyservice URI[,URI2] AGE-KEY-FILE [threads=64] [seconds=30] [kill-after-s=0]
// Prints key=value lines.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/keyservice.hpp"

using namespace sopskit;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
    return v[i];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " URI[,URI2] AGE-KEY-FILE [threads] [seconds] [kill-first-after-s]\n";
        return 2;
    }
    std::vector<std::string> uris;
    for (std::stringstream ss(argv[1]); ss.good();) {
        std::string u;
        std::getline(ss, u, ',');
        if (!u.empty()) uris.push_back(u);
    }
    std::ifstream key_in(argv[2]);
    std::string line, identity;
    while (std::getline(key_in, line))
        if (line.rfind("AGE-SECRET-KEY-", 0) == 0) identity = line;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 64;
    const int seconds = argc > 4 ? std::atoi(argv[4]) : 30;
    const int kill_after = argc > 5 ? std::atoi(argv[5]) : 0;

    auto id = age::X25519Identity::parse(identity);
    SecureBytes data_key = SecureBytes::random(32);
    StoredKey stored{"age", Value::empty_map()};
    stored.set_field("recipient", Value::string(id.recipient()));
    stored.set_field("enc", Value::string(age::encrypt(data_key.view(), {id.recipient()}, true)));

    // The local unwrap: the same entry with the identity in process.
    age::IdentitySet ids;
    ids.add(id.clone());
    KeyRing local;
    local.add(make_age_key_source(std::move(ids)));
    const int local_runs = 2000;
    auto t0 = Clock::now();
    for (int i = 0; i < local_runs; ++i)
        if (local.find("age")->unwrap(stored).status != UnwrapOutcome::Status::Ok) return 1;
    const double local_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / local_runs;

    KeyRing ring;
    ring.add(make_age_key_source(age::IdentitySet{}));
    KeyServiceClientOptions o;
    o.local = false;
    o.uris = uris;
    o.timeout = std::chrono::seconds(5);
    use_key_services(ring, o);
    KeySource* remote = ring.find("age");
    if (remote->unwrap(stored).status != UnwrapOutcome::Status::Ok) {
        std::cerr << "warm-up unwrap through " << argv[1] << " failed: " << remote->unwrap(stored).reason << "\n";
        return 1;
    }

    std::atomic<bool> stop{false};
    std::atomic<long> errors{0};
    std::mutex mu;
    std::vector<double> latencies_ms;
    std::string first_error;
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            std::vector<double> mine;
            while (!stop) {
                auto a = Clock::now();
                UnwrapOutcome out = remote->unwrap(stored);
                double ms = std::chrono::duration<double, std::milli>(Clock::now() - a).count();
                if (out.status != UnwrapOutcome::Status::Ok || !out.data_key.equals(data_key)) {
                    if (errors++ == 0) {
                        std::lock_guard lock(mu);
                        first_error = out.reason;
                    }
                    continue;
                }
                mine.push_back(ms);
            }
            std::lock_guard lock(mu);
            latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
        });
    if (kill_after > 0) {
        std::this_thread::sleep_for(std::chrono::seconds(kill_after));
        if (const char* pid = std::getenv("KILL_PID")) kill(std::atoi(pid), SIGKILL);
        std::this_thread::sleep_for(std::chrono::seconds(seconds - kill_after));
    } else {
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
    }
    stop = true;
    for (auto& t : pool) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

    std::printf("keyservice_clients=%d\nkeyservice_seconds=%.1f\nkeyservice_unwraps=%zu\nkeyservice_errors=%ld\n", threads, elapsed,
                latencies_ms.size(), errors.load());
    std::printf("keyservice_unwraps_per_s=%.0f\n", static_cast<double>(latencies_ms.size()) / elapsed);
    std::printf("keyservice_p50_ms=%.2f\nkeyservice_p99_ms=%.2f\n", percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99));
    std::printf("local_age_unwrap_us=%.1f\n", local_us);
    if (errors) std::printf("first_error=%s\n", first_error.substr(0, 200).c_str());
    return 0;
}
