#include "sopskit/engine.hpp"

#include <re2/re2.h>

#include <optional>

#include "core/mac_hasher.hpp"
#include "core/value_bytes.hpp"
#include "sopskit/error.hpp"

namespace sopskit {

// --- policy --------------------------------------------------------------------------------

namespace {
std::unique_ptr<RE2> compile(const std::string& pattern, const char* field) {
    if (pattern.empty()) return nullptr;
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_unique<RE2>(pattern, opts);
    if (!re->ok()) throw Error(ErrorCode::Generic, std::string("invalid ") + field + " '" + pattern + "': " + re->error());
    return re;
}
bool matches(const RE2& re, std::string_view s) { return RE2::PartialMatch(s, re); }
}  // namespace

struct EncryptionPolicy::Impl {
    CryptRules rules;
    std::unique_ptr<RE2> unencrypted_regex, encrypted_regex, unencrypted_comment, encrypted_comment;
};

EncryptionPolicy::EncryptionPolicy(const CryptRules& rules) : impl_(std::make_unique<Impl>()) {
    impl_->rules = rules;
    impl_->unencrypted_regex = compile(rules.unencrypted_regex, "unencrypted_regex");
    impl_->encrypted_regex = compile(rules.encrypted_regex, "encrypted_regex");
    impl_->unencrypted_comment = compile(rules.unencrypted_comment_regex, "unencrypted_comment_regex");
    impl_->encrypted_comment = compile(rules.encrypted_comment_regex, "encrypted_comment_regex");
}
EncryptionPolicy::~EncryptionPolicy() = default;
EncryptionPolicy::EncryptionPolicy(EncryptionPolicy&&) noexcept = default;

bool EncryptionPolicy::mac_only_encrypted() const { return impl_->rules.mac_only_encrypted; }

bool EncryptionPolicy::should_encrypt(const std::vector<std::string_view>& path,
                                      const std::vector<std::vector<std::string_view>>& comments,
                                      bool is_comment) const {
    const CryptRules& r = impl_->rules;
    bool encrypted = true;
    if (!r.unencrypted_suffix.empty())
        for (auto p : path)
            if (p.ends_with(r.unencrypted_suffix)) {
                encrypted = false;
                break;
            }
    if (!r.encrypted_suffix.empty()) {
        encrypted = false;
        for (auto p : path)
            if (p.ends_with(r.encrypted_suffix)) {
                encrypted = true;
                break;
            }
    }
    if (impl_->unencrypted_regex)
        for (auto p : path)
            if (matches(*impl_->unencrypted_regex, p)) {
                encrypted = false;
                break;
            }
    if (impl_->encrypted_regex) {
        encrypted = false;
        for (auto p : path)
            if (matches(*impl_->encrypted_regex, p)) {
                encrypted = true;
                break;
            }
    }
    if (impl_->unencrypted_comment) {
        for (const auto& level : comments)
            for (auto c : level)
                if (matches(*impl_->unencrypted_comment, c)) {
                    encrypted = false;
                    goto done_unencrypted_comment;
                }
    done_unencrypted_comment:;
    }
    if (impl_->encrypted_comment) {
        // The comment that itself matches stays readable; only what follows it is encrypted.
        encrypted = false;
        for (std::size_t i = 0; i < comments.size() && !encrypted; ++i)
            for (std::size_t j = 0; j < comments[i].size(); ++j) {
                if (is_comment && i + 1 == comments.size() && j + 1 == comments[i].size()) continue;
                if (matches(*impl_->encrypted_comment, comments[i][j])) {
                    encrypted = true;
                    break;
                }
            }
    }
    return encrypted;
}

// --- the walk ------------------------------------------------------------------------------

namespace {

enum class Direction { Encrypt, Decrypt };

// Mirrors sops' walkBranch/walkSlice: map keys extend the path, list entries do not, and a
// stack of the comments seen at each level feeds the comment rules.
class Walker {
public:
    Walker(const CryptRules& rules, const ValueCipher& cipher, Direction dir, const IvStash* reuse, IvStash* record)
        : policy_(rules), cipher_(cipher), dir_(dir), mac_(rules.mac_only_encrypted), reuse_(reuse), record_(record) {}

    std::string run(Branches& branches) {
        for (auto& b : branches) walk_map(b);
        return mac_.hex();
    }

private:
    void walk_map(std::vector<Item>& items) {
        comments_.emplace_back();
        for (auto& item : items) {
            if (item.is_comment()) {
                comments_.back().push_back(item.key.text);
                leaf(item.key);
                continue;
            }
            path_.push_back(item.key.text);
            walk_value(item.value);
            path_.pop_back();
            comments_.back().clear();
        }
        comments_.pop_back();
    }

    void walk_list(std::vector<Value>& entries) {
        comments_.emplace_back();
        for (auto& e : entries) {
            bool is_comment = e.is_comment();
            if (is_comment) comments_.back().push_back(e.text);
            walk_value(e);
            if (!is_comment) comments_.back().clear();
        }
        comments_.pop_back();
    }

    void walk_value(Value& v) {
        switch (v.kind) {
            case Kind::Map: walk_map(v.map); break;
            case Kind::List: walk_list(v.list); break;
            case Kind::Null: break;  // nothing to encrypt, nothing hashed
            default: leaf(v);
        }
    }

