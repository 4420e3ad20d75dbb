#include <cstdio>
// The YAML fast path of encryption against the tree path (differential): on every document
// the fast path takes, both must write the same bytes and MAC (fixed IVs), or the fast path
// must decline; the same for decryption of the input (bit 0x40 of the first byte) and of the
// input encrypted by the tree path (0x80). The byte also picks the rules, the indent and the
// timestamp option.
#include "fuzz_support.hpp"
#include "stores/yaml_fast_check.hpp"

using namespace sopskit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    CryptRules rules;
    switch (mode & 3) {
        case 0: rules.unencrypted_suffix = kDefaultUnencryptedSuffix; break;
        case 1: rules.encrypted_regex = "^(a|b|k|data)"; break;
        case 2: rules.unencrypted_regex = "^c"; break;
        default:
            rules.encrypted_suffix = "_s";
            rules.mac_only_encrypted = true;
    }
    const int indent = (mode >> 2) & 7 ? ((mode >> 2) & 7) + 1 : 4;
    const bool timestamps = (mode & 0x20) == 0;
    const std::string_view text = fuzz::text_of(data + 1, size - 1);
    fuzz::refusing_is_fine([&] {
        if (mode & 0x80) {
            // The input as plaintext, encrypted by the tree path under this key, then decrypted
            // by both paths: every value decrypts, so the fast path's own decryption is compared.
            static const SecureBytes key = SecureBytes::random(32);
            ValueCipher cipher(key);
            Branches tree = detail::yaml_load(text, timestamps);
            encrypt_branches(tree, rules, cipher);
            std::string encrypted = detail::yaml_emit(tree, indent);
            auto c = detail::fast_check::compare_yaml_decrypt_paths(encrypted, rules, cipher, indent, timestamps);
            if (c.fast_taken && !c.same) {
                fprintf(stderr, "FAST<<%s>>\nTREE<<%s>>\n", c.fast.c_str(), c.tree.c_str());
                __builtin_trap();
            }
            return;
        }
        if (mode & 0x40) {
            // The input as an encrypted file: values that are no envelopes of this key must be
            // declined (the tree path refuses them), the others decrypted as the tree path does.
            static const SecureBytes key = SecureBytes::random(32);
            ValueCipher cipher(key);
            auto c = detail::fast_check::compare_yaml_decrypt_paths(text, rules, cipher, indent, timestamps);
            if (c.fast_taken && !c.same) {
                fprintf(stderr, "FAST<<%s>>\nTREE<<%s>>\nMAC %s %s\n", c.fast.c_str(), c.tree.c_str(), c.fast_mac.c_str(), c.tree_mac.c_str());
                __builtin_trap();
            }
            return;
        }
        auto c = detail::fast_check::compare_yaml_paths(text, rules, indent, timestamps);
        if (c.fast_taken && !c.same) {  // the fast path wrote what the tree path does not
            fprintf(stderr, "FAST<<%s>>\nTREE<<%s>>\nMAC %s %s\n", c.fast.c_str(), c.tree.c_str(), c.fast_mac.c_str(), c.tree_mac.c_str());
            __builtin_trap();
        }
    });
    return 0;
}
