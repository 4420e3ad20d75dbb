// The identities and recipients beyond X25519: SSH keys and plugins.
#include "age/plugin_internal.hpp"
#include "age/ssh_internal.hpp"
#include "core/text.hpp"
#include "sopskit/age.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age {

namespace {

// age's rule: a recipient "age1..." holding a second '1' names a plugin; age1pq1 is the
// post-quantum hybrid kind, not a plugin.
bool looks_like_plugin_recipient(std::string_view r) {
    return r.rfind("age1", 0) == 0 && r.rfind("age1pq1", 0) != 0 && r.find('1', 4) != std::string_view::npos;
}

class SshIdentity final : public StanzaIdentity {
public:
    explicit SshIdentity(detail::SshPrivateKey key) : key_(std::move(key)), tag_(detail::ssh_fingerprint(key_.pub.blob)) {}

    std::optional<SecureBytes> unwrap(const std::vector<detail::Stanza>& stanzas) const override {
        for (const auto& s : stanzas) {
            if (key_.encrypted) {
                // Only a stanza for this very key needs the passphrase; others are not ours.
                if (s.type == key_.pub.type && !s.args.empty() && s.args[0] == tag_)
                    throw Error(ErrorCode::Generic, "the " + key_.pub.type + " key " + tag_ +
                                                        " is passphrase-protected, and sopskit cannot ask for its passphrase "
                                                        "(give an unprotected copy with SOPS_AGE_SSH_PRIVATE_KEY_FILE or _CMD)");
                continue;
            }
            auto key = key_.pub.type == "ssh-ed25519" ? detail::ssh_ed25519_unwrap(s, key_) : detail::ssh_rsa_unwrap(s, key_);
            if (key) return key;
        }
        return std::nullopt;
    }

private:
    detail::SshPrivateKey key_;
    std::string tag_;
};

class PluginIdentity final : public StanzaIdentity {
public:
    PluginIdentity(std::string name, SecureBytes encoding) : name_(std::move(name)), encoding_(std::move(encoding)) {}

    std::optional<SecureBytes> unwrap(const std::vector<detail::Stanza>& stanzas) const override {
        return detail::plugin_unwrap(name_, encoding_, stanzas);
    }

private:
    std::string name_;
    SecureBytes encoding_;  // the AGE-PLUGIN-... text, handed to the plugin as is
};

}  // namespace

std::shared_ptr<const StanzaIdentity> parse_ssh_identity(std::string_view private_key_file) {
    return std::make_shared<SshIdentity>(detail::parse_ssh_private_key(private_key_file));
}

std::shared_ptr<const StanzaIdentity> parse_plugin_identity(std::string_view text) {
    std::string trimmed = sopskit::detail::trim(text);
    auto name = detail::plugin_name_of_identity(trimmed);
    if (!name) {
        wipe(trimmed);
        throw Error(ErrorCode::Generic, "malformed age plugin identity (expected AGE-PLUGIN-NAME-1...)");
    }
    auto id = std::make_shared<PluginIdentity>(*name, SecureBytes::from(trimmed));
    wipe(trimmed);
    return id;
}

namespace detail {

bool is_other_recipient(std::string_view recipient) {
    if (recipient.rfind("ssh-", 0) == 0) {
        try {
            SshPublicKey pub = parse_ssh_authorized_key(recipient);
            return pub.type != "ssh-rsa" || pub.rsa_n.size() >= 2048 / 8;
        } catch (const Error&) {
            return false;
        }
    }
    return looks_like_plugin_recipient(recipient) && plugin_name_of_recipient(recipient).has_value();
}

std::optional<std::vector<Stanza>> wrap_other(const SecureBytes& file_key, std::string_view recipient) {
    if (recipient.rfind("ssh-", 0) == 0) {
        SshPublicKey pub;
        try {
            pub = parse_ssh_authorized_key(recipient);
        } catch (const Error& e) {
            throw Error(ErrorCode::Generic, std::string("failed to parse input as age-ssh public key: ") + e.what());
        }
        return std::vector<Stanza>{pub.type == "ssh-ed25519" ? ssh_ed25519_wrap(file_key, pub) : ssh_rsa_wrap(file_key, pub)};
    }
    if (!looks_like_plugin_recipient(recipient)) return std::nullopt;
    auto name = plugin_name_of_recipient(recipient);
    if (!name) throw Error(ErrorCode::Generic, "failed to parse input as age key from age plugin: " + std::string(recipient));
    return plugin_wrap(*name, std::string(recipient), file_key);
}

}  // namespace detail

}  // namespace sopskit::age
