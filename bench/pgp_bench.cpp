// PGP unwrap: sopskit (GPGME) vs `gpg -d` on the same wrapped data key, and 200 files
// decrypted sequentially vs in parallel with one key ring. Prints key=value lines.
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sopskit/keygen.hpp"
#include "sopskit/pgp_keys.hpp"
#include "sopskit/sops_file.hpp"

using namespace sopskit;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
    const std::string algorithm = argc > 1 ? argv[1] : "rsa4096";
    const int rounds = 50, files = 200;
    GeneratedPgpKey key = generate_pgp_key("bench", algorithm);
    auto home = GnupgHome::create_temporary();
    home->import_keys(key.armored_secret.view());
    KeyRing ring;
    ring.add(make_pgp_key_source(home));

    EncryptRequest req;
    req.key_groups = {{{"pgp", key.fingerprint, {}}}};
    req.rules.encrypted_regex = "^(data|stringData)$";
    std::string file = encrypt_document("kind: Secret\nstringData:\n    password: hunter2\n", req, ring);
    SplitFile split = load_encrypted(Format::Yaml, file);
    std::string enc = split.metadata.find("pgp")->list[0].find("enc")->text;
    std::string enc_path = home->path() + "/enc.asc";
    std::ofstream(enc_path) << enc << "\n";

    decrypt_document(file, Format::Yaml, ring);  // warm the agent
    auto t0 = Clock::now();
    for (int i = 0; i < rounds; ++i) decrypt_document(file, Format::Yaml, ring);
    double ours = ms_since(t0) / rounds;

    std::string gpg = "GNUPGHOME='" + home->path() + "' gpg --batch --quiet -d '" + enc_path + "' >/dev/null 2>&1";
    if (std::system(gpg.c_str()) != 0) std::fprintf(stderr, "gpg -d failed\n");
    t0 = Clock::now();
    for (int i = 0; i < rounds; ++i) std::system(gpg.c_str());
    double theirs = ms_since(t0) / rounds;

    std::vector<std::string> many;
    for (int i = 0; i < files; ++i) many.push_back(encrypt_document("kind: Secret\nstringData:\n    n: \"" + std::to_string(i) + "\"\n", req, ring));
    std::vector<std::string_view> views(many.begin(), many.end());
    t0 = Clock::now();
    auto seq = decrypt_documents(views, Format::Yaml, ring, {}, 1);
    double sequential = ms_since(t0);
    t0 = Clock::now();
    auto par = decrypt_documents(views, Format::Yaml, ring, {}, 0);
    double parallel = ms_since(t0);
    int failures = 0;
    for (const auto* set : {&seq, &par})
        for (const auto& r : *set) failures += r.error.has_value();

    // key=value lines: bench/run puts them in its one table.
    std::printf("pgp_algorithm=%s\npgp_sopskit_file_ms=%.3f\npgp_gpg_d_ms=%.3f\npgp_files=%d\npgp_sequential_ms=%.3f\npgp_parallel_ms=%.3f\n",
                algorithm.c_str(), ours, theirs, files, sequential, parallel);
    if (failures) std::printf("\n%d decryptions FAILED\n", failures);
    std::filesystem::remove(enc_path);
    return failures ? 1 : 0;
}
