// OpenPGP packet framing (RFC 9580 section 4.2): old and new headers, partial body lengths
// (joined into one body) and the old format's indeterminate length (the rest of the data).
#pragma once
#include <cstdint>
#include <string_view>

#include "sopskit/secure.hpp"

namespace sopskit::detail::openpgp {

enum PacketTag : int {
    kPkesk = 1,
    kSignature = 2,
    kSkesk = 3,
    kOnePassSignature = 4,
    kCompressed = 8,
    kSymmetricallyEncrypted = 9,
    kMarker = 10,
    kLiteral = 11,
    kSeipd = 18,
    kMdc = 19,
    kAeadEncrypted = 20,
};

struct Packet {
    int tag = 0;
    std::string_view body;  // into the reader's data, or into `joined`
    SecureBytes joined;     // a body sent in partial lengths, put together (it may be plaintext)
};

// Reads the packets of `data` one after the other; `data` must outlive the packets.
class PacketReader {
public:
    explicit PacketReader(std::string_view data) : rest_(data) {}
    bool at_end() const { return rest_.empty(); }
    // The next packet; throws Error when its header or length runs past the data.
    Packet next();

private:
    std::string_view rest_;
};

}  // namespace sopskit::detail::openpgp
