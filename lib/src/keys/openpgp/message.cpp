#include "keys/openpgp/message.hpp"

#include <cstring>

#include "keys/openpgp/armor.hpp"
#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/mpi.hpp"
#include "keys/openpgp/packets.hpp"

namespace sopskit::detail::openpgp {

namespace {

// A data key message is a few hundred bytes per recipient; sops keeps it under 64 KiB.
constexpr std::size_t kMaxMessage = 1 << 20;

std::uint8_t take_byte(std::string_view& in, const char* what) {
    if (in.empty()) malformed(std::string("PKESK ends before its ") + what);
    auto b = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    return b;
}

std::string take_mpi(std::string_view& in, const char* what) {
    std::optional<std::string_view> value = read_mpi(in);
    if (!value) malformed(std::string("PKESK's ") + what + " runs past the packet");
    return std::string(*value);
}

Pkesk read_pkesk(std::string_view body) {
    Pkesk p;
    std::uint8_t version = take_byte(body, "version");
    if (version != 3) unsupported("PKESK version " + std::to_string(version));
    if (body.size() < 8) malformed("PKESK ends before its key ID");
    std::memcpy(p.key_id.data(), body.data(), 8);
    body.remove_prefix(8);
    p.algorithm = take_byte(body, "algorithm");
    switch (p.algorithm) {
        case kRsaEncryptSign:
        case kRsaEncryptOnly:
            p.rsa_ciphertext = take_mpi(body, "RSA value");
            break;
        case kEcdh: {
            p.ecdh_point = take_mpi(body, "ECDH point");
            std::size_t size = take_byte(body, "wrapped key size");
            if (body.size() < size) malformed("PKESK's wrapped key runs past the packet");
            p.ecdh_wrapped = std::string(body.substr(0, size));
            body.remove_prefix(size);
            break;
        }
        default:
            unsupported("public-key algorithm " + std::to_string(p.algorithm));
    }
    if (!body.empty()) malformed("PKESK has bytes after its encrypted session key");
    return p;
}

}  // namespace

EncryptedMessage read_encrypted_message(std::string_view input) {
    if (input.size() > kMaxMessage) unsupported("larger than a data key's message (" + std::to_string(input.size()) + " bytes)");
    std::string binary = is_armored(input) ? dearmor_message(input) : std::string(input);
    PacketReader reader(binary);
    EncryptedMessage message;
    bool have_data = false;
    while (!reader.at_end()) {
        Packet p = reader.next();
        if (have_data) unsupported("packet type " + std::to_string(p.tag) + " after the encrypted data");
        switch (p.tag) {
            case kPkesk:
                message.recipients.push_back(read_pkesk(p.body));
                break;
            case kMarker:  // ignored by every reader, as RFC 9580 says
                break;
            case kSeipd:
                if (p.body.empty()) malformed("SEIPD packet without a version");
                if (p.body.front() != 1) unsupported("SEIPD version " + std::to_string(static_cast<unsigned char>(p.body.front())));
                message.encrypted_data = std::string(p.body.substr(1));
                have_data = true;
                break;
            case kSymmetricallyEncrypted:
                unsupported("encrypted data without integrity protection (no MDC)");
            case kAeadEncrypted:
                unsupported("AEAD encrypted data");
            default:
                unsupported("packet type " + std::to_string(p.tag) + " in an encrypted message");
        }
    }
    if (!have_data) malformed("no encrypted data packet");
    if (message.recipients.empty()) unsupported("no public-key encrypted session key");
    return message;
}

}  // namespace sopskit::detail::openpgp
