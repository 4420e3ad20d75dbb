// Decrypting many independent files on all cores.
#include <algorithm>
#include <atomic>
#include <thread>

#include "sopskit/sops_file.hpp"

namespace sopskit {

std::vector<BatchResult> decrypt_documents(const std::vector<std::string_view>& files, Format format,
                                           const KeyRing& ring, const DecryptOptions& opts, unsigned threads) {
    std::vector<BatchResult> results(files.size());
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(files.size(), 1)));
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < files.size();) {
            try {
                results[i].file = decrypt_document(files[i], format, ring, opts);
            } catch (const Error& e) {
                results[i].error = e;
            } catch (const std::exception& e) {
                results[i].error = Error(ErrorCode::Generic, e.what());
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    return results;
}

}  // namespace sopskit
