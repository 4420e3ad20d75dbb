// Header-only, for the tests and fuzz_yaml_fast (not part of the library): the YAML fast path
// run beside the tree path on the same bytes, rules and data key, with one fixed IV for every
// value so that both outputs are deterministic and can be compared byte for byte.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sopskit/cipher.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/error.hpp"
#include "sopskit/secure.hpp"
#include "stores/stores_internal.hpp"
#include "stores/yaml_fast.hpp"

namespace sopskit::detail::fast_check {

struct Comparison {
    bool fast_taken = false;  // the fast path accepted the document
    bool same = true;         // it did not, or both paths wrote the same bytes and MAC
    std::string fast, tree, fast_mac, tree_mac;
};

// Every scalar of the tree under its additional data ("a:b:"), with the same IV.
inline void remember_leaves(const Value& v, std::string& aad, IvStash& ivs, const std::string& iv) {
    if (v.kind == Kind::Map) {
        for (const auto& item : v.map) {
            if (item.is_comment()) continue;
            std::size_t mark = aad.size();
            aad += item.key.text;
            aad += ':';
            remember_leaves(item.value, aad, ivs, iv);
            aad.resize(mark);
        }
    } else if (v.kind == Kind::List) {
        for (const auto& e : v.list) remember_leaves(e, aad, ivs, iv);
    } else if (v.kind != Kind::Null && v.kind != Kind::Comment) {
        ivs.remember(aad.empty() ? std::string_view(":") : std::string_view(aad), v, iv);
    }
}

// The tree path is the reference: when it refuses a document the fast path took, or writes
// other bytes, `same` is false. Errors of both (a bad regex in the rules) propagate.
inline Comparison compare_yaml_paths(std::string_view bytes, const CryptRules& rules, int indent, bool timestamps) {
    Comparison c;
    auto doc = yaml_fast_parse(bytes, timestamps);
    if (!doc) return c;
    c.fast_taken = true;
    SecureBytes key = SecureBytes::random(32);
    ValueCipher cipher(key);
    Branches tree;
    try {
        tree = yaml_load(bytes, timestamps);
    } catch (const Error&) {
        c.same = false;
        return c;
    }
    IvStash ivs;
    const std::string iv(32, '\x5a');
    for (const auto& branch : tree) {
        Value root = Value::empty_map();
        root.map = branch;
        std::string aad;
        remember_leaves(root, aad, ivs, iv);
    }
    c.fast = yaml_fast_encrypt(*doc, rules, cipher, indent, c.fast_mac, &ivs, SIZE_MAX);
    // Cut in two halves encrypted on two threads, whatever the size: the same bytes and MAC.
    std::string split_mac;
    std::string split = yaml_fast_encrypt(*doc, rules, cipher, indent, split_mac, &ivs, 0);
    c.tree_mac = encrypt_branches(tree, rules, cipher, &ivs);
    c.tree = yaml_emit(tree, indent);
    c.same = c.fast == c.tree && c.fast_mac == c.tree_mac && split == c.fast && split_mac == c.fast_mac;
    return c;
}

// Decryption: `bytes` read as an encrypted file (a top-level sops entry is set aside by both
// paths). When the fast path takes it and decrypts every value, the tree path must decrypt it
// too and write the same bytes and MAC.
inline Comparison compare_yaml_decrypt_paths(std::string_view bytes, const CryptRules& rules, const ValueCipher& cipher,
                                             int indent, bool timestamps) {
    Comparison c;
    auto doc = yaml_fast_parse(bytes, timestamps, true);
    if (!doc) return c;
    // As decrypt_yaml_file_fast: a sops entry must read on its own.
    if (!doc->metadata.empty() && !yaml_fast_metadata(*doc, timestamps)) return c;
    auto fast = yaml_fast_decrypt(*doc, rules, cipher, indent, c.fast_mac);
    if (!fast) return c;
    c.fast_taken = true;
    c.fast = std::move(*fast);
    try {
        Branches tree = yaml_load(bytes, timestamps);
        for (auto& branch : tree)
            std::erase_if(branch, [](const Item& i) { return !i.is_comment() && i.key.text == "sops"; });
        c.tree_mac = decrypt_branches(tree, rules, cipher);
        c.tree = yaml_emit(tree, indent);
    } catch (const Error&) {
        c.same = false;
        return c;
    }
    c.same = c.fast == c.tree && c.fast_mac == c.tree_mac;
    return c;
}

}  // namespace sopskit::detail::fast_check
