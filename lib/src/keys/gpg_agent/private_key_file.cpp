#include "keys/gpg_agent/private_key_file.hpp"

#include <string>

#include "keys/gpg_agent/canonical_sexp.hpp"

namespace sopskit::detail::gpg_agent {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool name_is(std::string_view name, std::string_view expected) {
    if (name.size() != expected.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char a = name[i], b = expected[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

bool valid_name(std::string_view name) {
    if (name.empty() || !((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z'))) return false;
    for (char c : name)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

// The Key value of a "Name: value" file: its first line's rest and every continuation line
// (one starting with a blank) after it, as one span; the S-expression reader takes the line
// breaks and indentation for whitespace. nullopt without exactly one Key, with a Confirm
// entry (the agent asks the user before each use), or with a line of no name.
std::optional<std::string_view> key_value(std::string_view file) {
    std::optional<std::string_view> key;
    bool in_key = false;
    bool in_entry = false;
    std::size_t at = 0;
    while (at < file.size()) {
        std::size_t end = file.find('\n', at);
        if (end == std::string_view::npos) end = file.size();
        std::string_view line = file.substr(at, end - at);
        std::size_t next = end < file.size() ? end + 1 : end;
        if (!line.empty() && is_blank(line[0])) {  // a continuation
            if (!in_entry) return std::nullopt;
            if (in_key) key = file.substr(key->data() - file.data(), end - static_cast<std::size_t>(key->data() - file.data()));
        } else if (line.empty() || line == "\r" || line[0] == '#') {  // a blank line or comment ends an entry
            in_key = in_entry = false;
        } else {
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || !valid_name(line.substr(0, colon))) return std::nullopt;
            std::string_view name = line.substr(0, colon);
            if (name_is(name, "Confirm")) return std::nullopt;
            in_entry = true;
            in_key = name_is(name, "Key");
            if (in_key) {
                if (key) return std::nullopt;  // two keys: not a file the agent wrote
                key = line.substr(colon + 1);
            }
        }
        at = next;
    }
    return key;
}

const SexpNode* find_list(const SexpNode& list, std::string_view name) {
    for (const SexpNode& item : list.items)
        if (item.is_list && !item.items.empty() && !item.items[0].is_list && item.items[0].atom == name) return &item;
    return nullptr;
}

// The atom of the element (name atom) in `list`, copied into locked memory; false when
// missing, empty or not a single atom.
bool take(const SexpNode& list, std::string_view name, SecureBytes* out) {
    const SexpNode* element = find_list(list, name);
    if (!element || element->items.size() != 2 || element->items[1].is_list || element->items[1].atom.empty()) return false;
    std::string_view v = element->items[1].atom;
    *out = SecureBytes(reinterpret_cast<const std::uint8_t*>(v.data()), v.size());
    return true;
}

std::optional<UnprotectedKey> key_from_sexp(std::string_view expression) {
    std::size_t consumed = 0;
    std::optional<CanonicalSexp> canonical = canonical_from_advanced(expression, &consumed, SexpLimits{6, 48});
    if (!canonical) return std::nullopt;
    for (char c : expression.substr(consumed))  // only whitespace after the list
        if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0')) return std::nullopt;
    std::size_t used = 0;
    std::optional<SexpNode> root = parse_canonical_sexp(canonical->view(), &used, SexpLimits{6, 48});
    if (!root || used != canonical->size) return std::nullopt;
    // (private-key (<algorithm> (<name> <value>)...)): not protected-private-key, not
    // shadowed-private-key.
    if (root->items.size() != 2 || root->items[0].is_list || root->items[0].atom != "private-key" || !root->items[1].is_list)
        return std::nullopt;
    const SexpNode& algorithm = root->items[1];
    if (algorithm.items.empty() || algorithm.items[0].is_list) return std::nullopt;
    UnprotectedKey key;
    if (algorithm.items[0].atom == "ecc") {
        const SexpNode* curve = find_list(algorithm, "curve");
        if (!curve || curve->items.size() != 2 || curve->items[1].is_list) return std::nullopt;
        std::string_view name = curve->items[1].atom;
        if (name != "Curve25519" && name != "cv25519") return std::nullopt;
        key.kind = UnprotectedKey::Kind::Curve25519;
        if (!take(algorithm, "q", &key.q) || !take(algorithm, "d", &key.d)) return std::nullopt;
        return key;
    }
    if (algorithm.items[0].atom == "rsa") {
        key.kind = UnprotectedKey::Kind::Rsa;
        if (!take(algorithm, "n", &key.n) || !take(algorithm, "e", &key.e) || !take(algorithm, "d", &key.d) ||
            !take(algorithm, "p", &key.p) || !take(algorithm, "q", &key.rsa_q) || !take(algorithm, "u", &key.u))
            return std::nullopt;
        return key;
    }
    return std::nullopt;
}

}  // namespace

std::optional<UnprotectedKey> read_unprotected_key(std::string_view file) {
    if (file.size() > kMaxKeyFile) return std::nullopt;
    if (!file.empty() && file[0] == '(') return key_from_sexp(file);  // the older format
    std::optional<std::string_view> value = key_value(file);
    if (!value) return std::nullopt;
    return key_from_sexp(*value);
}

}  // namespace sopskit::detail::gpg_agent
