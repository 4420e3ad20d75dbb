// create secret git|sops and deploy-key: Flux's git credential Secrets, encrypted in one step.
#include <iostream>

#include "cli_support.hpp"
#include "commands.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/format.hpp"
#include "sopskit/git_secret.hpp"
#include "sopskit/sops_file.hpp"

namespace sopskit::cli {

namespace {

std::string expand_home(const std::string& path) {
    if (path.rfind("~/", 0) == 0)
        if (const char* home = std::getenv("HOME")) return std::string(home) + path.substr(1);
    return path;
}

struct EncryptFlags {
    bool encrypt = false;
    std::string age, pgp, output, config;
};

void add_encrypt_flags(CLI::App& app, EncryptFlags& e) {
    app.add_flag("--encrypt", e.encrypt, "Emit the Secret already SOPS-encrypted on ^(data|stringData)$");
    app.add_option("--age", e.age, "age recipients for --encrypt (default: the .sops.yaml rule)");
    app.add_option("--pgp", e.pgp, "PGP fingerprints for --encrypt (default: the .sops.yaml rule)");
    app.add_option("--config", e.config, "The .sops.yaml to use");
    app.add_option("--output", e.output, "Write to this file (0600 when new) instead of standard output");
}

// Prints or writes the manifest, encrypting it in memory first when asked.
int emit_manifest(std::string manifest, const EncryptFlags& e, const std::string& name) {
    std::string out;
    if (e.encrypt) {
        FileOptions o;
        o.age = e.age;
        o.pgp = e.pgp;
        o.config = e.config;
        o.encrypted_regex = "^(data|stringData)$";
        std::string target = e.output.empty() ? name + ".yaml" : e.output;
        o.file = target;
        KeyRing ring = keyring_for(o);
        out = encrypt_for_path(o, target, manifest, ring);
    } else {
        out = std::move(manifest);
    }
    wipe(manifest);
    if (e.output.empty()) std::cout << out;
    else write_output(e.output, out, Privacy::Plaintext);  // 0600 when new, encrypted or not
    wipe(out);
    return 0;
}

struct GitOptions {
    GitSecretOptions secret;
    std::vector<std::string> labels;
    std::string private_key_file, ca_crt_file;
    bool export_ = false;
    EncryptFlags enc;
};

int run_create_git(GitOptions& g) {
    g.secret.labels = parse_labels(g.labels);
    if (const char* ns = std::getenv("FLUX_SYSTEM_NAMESPACE"); ns && *ns && g.secret.ns == "flux-system") g.secret.ns = ns;
    if (!g.private_key_file.empty()) g.secret.private_key_file_bytes = read_input(expand_home(g.private_key_file));
    if (!g.ca_crt_file.empty()) {
        try {
            g.secret.ca_crt = read_input(expand_home(g.ca_crt_file));
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic, std::string("unable to read TLS CA file: ") + e.what());
        }
    }
    std::string manifest = git_secret_manifest(g.secret);
    // As `flux create secret git` does, show the deploy key (the public key) to paste into the
    // Git host; on stderr, so the manifest on stdout stays clean.
    if (auto pub = identity_pub_of(load_plain(Format::Yaml, manifest))) std::cerr << "deploy key: " << *pub;
    return emit_manifest(std::move(manifest), g.enc, g.secret.name);
}

struct OtherSecretOptions {
    std::string name;
    std::string ns = "flux-system";
    std::vector<std::string> labels;
    std::string username, password, url;
    std::string tls_crt_file, tls_key_file, ca_crt_file;
    bool export_ = false;
    EncryptFlags enc;
};

std::optional<std::string> read_optional(const std::string& path) {
    if (path.empty()) return std::nullopt;
    return read_input(expand_home(path));
}

int run_create_other(OtherSecretOptions& o, const std::string& kind) {
    TlsMaterial tls{read_optional(o.tls_crt_file), read_optional(o.tls_key_file), read_optional(o.ca_crt_file)};
    auto labels = parse_labels(o.labels);
    std::string manifest = kind == "helm" ? helm_secret_manifest(o.name, o.ns, labels, o.username, o.password, tls)
                           : kind == "tls" ? tls_secret_manifest(o.name, o.ns, labels, tls)
                                           : oci_secret_manifest(o.name, o.ns, o.url, o.username, o.password);
    if (tls.key) wipe(*tls.key);
    return emit_manifest(std::move(manifest), o.enc, o.name);
}

void add_other_secret(CLI::App& secret, Runner& runner, const std::string& kind, const std::string& help, OtherSecretOptions& o) {
    CLI::App* c = secret.add_subcommand(kind, help);
    c->add_option("name", o.name, "Name of the Secret");
    c->add_option("-n,--namespace", o.ns, "Namespace")->capture_default_str();
    c->add_option("--label", o.labels, "Labels key=value (repeatable)");
    c->add_flag("--export", o.export_, "Print the manifest (always set)");
    if (kind != "tls") {
        c->add_option("-u,--username", o.username, "User name");
        c->add_option("-p,--password", o.password, "Password");
    }
    if (kind == "oci") c->add_option("--url", o.url, "The registry, e.g. ghcr.io");
    if (kind != "oci") {
        c->add_option("--tls-crt-file", o.tls_crt_file, "TLS client certificate file");
        c->add_option("--tls-key-file", o.tls_key_file, "TLS client key file");
        c->add_option("--ca-crt-file", o.ca_crt_file, "CA certificate file");
    }
    add_encrypt_flags(*c, o.enc);
    c->callback([&runner, &o, kind] { runner = [&o, kind] { return run_create_other(o, kind); }; });
}

struct SopsSecretOptions {
    std::string name;
    std::string ns = "flux-system";
    std::vector<std::string> age_files, pgp_files;
    EncryptFlags enc;
};

int run_create_sops(SopsSecretOptions& s) {
    validate_flux_name(s.name);
    std::vector<std::string> ages, pgps;
    for (const auto& f : s.age_files) ages.push_back(read_input(expand_home(f)));
    for (const auto& f : s.pgp_files) pgps.push_back(read_input(expand_home(f)));
    if (ages.empty() && pgps.empty()) throw Error(ErrorCode::Generic, "give at least one --age-key-file or --pgp-key-file");
    std::string manifest = flux_decryption_secret(s.name, s.ns, ages, pgps);
    for (auto& k : ages) wipe(k);
    for (auto& k : pgps) wipe(k);
    EncryptFlags plain = s.enc;
    plain.encrypt = false;  // a decryption Secret is applied by hand, not through Flux
    return emit_manifest(std::move(manifest), plain, s.name);
}

struct DeployKeyOptions {
    std::string file;
    FileOptions fo;
};

// identity.pub from a git Secret, decrypting in memory when the file is SOPS-encrypted.
int run_deploy_key(DeployKeyOptions& d) {
    d.fo.file = d.file;
    std::string bytes = read_input(d.file);
    Format f = Format::Yaml;
    Branches docs;
    if (has_sops_metadata(load_plain(f, bytes), f)) {
        KeyRing ring = keyring_for(d.fo);
        docs = decrypt_document(bytes, f, ring).branches;
    } else {
        docs = load_plain(f, bytes);
    }
    if (auto pub = identity_pub_of(docs)) {
        std::cout << *pub;
        return 0;
    }
    throw Error(ErrorCode::Generic, d.file + ": no identity.pub in stringData or data");
}

}  // namespace

