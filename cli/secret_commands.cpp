// create secret git|helm|tls|oci|proxy|githubapp|receiver|notation|sops and deploy-key: Flux's
// `create secret` generators (flags, defaults and messages as flux2's), encrypted in one step.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
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

// os.ReadFile's error as Go words it ("open p: no such file or directory"), for Flux's
// "unable to read ... file: %w" messages.
std::string read_file_go(const std::string& path) {
    auto go_errno = [](int err) {
        std::string text = std::strerror(err);
        if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
        return text;
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCode::Generic, "open " + path + ": " + go_errno(errno));
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            wipe(out);
            throw Error(ErrorCode::Generic, "read " + path + ": " + go_errno(err));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// Reads a file, or fails with "<what>: <Go's error>".
std::string read_for(const std::string& path, const std::string& what) {
    try {
        return read_file_go(expand_home(path));
    } catch (const Error& e) {
        throw Error(ErrorCode::Generic, what + ": " + e.what());
    }
}

// flux's default namespace: flux-system, or FLUX_SYSTEM_NAMESPACE when it is a DNS-1123 label.
std::string default_namespace() {
    const char* env = std::getenv("FLUX_SYSTEM_NAMESPACE");
    if (env && *env && is_dns1123_label(env)) return env;
    return "flux-system";
}

// What flux checks before every `create` subcommand runs (its PersistentPreRunE), and the
// warning it prints for an invalid FLUX_SYSTEM_NAMESPACE.
void check_create_name(const std::string& name) {
    if (const char* env = std::getenv("FLUX_SYSTEM_NAMESPACE"); env && *env && !is_dns1123_label(env))
        std::cerr << "\u26a0\ufe0f  ignoring invalid FLUX_SYSTEM_NAMESPACE: " << go_quote(env) << "\n";
    if (name.empty()) throw Error(ErrorCode::Generic, "name is required");
    validate_flux_name(name);
}

// The name positional, -n/--namespace (default as flux's) and --label of every subcommand.
struct CommonFlags {
    std::string name;
    std::string ns = default_namespace();
    std::vector<std::string> labels;
    bool export_ = false;
};

void add_common_flags(CLI::App& c, CommonFlags& f) {
    c.add_option("name", f.name, "Name of the Secret");
    c.add_option("-n,--namespace", f.ns, "the namespace scope for this operation")->capture_default_str();
    c.add_option("--label", f.labels,
                 "set labels on the resource (can specify multiple labels with commas: label1=value1,label2=value2)");
    c.add_flag("--export", f.export_, "export in YAML format to stdout (sopskit never talks to a cluster: always set)");
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
    CommonFlags common;
    std::string private_key_file, ca_crt_file;
    EncryptFlags enc;
};

int run_create_git(GitOptions& g) {
    check_create_name(g.common.name);
    g.secret.name = g.common.name;
    g.secret.ns = g.common.ns;
    g.secret.labels = parse_labels(g.common.labels);
    if (!g.private_key_file.empty()) g.secret.private_key_file_bytes = read_for(g.private_key_file, "failed to open private key file");
    if (!g.ca_crt_file.empty()) g.secret.ca_crt = read_for(g.ca_crt_file, "unable to read TLS CA file");
    std::string manifest = git_secret_manifest(g.secret);
    // As `flux create secret git` does, show the deploy key (the public key) to paste into the
    // Git host; on stderr, so the manifest on stdout stays clean.
    if (auto pub = identity_pub_of(load_plain(Format::Yaml, manifest))) std::cerr << "deploy key: " << *pub;
    return emit_manifest(std::move(manifest), g.enc, g.secret.name);
}

struct OtherSecretOptions {
    CommonFlags common;
    std::string username, password, url;
    std::string tls_crt_file, tls_key_file, ca_crt_file;
    EncryptFlags enc;
};

std::optional<std::string> read_optional(const std::string& path, const std::string& what) {
    if (path.empty()) return std::nullopt;
    return read_for(path, what);
}

int run_create_other(OtherSecretOptions& o, const std::string& kind) {
    check_create_name(o.common.name);
    const std::string& name = o.common.name;
    std::string manifest;
    if (kind == "oci") {
        // Flux's oci command sets no labels and checks --url before anything else.
        manifest = oci_secret_manifest(name, o.common.ns, o.url, o.username, o.password);
    } else {
        auto labels = parse_labels(o.common.labels);
        TlsMaterial tls;
        tls.ca = read_optional(o.ca_crt_file, "unable to read TLS CA file");
        tls.cert = read_optional(o.tls_crt_file, "failed to read cert file");
        tls.key = read_optional(o.tls_key_file, "failed to read key file");
        manifest = kind == "helm" ? helm_secret_manifest(name, o.common.ns, labels, o.username, o.password, tls)
                                  : tls_secret_manifest(name, o.common.ns, labels, tls);
        if (tls.key) wipe(*tls.key);
    }
    return emit_manifest(std::move(manifest), o.enc, name);
}

void add_other_secret(CLI::App& secret, Runner& runner, const std::string& kind, const std::string& help, OtherSecretOptions& o) {
    CLI::App* c = secret.add_subcommand(kind, help);
    add_common_flags(*c, o.common);
    if (kind != "tls") {
        c->add_option("-u,--username", o.username, "basic authentication username");
        c->add_option("-p,--password", o.password, "basic authentication password");
    }
    if (kind == "oci") c->add_option("--url", o.url, "oci repository address e.g ghcr.io/stefanprodan/charts");
    if (kind != "oci") {
        c->add_option("--tls-crt-file", o.tls_crt_file, "TLS authentication cert file path");
        c->add_option("--tls-key-file", o.tls_key_file, "TLS authentication key file path");
        c->add_option("--ca-crt-file", o.ca_crt_file, "TLS authentication CA file path");
    }
    add_encrypt_flags(*c, o.enc);
    c->callback([&runner, &o, kind] { runner = [&o, kind] { return run_create_other(o, kind); }; });
}

struct ProxyOptions {
    CommonFlags common;
    std::string address, username, password;
    EncryptFlags enc;
};

int run_create_proxy(ProxyOptions& p) {
    check_create_name(p.common.name);
    auto labels = parse_labels(p.common.labels);
    if (p.address.empty()) throw Error(ErrorCode::Generic, "address is required");
    std::string manifest = proxy_secret_manifest(p.common.name, p.common.ns, labels, p.address, p.username, p.password);
    return emit_manifest(std::move(manifest), p.enc, p.common.name);
}

struct GitHubAppFlags {
    CommonFlags common;
    GitHubAppOptions app;
    std::string private_key_file;
    EncryptFlags enc;
};

int run_create_githubapp(GitHubAppFlags& g) {
    check_create_name(g.common.name);
    // Flux reads the key before any other check, and sets no labels on this Secret.
    g.app.private_key = read_for(g.private_key_file, "unable to read private key file");
    std::string manifest = githubapp_secret_manifest(g.common.name, g.common.ns, g.app);
    wipe(g.app.private_key);
    return emit_manifest(std::move(manifest), g.enc, g.common.name);
}

struct ReceiverFlags {
    CommonFlags common;
    ReceiverOptions receiver;
    CLI::Option* type_option = nullptr;
    EncryptFlags enc;
};

int run_create_receiver(ReceiverFlags& r) {
    // pflag checks --type's value while parsing, before the name.
    if (r.type_option && r.type_option->count() > 0) {
        const auto& types = flux_receiver_types();
        std::string why;
        if (r.receiver.type.find_first_not_of(" \t\r\n\v\f") == std::string::npos) {
            why = "no receiver type given, please specify the receiver type";
        } else if (std::find(types.begin(), types.end(), r.receiver.type) == types.end()) {
            std::string all;
            for (const auto& t : types) all += (all.empty() ? "" : ", ") + t;
            why = "receiver type '" + r.receiver.type + "' is not supported, must be one of: " + all;
        }
        if (!why.empty())
            throw Error(ErrorCode::Generic, "invalid argument " + go_quote(r.receiver.type) + " for \"--type\" flag: " + why);
    }
    check_create_name(r.common.name);
    if (r.receiver.type.empty()) throw Error(ErrorCode::Generic, "--type is required");
    if (r.receiver.hostname.empty()) throw Error(ErrorCode::Generic, "--hostname is required");
    if (r.receiver.type == "gcr" && r.receiver.email_claim.empty())
        throw Error(ErrorCode::Generic, "--email-claim is required for gcr receiver type");
    auto labels = parse_labels(r.common.labels);
    std::string manifest = receiver_secret_manifest(r.common.name, r.common.ns, labels, r.receiver);
    return emit_manifest(std::move(manifest), r.enc, r.common.name);
}

struct NotationFlags {
    CommonFlags common;
    std::string trust_policy_file;
    std::vector<std::string> ca_cert_files;
    EncryptFlags enc;
};

// filepath.Base: the last element, trailing slashes ignored.
std::string go_base(std::string path) {
    if (path.empty()) return ".";
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path == "/") return "/";
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

int run_create_notation(NotationFlags& n) {
    check_create_name(n.common.name);
    std::vector<std::string> ca_files;
    for (const auto& v : n.ca_cert_files)
        for (auto& f : split_flag_list(v, "--ca-cert-file")) ca_files.push_back(std::move(f));
    if (ca_files.empty()) throw Error(ErrorCode::Generic, "--ca-cert-file is required");
    if (n.trust_policy_file.empty()) throw Error(ErrorCode::Generic, "--trust-policy-file is required");
    auto labels = parse_labels(n.common.labels);
    std::string policy = read_for(n.trust_policy_file, "unable to read trust policy file");
    validate_notation_trust_policy(policy, n.trust_policy_file);
    std::vector<std::pair<std::string, std::string>> certs;
    std::string errors;  // errors.Join: every file's problem, one per line
    for (const auto& file : ca_files) {
        std::string base = go_base(file);
        auto ends_with = [&](const char* suffix) {
            std::string_view sv(base), sx(suffix);
            return sv.size() >= sx.size() && sv.substr(sv.size() - sx.size()) == sx;
        };
        try {
            if (!ends_with(".crt") && !ends_with(".pem")) throw Error(ErrorCode::Generic, base + " must end with either .crt or .pem");
            certs.emplace_back(base, read_for(file, "unable to read TLS CA file"));
        } catch (const Error& e) {
            errors += (errors.empty() ? "" : "\n") + std::string(e.what());
        }
    }
    if (!errors.empty()) throw Error(ErrorCode::Generic, errors);
    if (certs.empty()) throw Error(ErrorCode::Generic, "no CA certs found");
    std::string manifest = notation_secret_manifest(n.common.name, n.common.ns, labels, certs, policy);
    return emit_manifest(std::move(manifest), n.enc, n.common.name);
}

struct SopsSecretOptions {
    CommonFlags common;
    std::vector<std::string> age_files, pgp_files;
    EncryptFlags enc;
};

int run_create_sops(SopsSecretOptions& s) {
    check_create_name(s.common.name);
    std::vector<std::string> ages, pgps;
    for (const auto& f : s.age_files) ages.push_back(read_input(expand_home(f)));
    for (const auto& f : s.pgp_files) pgps.push_back(read_input(expand_home(f)));
    std::string manifest = flux_decryption_secret(s.common.name, s.common.ns, ages, pgps);
    for (auto& k : ages) wipe(k);
    for (auto& k : pgps) wipe(k);
    EncryptFlags plain = s.enc;
    plain.encrypt = false;  // a decryption Secret is applied by hand, not through Flux
    return emit_manifest(std::move(manifest), plain, s.common.name);
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
    add_common_flags(*g, git.common);
    g->add_option("--url", git.secret.url, "git address, e.g. ssh://git@host/org/repository");
    g->add_option("-u,--username", git.secret.username, "basic authentication username");
    g->add_option("-p,--password", git.secret.password, "basic authentication password");
    g->add_option("--bearer-token", git.secret.bearer_token, "bearer authentication token");
    g->add_option("--ssh-key-algorithm", git.secret.ssh_key_algorithm, "SSH public key algorithm")->capture_default_str();
    g->add_option("--ssh-rsa-bits", git.secret.ssh_rsa_bits, "SSH RSA public key bit size (multiplies of 8, min 1024)")->capture_default_str();
    g->add_option("--ssh-ecdsa-curve", git.secret.ssh_ecdsa_curve, "SSH ECDSA public key curve")->capture_default_str();
    g->add_option("--private-key-file", git.private_key_file, "path to a passwordless private key file used for authenticating to the Git SSH server");
    g->add_option("--ca-crt-file", git.ca_crt_file, "path to TLS CA certificate file used for validating self-signed certificates");
    add_encrypt_flags(*g, git.enc);
    g->callback([&runner] { runner = [] { return run_create_git(git); }; });

    static OtherSecretOptions helm, tls, oci;
    add_other_secret(*secret, runner, "helm", "Create or update a Kubernetes secret for Helm repository authentication", helm);
    add_other_secret(*secret, runner, "tls", "Create or update a Kubernetes secret with TLS certificates", tls);
    add_other_secret(*secret, runner, "oci", "Create or update a Kubernetes image pull secret", oci);

    static ProxyOptions proxy;
    CLI::App* p = secret->add_subcommand("proxy", "Create or update a Kubernetes secret for proxy authentication");
    add_common_flags(*p, proxy.common);
    p->add_option("--address", proxy.address, "proxy address");
    p->add_option("-u,--username", proxy.username, "basic authentication username");
    p->add_option("-p,--password", proxy.password, "basic authentication password");
    add_encrypt_flags(*p, proxy.enc);
    p->callback([&runner] { runner = [] { return run_create_proxy(proxy); }; });

    static GitHubAppFlags githubapp;
    CLI::App* ga = secret->add_subcommand("githubapp", "Create or update a github app secret");
    add_common_flags(*ga, githubapp.common);
    ga->add_option("--app-id", githubapp.app.app_id, "github app ID");
    ga->add_option("--app-installation-owner", githubapp.app.installation_owner, "github app installation owner (user or organization)");
    ga->add_option("--app-installation-id", githubapp.app.installation_id, "github app installation ID");
    ga->add_option("--app-private-key", githubapp.private_key_file, "github app private key file path");
    ga->add_option("--app-base-url", githubapp.app.base_url, "github app base URL");
    add_encrypt_flags(*ga, githubapp.enc);
    ga->callback([&runner] { runner = [] { return run_create_githubapp(githubapp); }; });

    static ReceiverFlags receiver;
    CLI::App* r = secret->add_subcommand("receiver", "Create or update a Kubernetes secret for a Receiver webhook");
    add_common_flags(*r, receiver.common);
    std::string types;
    for (const auto& t : flux_receiver_types()) types += (types.empty() ? "" : "|") + t;
    receiver.type_option = r->add_option("--type", receiver.receiver.type, "the receiver type (" + types + ")");
    r->add_option("--token", receiver.receiver.token, "webhook token used for payload validation and URL computation, auto-generated if not specified");
    r->add_option("--hostname", receiver.receiver.hostname, "hostname for the webhook URL e.g. flux.example.com");
    r->add_option("--email-claim", receiver.receiver.email_claim, "IAM service account email, required for gcr type");
    r->add_option("--audience-claim", receiver.receiver.audience_claim, "custom OIDC token audience for gcr type, defaults to the webhook URL");
    add_encrypt_flags(*r, receiver.enc);
    r->callback([&runner] { runner = [] { return run_create_receiver(receiver); }; });

    static NotationFlags notation;
    CLI::App* nt = secret->add_subcommand("notation", "Create or update a Kubernetes secret for verifications of artifacts signed by Notation");
    add_common_flags(*nt, notation.common);
    nt->add_option("--trust-policy-file", notation.trust_policy_file, "notation trust policy file path");
    nt->add_option("--ca-cert-file", notation.ca_cert_files, "root ca cert file path");
    add_encrypt_flags(*nt, notation.enc);
    nt->callback([&runner] { runner = [] { return run_create_notation(notation); }; });

    static SopsSecretOptions sops;
    CLI::App* s = secret->add_subcommand("sops", "A Flux decryption Secret from age/PGP key files (<adler32>.agekey / .asc)");
    s->add_option("name", sops.common.name, "Name of the Secret");
    s->add_option("-n,--namespace", sops.common.ns, "the namespace scope for this operation")->capture_default_str();
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