    // Comment texts are referenced from the stack while they may be rewritten, so the stack
    // holds copies.
    // The views and the additional data live in members reused from leaf to leaf: a file has
    // hundreds of thousands of leaves, and fresh vectors for each showed up in profiles.
    void leaf(Value& v) {
        bool is_comment = v.is_comment();
        stack_views_.resize(comments_.size());
        for (std::size_t i = 0; i < comments_.size(); ++i) stack_views_[i].assign(comments_[i].begin(), comments_[i].end());
        path_views_.assign(path_.begin(), path_.end());
        bool encrypted = policy_.should_encrypt(path_views_, stack_views_, is_comment);
        fill_additional_data();
        const std::string& aad = aad_;
        if (dir_ == Direction::Encrypt) {
            if (!is_comment && (!policy_.mac_only_encrypted() || encrypted)) hash_value(v);
            if (encrypted) replace_with_ciphertext(v, aad);
        } else {
            if (encrypted) replace_with_plaintext(v, aad);
            if (!is_comment && (!policy_.mac_only_encrypted() || encrypted)) hash_value(v);
        }
    }

    void hash_value(const Value& v) {
        mac_.add(detail::value_bytes_view(v, scratch_));
        wipe(scratch_);
    }

    void fill_additional_data() {
        aad_.clear();
        for (const auto& p : path_) {
            aad_ += p;
            aad_ += ':';
        }
        if (path_.empty()) aad_.push_back(':');
    }

    void replace_with_ciphertext(Value& v, const std::string& aad) {
        std::string env = cipher_.encrypt(v, aad, reuse_ ? reuse_->find(aad, v) : std::string_view());
        if (v.is_comment()) {
            wipe(v.text);
            v.text = std::move(env);
            return;
        }
        v = Value::string(std::move(env));
    }

    void replace_with_plaintext(Value& v, const std::string& aad) {
        if (v.is_comment()) {
            // Comments written by old sops versions may be plaintext: keep those as they are.
            try {
                std::string iv;
                Value plain = cipher_.decrypt(v.text, aad, record_ ? &iv : nullptr);
                if (record_) record_->remember(aad, plain, std::move(iv));
                bool was_inline = v.comment_inline;
                v = Value::comment(std::move(plain.text), was_inline);
            } catch (const Error&) {
            }
            return;
        }
        if (v.kind != Kind::String)
            throw Error(ErrorCode::ErrorDecryptingTree, "Error decrypting tree: Expected encrypted value as string at '" + aad + "'");
        try {
            std::string iv;
            Value plain = cipher_.decrypt(v.text, aad, record_ ? &iv : nullptr);
            if (record_ && !v.text.empty()) record_->remember(aad, plain, std::move(iv));
            v = std::move(plain);
        } catch (const Error& e) {
            throw Error(ErrorCode::ErrorDecryptingTree, "Error decrypting tree at '" + aad + "': " + e.what());
        }
    }

    EncryptionPolicy policy_;
    const ValueCipher& cipher_;
    Direction dir_;
    detail::MacHasher mac_;
    std::vector<std::string> path_;
    std::vector<std::vector<std::string>> comments_;
    const IvStash* reuse_;
    IvStash* record_;
    std::vector<std::vector<std::string_view>> stack_views_;
    std::vector<std::string_view> path_views_;
    std::string aad_;
    std::string scratch_;  // a number's or bool's bytes for the MAC
};

}  // namespace

std::string encrypt_branches(Branches& branches, const CryptRules& rules, const ValueCipher& cipher, const IvStash* reuse) {
    return Walker(rules, cipher, Direction::Encrypt, reuse, nullptr).run(branches);
}

std::string decrypt_branches(Branches& branches, const CryptRules& rules, const ValueCipher& cipher, IvStash* record) {
    return Walker(rules, cipher, Direction::Decrypt, nullptr, record).run(branches);
}

std::string encrypt_mac(const std::string& mac_hex, const std::string& last_modified, const ValueCipher& cipher) {
    return cipher.encrypt(Value::string(mac_hex), last_modified);
}

MacCheck check_mac(const std::string& mac_envelope, const std::string& last_modified, const std::string& computed_hex,
                   const ValueCipher& cipher, std::string* why) {
    if (mac_envelope.empty()) return MacCheck::Missing;
    Value stored;
    try {
        stored = cipher.decrypt(mac_envelope, last_modified);
    } catch (const Error& e) {
        if (why) *why = e.what();
        return MacCheck::Undecryptable;
    }
    return constant_time_equal(stored.text, computed_hex) ? MacCheck::Match : MacCheck::Mismatch;
}

void verify_mac(const std::string& mac_envelope, const std::string& last_modified, const std::string& computed_hex,
                const ValueCipher& cipher) {
    switch (check_mac(mac_envelope, last_modified, computed_hex, cipher)) {
        case MacCheck::Match: return;
        case MacCheck::Missing: throw Error(ErrorCode::MacMismatch, "MAC mismatch: the file has no MAC");
        case MacCheck::Undecryptable: throw Error(ErrorCode::MacMismatch, "Cannot decrypt MAC: the MAC or lastmodified was changed");
        case MacCheck::Mismatch: throw Error(ErrorCode::MacMismatch, "MAC mismatch: the file's contents do not match its MAC");
    }
}

}  // namespace sopskit
