// sopskit keygen pgp|age: a cluster key in one step, with the Flux decryption Secret.
#include <iostream>

#include "commands.hpp"
#include "sopskit/age.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/keygen.hpp"

namespace sopskit::cli {

namespace {

struct KeygenOptions {
    std::string name = "cluster0";
    std::string algorithm = "rsa4096";
    std::string secret_name;
    std::string ns = "flux-system";
    std::string key_name;
    std::string output;
    bool no_import = false;
    bool post_quantum = false;  // age: an ML-KEM-768 + X25519 hybrid key (age-keygen -pq)
};

void write_private(const KeygenOptions& o, std::string_view key_text) {
    if (!o.output.empty()) write_output(o.output, key_text, Privacy::PrivateKey);  // ends 0600, also over an existing file
}

void print_secret(const KeygenOptions& o, const std::string& entry, std::string_view key_text) {
    if (o.secret_name.empty()) return;
    std::string manifest = secret_manifest(o.secret_name, o.ns, {{entry, key_text}});
    std::cout << manifest;
    wipe(manifest);
}

int run_pgp(const KeygenOptions& o) {
    GeneratedPgpKey key = generate_pgp_key(o.name, o.algorithm);
    if (!o.no_import) import_public_key_to_user_keyring(key.armored_public);
    write_private(o, key.armored_secret.view());
    std::cerr << "fingerprint: " << key.fingerprint << "\n";
    if (o.secret_name.empty() && o.output.empty()) std::cout << key.fingerprint << "\n";
    print_secret(o, (o.key_name.empty() ? "sops" : o.key_name) + ".asc", key.armored_secret.view());
    return 0;
}

template <class Identity>
int write_age_identity(const KeygenOptions& o, const Identity& id) {
    std::string keys = age_keys_file(id.encode(), id.recipient());
    write_private(o, keys);
    std::cerr << "public key: " << id.recipient() << "\n";
    if (o.secret_name.empty() && o.output.empty()) std::cout << id.recipient() << "\n";
    print_secret(o, (o.key_name.empty() ? "age" : o.key_name) + ".agekey", keys);
    wipe(keys);
    return 0;
}

int run_age(const KeygenOptions& o) {
    if (o.post_quantum) return write_age_identity(o, age::HybridIdentity::generate());
    return write_age_identity(o, age::X25519Identity::generate());
}

void common_options(CLI::App& app, KeygenOptions& o) {
    app.add_option("--decryption-secret", o.secret_name, "Print a Flux decryption Secret with this name holding the private key");
    app.add_option("-n,--namespace", o.ns, "Namespace of the decryption Secret")->capture_default_str();
    app.add_option("--key-name", o.key_name, "Entry name in the Secret, without extension (default: sops for PGP, age for age)");
    app.add_option("--output", o.output, "Also write the private key to this file (0600)");
}

}  // namespace

void add_keygen_command(CLI::App& app, Runner& runner) {
    static KeygenOptions pgp_opts, age_opts;
    CLI::App* keygen = app.add_subcommand("keygen", "Generate a key pair for a cluster (PGP or age)");
    keygen->require_subcommand(1);
    CLI::App* pgp = keygen->add_subcommand("pgp", "Generate a passphrase-less PGP key; its public half goes into your keyring");
    pgp->add_option("--name", pgp_opts.name, "User ID of the key, e.g. the cluster's name")->capture_default_str();
    pgp->add_option("--algorithm", pgp_opts.algorithm, "rsa4096 (as Flux's guide), rsa3072, rsa2048 or ed25519")->capture_default_str();
    pgp->add_flag("--no-import", pgp_opts.no_import, "Do not import the public key into your keyring");
    common_options(*pgp, pgp_opts);
    pgp->callback([&runner] { runner = [] { return run_pgp(pgp_opts); }; });
    CLI::App* agecmd = keygen->add_subcommand("age", "Generate an age identity; prints its recipient");
    common_options(*agecmd, age_opts);
    agecmd->add_flag("--pq", age_opts.post_quantum, "A post-quantum hybrid (ML-KEM-768 + X25519) key: age1pq1... / AGE-SECRET-KEY-PQ-1...");
    // age-keygen spells it -pq (Go's single-dash flags), which CLI11 cannot name: take it as an extra.
    agecmd->allow_extras();
    agecmd->callback([&runner, agecmd] {
        for (const auto& extra : agecmd->remaining()) {
            if (extra != "-pq") throw CLI::ExtrasError({extra});
            age_opts.post_quantum = true;
        }
        runner = [] { return run_age(age_opts); };
    });
}

}  // namespace sopskit::cli
