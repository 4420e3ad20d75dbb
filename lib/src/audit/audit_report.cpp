// The audit's reports: a line per finding for people, JSON and SARIF 2.1.0 for machines.
#include <set>

#include <nlohmann/json.hpp>

#include "sopskit/audit.hpp"
#include "sopskit/version.hpp"

namespace sopskit {

namespace {

std::string_view severity_name(AuditSeverity s) { return s == AuditSeverity::Error ? "error" : "warning"; }

std::string location(const AuditFinding& f) {
    std::string out = f.file;
    if (f.document > 0) out += ":" + std::to_string(f.document);
    return out;
}

}  // namespace

std::string audit_report_text(const std::vector<AuditFinding>& findings) {
    std::string out;
    for (const auto& f : findings) {
        out += location(f) + ": ";
        if (!f.path.empty()) out += f.path + ": ";
        out += std::string(severity_name(f.severity)) + ": " + std::string(audit_rule_summary(f.rule)) + ": " + f.what;
        out += " \u2014 fix: " + f.fix + "\n";
    }
    return out;
}

std::string audit_report_json(const std::vector<AuditFinding>& findings, const std::vector<std::string>& unreadable) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& f : findings) {
        nlohmann::ordered_json j;
        j["file"] = f.file;
        if (f.document > 0) j["document"] = f.document;
        j["path"] = f.path;
        j["rule"] = audit_rule_id(f.rule);
        j["severity"] = severity_name(f.severity);
        j["message"] = std::string(audit_rule_summary(f.rule)) + ": " + f.what;
        j["fix"] = f.fix;
        list.push_back(std::move(j));
    }
    nlohmann::ordered_json doc;
    doc["findings"] = std::move(list);
    doc["unreadable"] = unreadable;
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string audit_report_sarif(const std::vector<AuditFinding>& findings) {
    std::set<AuditRule> used;
    for (const auto& f : findings) used.insert(f.rule);
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (AuditRule r : used)
        rules.push_back({{"id", audit_rule_id(r)}, {"shortDescription", {{"text", audit_rule_summary(r)}}}});
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (const auto& f : findings) {
        std::string text = std::string(audit_rule_summary(f.rule)) + ": " + f.what;
        if (!f.path.empty()) text = f.path + ": " + text;
        if (f.document > 0) text = "document " + std::to_string(f.document) + ": " + text;
        text += ". Fix: " + f.fix;
        results.push_back({{"ruleId", audit_rule_id(f.rule)},
                           {"level", severity_name(f.severity)},
                           {"message", {{"text", text}}},
                           {"locations",
                            {{{"physicalLocation", {{"artifactLocation", {{"uri", f.file}, {"uriBaseId", "%SRCROOT%"}}}}}}}}});
    }
    nlohmann::ordered_json driver = {{"name", "sopskit"},
                                     {"version", kVersion},
                                     {"rules", rules}};
    nlohmann::ordered_json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                                    {"version", "2.1.0"},
                                    {"runs", {{{"tool", {{"driver", driver}}}, {"results", results}}}}};
    return sarif.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sopskit
