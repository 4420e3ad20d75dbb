// A key service request as the server receives it: byte 0 picks Encrypt or Decrypt, the rest is
// the serialized request. Decoded as the module does, then turned into what the server hands to
// a key source (recipient, stored entry), described for the access log and checked against a
// policy. Properties beyond "no crash": the log text has no control character, and a Key kind
// survives the round trip through a stored entry.
#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "keyservice/key_spec.hpp"
#include "keyservice/module_abi.hpp"
#include "keyservice/policy.hpp"

using namespace sopskit;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

const KeyServicePolicy& policy() {
    static const KeyServicePolicy p = KeyServicePolicy::parse(
        "rules:\n  - clients: {subjects: [\"CN=ci\"]}\n    keys: [\"age:*\", \"pgp:ABC\"]\n    operations: [decrypt]\n", "fuzz");
    return p;
}

}  // namespace

// protobuf logs every string field that is not UTF-8 to stderr: a line per input, which cost
// most of the target's time. The decoder's own result is what is checked.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool encrypt = data[0] & 1;
    const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    keyservice_abi::KeySpec spec;
    std::string input, error;
    if (!sopskit_keyservice_module()->decode_request(encrypt, bytes, &spec, &input, &error)) return 0;
    const std::string shown = keyservice_detail::describe(spec);
    for (unsigned char c : shown) check(c >= 0x20 && c != 0x7f);
    if (spec.kind.empty()) return 0;
    Recipient r = keyservice_detail::recipient_of(spec);
    check(r.kind == spec.kind);
    StoredKey stored = keyservice_detail::stored_key_of(spec, input);
    check(keyservice_detail::spec_of(stored).kind == spec.kind);
    (void)keyservice_detail::spec_of(r);
    keyservice_abi::Peer peer;
    peer.subject = "CN=ci";
    std::string why;
    (void)policy().allows(peer, spec, encrypt ? KeyServicePolicy::Op::Encrypt : KeyServicePolicy::Op::Decrypt, &why);
    for (unsigned char c : why) check(c >= 0x20 && c != 0x7f);
    return 0;
}
