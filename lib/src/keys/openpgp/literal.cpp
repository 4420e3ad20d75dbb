#include "keys/openpgp/literal.hpp"

#include <string>

#include "keys/openpgp/errors.hpp"
#include "keys/openpgp/inflate.hpp"
#include "keys/openpgp/packets.hpp"

namespace sopskit::detail::openpgp {

namespace {

// A data key is 32 bytes; far more than any data key, far less than a zip bomb.
constexpr std::size_t kMaxInflated = 1 << 20;

// The one packet of `packets`; Unsupported when there are others.
Packet only_packet(std::string_view packets) {
    PacketReader reader(packets);
    if (reader.at_end()) malformed("no packet inside the encrypted data");
    Packet p = reader.next();
    if (!reader.at_end()) unsupported("more than one packet inside the encrypted data");
    return p;
}

// Literal data: format octet, file name (length-prefixed), four-octet date, then the contents.
SecureBytes literal_contents(std::string_view body) {
    if (body.size() < 2) malformed("literal data packet too short");
    std::size_t name = static_cast<unsigned char>(body[1]);
    if (body.size() < 2 + name + 4) malformed("literal data packet too short for its header");
    std::string_view contents = body.substr(2 + name + 4);
    return SecureBytes(reinterpret_cast<const std::uint8_t*>(contents.data()), contents.size());
}

SecureBytes read(std::string_view packets, bool compressed_allowed) {
    Packet p = only_packet(packets);
    if (p.tag == kLiteral) return literal_contents(p.body);
    if (p.tag != kCompressed) unsupported("packet type " + std::to_string(p.tag) + " inside the encrypted data");
    if (!compressed_allowed) unsupported("compressed data inside compressed data");
    if (p.body.empty()) malformed("compressed data packet without its algorithm");
    std::string_view data = p.body.substr(1);
    switch (static_cast<unsigned char>(p.body.front())) {
        case 0: return read(data, false);
        case 1: return read(inflate(data, Deflate::Raw, kMaxInflated).view(), false);
        case 2: return read(inflate(data, Deflate::Zlib, kMaxInflated).view(), false);
        default: unsupported("compression algorithm " + std::to_string(static_cast<unsigned char>(p.body.front())));
    }
}

}  // namespace

SecureBytes read_literal_data(std::string_view packets) { return read(packets, true); }

}  // namespace sopskit::detail::openpgp
