// sopskit audit: plaintext Secret data and stale SOPS settings in a repository (and, with
// --staged, in what a commit is about to record: the pre-commit guard).
#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "keyring_setup.hpp"
#include "sopskit/audit.hpp"
#include "sopskit/error.hpp"

namespace sopskit::cli {

namespace {

struct AuditCommandOptions {
    std::vector<std::string> paths;
    bool staged = false, no_git = false, no_mac = false, json = false, sarif = false, quiet = false;
};

// Exit codes (docs/audit.md): 0 clean, 1 findings, 2 something could not be read.
constexpr int kClean = 0, kFindings = 1, kUnreadable = 2;

int run_audit(const AuditCommandOptions& o) {
    if (o.json && o.sarif) throw Error(ErrorCode::ConflictingParameters, "--json and --sarif cannot be used together");
    if (o.staged && o.no_git) throw Error(ErrorCode::ConflictingParameters, "--staged and --no-git cannot be used together");
    AuditCollectOptions collect;
    collect.source = o.staged ? AuditSource::Staged : o.no_git ? AuditSource::Folder : AuditSource::Auto;
    collect.paths = o.paths;
    // Progress on a terminal only, for large repositories.
    if (!o.quiet && isatty(STDERR_FILENO))
        collect.progress = [](std::size_t done, std::size_t total) {
            if (total < 2000) return;
            std::cerr << "\rsopskit audit: read " << done << "/" << total << " files" << (done == total ? "\n" : "") << std::flush;
        };
    AuditCollection files;
    try {
        files = collect_audit_files(collect);
    } catch (const std::exception& e) {
        std::cerr << "sopskit audit: " << e.what() << "\n";
        return kUnreadable;
    }
    KeyRing ring = make_user_keyring();
    AuditOptions options;
    options.root = files.root;
    options.ring = &ring;
    options.verify_mac = !o.no_mac;
    std::vector<AuditFinding> findings = audit_files(files.files, options);
    if (o.json) std::cout << audit_report_json(findings, files.unreadable);
    else if (o.sarif) std::cout << audit_report_sarif(findings);
    else std::cout << audit_report_text(findings);
    for (const auto& u : files.unreadable) std::cerr << "sopskit audit: cannot read " << u << "\n";
    if (!o.quiet && !o.json && !o.sarif)
        std::cerr << "sopskit audit: " << files.files.size() << " files, " << findings.size() << " finding"
                  << (findings.size() == 1 ? "" : "s") << (o.staged ? " in the staged content" : "") << "\n";
    if (!files.unreadable.empty()) return kUnreadable;
    return findings.empty() ? kClean : kFindings;
}

}  // namespace

void add_audit_command(CLI::App& app, Runner& runner) {
    static AuditCommandOptions opts;
    CLI::App* c = app.add_subcommand(
        "audit", "Find plaintext Secret data, partly encrypted or stale SOPS files and committed age identities in a repository");
    c->add_option("path", opts.paths, "Files or folders to audit (default: the whole repository or folder)");
    c->add_flag("--staged", opts.staged, "Audit what the git index holds (what `git commit` would record): the pre-commit check");
    c->add_flag("--no-git", opts.no_git, "Walk the folders instead of asking git for its tracked files");
    c->add_flag("--no-verify-mac", opts.no_mac, "Do not decrypt age-only SOPS files to check their MAC");
    c->add_flag("--json", opts.json, "Print the findings as JSON");
    c->add_flag("--sarif", opts.sarif, "Print the findings as SARIF 2.1.0 (for code-scanning tools)");
    c->add_flag("-q,--quiet", opts.quiet, "No summary or progress on stderr");
    c->callback([&runner] { runner = [] { return run_audit(opts); }; });
}

}  // namespace sopskit::cli
