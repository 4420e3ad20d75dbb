// sopskit audit's checks over a hostile repository: the input is split at "\n====\n" into
// files with fixed names (a kustomization, manifests, a .sops.yaml, a dotenv, a text file), so
// the Secret, SOPS-metadata, creation-rule and secretGenerator checks all see fuzzed text; and
// the `git ls-files -z` splitter sees the whole input.
#include <string_view>

#include "fuzz_support.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/audit.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const char* const names[] = {"kustomization.yaml", "a.yaml", "b.json", ".sops.yaml", "c.env", "creds/d.txt"};
    static const KeyRing ring = [] {
        KeyRing r;
        r.add(make_age_key_source(age::IdentitySet{}));
        return r;
    }();
    std::string_view input(reinterpret_cast<const char*>(data), size);
    parse_git_ls_files_z(input);
    std::vector<AuditFile> files;
    for (const char* name : names) {
        std::size_t end = input.find("\n====\n");
        files.push_back({name, std::string(input.substr(0, end))});
        if (end == std::string_view::npos) break;
        input.remove_prefix(end + 6);
    }
    AuditOptions options;
    options.root = "/nonexistent-fuzz-root";
    options.ring = &ring;
    auto findings = audit_files(files, options);
    audit_report_text(findings);
    audit_report_json(findings, {});
    audit_report_sarif(findings);
    return 0;
}
