// The controller's reconcile: N encrypted Secrets in one stream, cold (age: median of three
// runs), cold (PGP), and warm with the data-key cache (median of five). Prints key=value lines (milliseconds) for bench/run.
//   sopskit_bench_decryptor [AGE_DOCS [PGP_DOCS]]
// Or writes a manifest stream for the CLI (bench/stream.sh) and the decryption Secret that opens it:
//   sopskit_bench_decryptor stream OUT.yaml KEYS.yaml DOCS
// (1,000 distinct encryptions, renamed copies after that: without a cache, decrypt-manifests
// unwraps every document's data key all the same).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/keygen.hpp"
#include "sopskit/pgp_keys.hpp"
#include "sopskit/sops_file.hpp"

using namespace sopskit;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// The median of `runs` timings of `work`: one run of a few milliseconds moved up to 30%
// between bench runs on a shared 2-core VM, the median far less.
template <class Work>
double median_ms(int runs, Work&& work) {
    std::vector<double> times;
    for (int run = 0; run < runs; ++run) {
        auto start = Clock::now();
        work();
        times.push_back(ms_since(start));
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

std::string secret(int i) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s" + std::to_string(i) +
           "\n  namespace: apps\nstringData:\n  username: user" + std::to_string(i) + "\n  password: p4ss-" + std::to_string(i) + "\n";
}

std::string stream_of(int n, KeyRing& writer, const Recipient& r) {
    EncryptRequest req;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{r}};
    std::string s;
    for (int i = 0; i < n; ++i) s += encrypt_document(secret(i), req, writer) + "---\n";
    return s;
}

void row(const char* key, double ms) { std::printf("%s=%.3f\n", key, ms); }

int write_stream(const char* out_path, const char* keys_path, long docs) {
    auto id = age::X25519Identity::generate();
    age::IdentitySet ids;
    ids.add(id.clone());
    KeyRing writer;
    writer.add(make_age_key_source(ids.clone()));
    EncryptRequest req;
    req.rules.encrypted_regex = "^(data|stringData)$";
    req.key_groups = {{{"age", id.recipient(), {}}}};
    const long distinct = std::min(docs, 1000L);
    std::vector<std::pair<std::string, std::string>> halves;  // around the number in "name: s<i>"
    for (long i = 0; i < distinct; ++i) {
        std::string doc = encrypt_document(secret(static_cast<int>(i)), req, writer);
        std::string name = "  name: s" + std::to_string(i) + "\n";
        std::size_t at = doc.find(name);
        halves.emplace_back(doc.substr(0, at + 9), doc.substr(at + name.size() - 1));
    }
    FILE* out = std::fopen(out_path, "w");
    if (!out) return 1;
    long bytes = 0;
    for (long i = 0; i < docs; ++i) {
        const auto& [head, tail] = halves[static_cast<std::size_t>(i % distinct)];
        std::string doc = head + std::to_string(i) + tail + "---\n";
        std::fwrite(doc.data(), 1, doc.size(), out);
        bytes += static_cast<long>(doc.size());
    }
    std::fclose(out);
    FILE* keys = std::fopen(keys_path, "w");
    if (!keys) return 1;
    std::fprintf(keys, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-age\n  namespace: flux-system\nstringData:\n  age.agekey: %s\n",
                 id.encode().c_str());
    std::fclose(keys);
    std::printf("stream_docs=%ld\nstream_bytes=%ld\n", docs, bytes);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "stream") == 0) return write_stream(argv[2], argv[3], std::atol(argv[4]));
    int n_age = argc > 1 ? std::atoi(argv[1]) : 1000;
    int n_pgp = argc > 2 ? std::atoi(argv[2]) : 200;
    std::printf("age_docs=%d\npgp_docs=%d\n", n_age, n_pgp);

    auto id = age::X25519Identity::generate();
    age::IdentitySet ids;
    ids.add(id.clone());
    KeyRing age_writer;
    age_writer.add(make_age_key_source(ids.clone()));
    std::string age_stream = stream_of(n_age, age_writer, {"age", id.recipient(), {}});
    auto age_keys = DecryptionKeys::from_entries({{"age.agekey", id.encode() + "\n"}}, "flux-system/sops-age");
    // Cold: each run a fresh decryptor with no cache.
    row("age_cold_ms", median_ms(3, [&] { Decryptor(age_keys).decrypt_manifests(age_stream); }));
    DataKeyCache cache(100000);
    Decryptor warm(age_keys, DecryptorOptions{false, &cache, 0});
    warm.decrypt_manifests(age_stream);
    row("age_warm_ms", median_ms(5, [&] { warm.decrypt_manifests(age_stream); }));

    // The same stream size with a post-quantum hybrid key (mlkem768x25519), cold.
    auto pq = age::HybridIdentity::generate();
    age::IdentitySet pq_ids;
    pq_ids.add(pq.clone());
    KeyRing pq_writer;
    pq_writer.add(make_age_key_source(pq_ids.clone()));
    std::string pq_stream = stream_of(n_age, pq_writer, {"age", pq.recipient(), {}});
    auto pq_keys = DecryptionKeys::from_entries({{"age-pq.agekey", pq.encode() + "\n"}}, "flux-system/sops-age");
    auto t0 = Clock::now();
    Decryptor(pq_keys).decrypt_manifests(pq_stream);
    row("age_pq_cold_ms", ms_since(t0));

    GeneratedPgpKey pgp = generate_pgp_key("bench", "rsa4096");
    auto home = GnupgHome::create_temporary();
    home->import_keys(pgp.armored_secret.view());
    KeyRing pgp_writer;
    pgp_writer.add(make_pgp_key_source(home));
    std::string pgp_stream = stream_of(n_pgp, pgp_writer, {"pgp", pgp.fingerprint, {}});
    auto pgp_keys = DecryptionKeys::from_entries({{"sops.asc", std::string(pgp.armored_secret.view())}}, "flux-system/sops-gpg");
    t0 = Clock::now();
    Decryptor(pgp_keys).decrypt_manifests(pgp_stream);
    double cold = ms_since(t0);
    row("pgp_cold_ms", cold);
    DataKeyCache pcache(100000);
    Decryptor pwarm(pgp_keys, DecryptorOptions{false, &pcache, 0});
    pwarm.decrypt_manifests(pgp_stream);
    row("pgp_warm_ms", median_ms(5, [&] { pwarm.decrypt_manifests(pgp_stream); }));
    return 0;
}
