#include "keys/openpgp/packets.hpp"

#include <cstring>
#include <string>

#include "keys/openpgp/errors.hpp"

namespace sopskit::detail::openpgp {

namespace {

std::uint32_t read_be(std::string_view& in, std::size_t n) {
    if (in.size() < n) malformed("packet length runs past the end of the data");
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(in[i]);
    in.remove_prefix(n);
    return v;
}

// One new-format length: the body length, and whether it is a partial one (more follow).
std::size_t new_length(std::string_view& in, bool& partial) {
    std::uint32_t first = read_be(in, 1);
    partial = false;
    if (first < 192) return first;
    if (first < 224) return ((first - 192) << 8) + read_be(in, 1) + 192;
    if (first == 255) return read_be(in, 4);
    partial = true;
    return std::size_t{1} << (first & 0x1F);
}

std::string_view take(std::string_view& in, std::size_t n) {
    if (n > in.size()) malformed("packet body runs past the end of the data");
    std::string_view out = in.substr(0, n);
    in.remove_prefix(n);
    return out;
}

bool may_be_partial(int tag) {
    return tag == kCompressed || tag == kSymmetricallyEncrypted || tag == kLiteral || tag == kSeipd || tag == kAeadEncrypted;
}

// Calls `each` on the chunks of a body sent in partial lengths, the first `length` long;
// returns the data after the last chunk.
template <typename F>
std::string_view each_chunk(std::string_view in, std::size_t length, F&& each) {
    for (bool more = true;;) {
        each(take(in, length));
        if (!more) return in;
        length = new_length(in, more);
    }
}

}  // namespace

Packet PacketReader::next() {
    Packet p;
    unsigned char header = static_cast<unsigned char>(read_be(rest_, 1));
    if (!(header & 0x80)) malformed("packet header without its high bit");
    if (!(header & 0x40)) {  // old format: tag in bits 5-2, length type in bits 1-0
        p.tag = (header >> 2) & 0x0F;
        int type = header & 3;
        if (type == 3) p.body = take(rest_, rest_.size());
        else p.body = take(rest_, read_be(rest_, type == 0 ? 1 : type == 1 ? 2 : 4));
    } else {
        p.tag = header & 0x3F;
        bool partial = false;
        std::size_t length = new_length(rest_, partial);
        if (!partial) {
            p.body = take(rest_, length);
        } else {
            if (!may_be_partial(p.tag)) malformed("partial body length on packet type " + std::to_string(p.tag));
            // Measure first (every chunk lies within the data), then copy into one buffer.
            std::size_t total = 0;
            each_chunk(rest_, length, [&](std::string_view chunk) { total += chunk.size(); });
            p.joined = SecureBytes(total);
            std::size_t at = 0;
            rest_ = each_chunk(rest_, length, [&](std::string_view chunk) {
                if (!chunk.empty()) std::memcpy(p.joined.data() + at, chunk.data(), chunk.size());
                at += chunk.size();
            });
            p.body = p.joined.view();
        }
    }
    if (p.tag == 0) malformed("packet with the reserved tag 0");
    return p;
}

}  // namespace sopskit::detail::openpgp