void add_secret_commands(CLI::App& app, Runner& runner) {
    CLI::App* create = app.add_subcommand("create", "Create Flux secrets (as 'flux create secret ... --export')");
    create->require_subcommand(1);
    CLI::App* secret = create->add_subcommand("secret", "Create a Secret manifest");
    secret->require_subcommand(1);

    static GitOptions git;
    CLI::App* g = secret->add_subcommand("git", "A git credential Secret: SSH key pair + known_hosts, basic auth or token");
    g->add_option("name", git.secret.name, "Name of the Secret");
    g->add_option("--url", git.secret.url, "Git URL: ssh://git@host[:port]/org/repo or http(s)://...");
    g->add_option("-n,--namespace", git.secret.ns, "Namespace")->capture_default_str();
    g->add_option("--label", git.labels, "Labels key=value (repeatable)");
    g->add_flag("--export", git.export_, "Print the manifest (sopskit never talks to a cluster; always set)");
    g->add_option("-u,--username", git.secret.username, "HTTP(S) basic auth user");
    g->add_option("-p,--password", git.secret.password, "HTTP(S) password, or the passphrase of --private-key-file");
    g->add_option("--bearer-token", git.secret.bearer_token, "HTTP(S) bearer token");
    g->add_option("--ssh-key-algorithm", git.secret.ssh_key_algorithm, "rsa, ecdsa or ed25519")->capture_default_str();
    g->add_option("--ssh-rsa-bits", git.secret.ssh_rsa_bits, "RSA key size")->capture_default_str();
    g->add_option("--ssh-ecdsa-curve", git.secret.ssh_ecdsa_curve, "p256, p384 or p521")->capture_default_str();
    g->add_option("--private-key-file", git.private_key_file, "Use this SSH private key instead of generating one");
    g->add_option("--ca-crt-file", git.ca_crt_file, "HTTP(S) CA certificate file");
    add_encrypt_flags(*g, git.enc);
    g->callback([&runner] { runner = [] { return run_create_git(git); }; });

    static OtherSecretOptions helm, tls, oci;
    add_other_secret(*secret, runner, "helm", "A Helm repository Secret: TLS pair, basic auth or CA", helm);
    add_other_secret(*secret, runner, "tls", "A TLS Secret: certificate and key, or a CA", tls);
    add_other_secret(*secret, runner, "oci", "An OCI registry Secret (kubernetes.io/dockerconfigjson)", oci);

    static SopsSecretOptions sops;
    CLI::App* s = secret->add_subcommand("sops", "A Flux decryption Secret from age/PGP key files (<adler32>.agekey / .asc)");
    s->add_option("name", sops.name, "Name of the Secret")->required();
    s->add_option("-n,--namespace", sops.ns, "Namespace")->capture_default_str();
    s->add_option("--age-key-file", sops.age_files, "age identity file (repeatable)");
    s->add_option("--pgp-key-file", sops.pgp_files, "Armored PGP private key file (repeatable)");
    s->add_option("--output", sops.enc.output, "Write to this file instead of standard output");
    s->callback([&runner] { runner = [] { return run_create_sops(sops); }; });

    static DeployKeyOptions deploy;
    CLI::App* d = app.add_subcommand("deploy-key", "Print identity.pub of a git Secret (decrypting in memory if needed)");
    d->add_option("file", deploy.file, "The Secret manifest")->required();
    d->callback([&runner] { runner = [] { return run_deploy_key(deploy); }; });
}

}  // namespace sopskit::cli
