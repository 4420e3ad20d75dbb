// The key service's access policy: which clients may use which master keys, and for what.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "keyservice/module_abi.hpp"

namespace sopskit::keyservice_detail {

// A YAML file:
//   rules:
//     - clients: {subjects: ["CN=ci,O=example"], sans: ["ci.example.com"]}
//       keys: ["age:age1...", "pgp:FINGERPRINT", "kms:*"]   # kind:id, or kind:* for any key of a kind
//       operations: [decrypt]                               # encrypt, decrypt
// A call is allowed when one rule names the client, the key and the operation; else denied.
class KeyServicePolicy {
public:
    enum class Op { Encrypt, Decrypt };
    struct Rule {
        std::vector<std::string> subjects, sans;
        bool any_client = false;  // clients: "*"
        std::vector<std::string> keys;
        bool encrypt = false, decrypt = false;
    };

    // Throws Error naming the file and the place on anything it does not understand.
    static KeyServicePolicy load(const std::string& path);
    static KeyServicePolicy parse(const std::string& text, const std::string& name);

    // *why: the reason for a denial, naming the client and the key (never key material).
    bool allows(const keyservice_abi::Peer& peer, const keyservice_abi::KeySpec& key, Op op, std::string* why) const;

private:
    std::vector<Rule> rules_;
};

}  // namespace sopskit::keyservice_detail

namespace sopskit {
using keyservice_detail::KeyServicePolicy;
}
