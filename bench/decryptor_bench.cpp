// The controller's reconcile: N encrypted Secrets in one stream, cold (age), cold (PGP), and
// warm with the data-key cache. Prints key=value lines (milliseconds) for bench/run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
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
    auto t0 = Clock::now();
    Decryptor(age_keys).decrypt_manifests(age_stream);
    row("age_cold_ms", ms_since(t0));
    DataKeyCache cache(100000);
    Decryptor warm(age_keys, DecryptorOptions{false, &cache, 0});
    warm.decrypt_manifests(age_stream);
    t0 = Clock::now();
    warm.decrypt_manifests(age_stream);
    row("age_warm_ms", ms_since(t0));

    // The same stream size with a post-quantum hybrid key (mlkem768x25519), cold.
    auto pq = age::HybridIdentity::generate();
    age::IdentitySet pq_ids;
    pq_ids.add(pq.clone());
    KeyRing pq_writer;
    pq_writer.add(make_age_key_source(pq_ids.clone()));
    std::string pq_stream = stream_of(n_age, pq_writer, {"age", pq.recipient(), {}});
    auto pq_keys = DecryptionKeys::from_entries({{"age-pq.agekey", pq.encode() + "\n"}}, "flux-system/sops-age");
    t0 = Clock::now();
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
    t0 = Clock::now();
    pwarm.decrypt_manifests(pgp_stream);
    double hot = ms_since(t0);
    row("pgp_warm_ms", hot);
    return 0;
}
