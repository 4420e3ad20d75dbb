#include "keys/openpgp/inflate.hpp"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "keys/openpgp/errors.hpp"

namespace sopskit::detail::openpgp {

namespace {

// zlib's window holds recent plaintext: its allocations are wiped when freed.
void* wiping_alloc(void*, uInt items, uInt size) {
    std::size_t n = static_cast<std::size_t>(items) * size;
    auto* p = static_cast<std::size_t*>(std::calloc(1, n + sizeof(std::size_t)));
    if (!p) return Z_NULL;
    *p = n;
    return p + 1;
}

void wiping_free(void*, void* address) {
    if (!address) return;
    std::size_t* p = static_cast<std::size_t*>(address) - 1;
    explicit_bzero(p, *p + sizeof(std::size_t));
    std::free(p);
}

struct Inflater {
    z_stream z{};
    bool ready = false;
    ~Inflater() {
        if (ready) inflateEnd(&z);
    }
};

// A buffer twice the size, the bytes so far copied over (the old one is wiped on release).
SecureBytes grown(const SecureBytes& old, std::size_t used, std::size_t limit) {
    std::size_t size = old.size() * 2 < limit ? old.size() * 2 : limit;
    SecureBytes bigger(size);
    if (used) std::memcpy(bigger.data(), old.data(), used);
    return bigger;
}

}  // namespace

SecureBytes inflate(std::string_view compressed, Deflate format, std::size_t limit) {
    Inflater inf;
    inf.z.zalloc = wiping_alloc;
    inf.z.zfree = wiping_free;
    if (inflateInit2(&inf.z, format == Deflate::Raw ? -MAX_WBITS : MAX_WBITS) != Z_OK) malformed("cannot start decompression");
    inf.ready = true;
    inf.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    inf.z.avail_in = static_cast<uInt>(compressed.size());  // bounded by the message's size
    std::size_t start = compressed.size() * 4 + 64;
    SecureBytes out(start < limit ? start : limit);
    std::size_t used = 0;
    for (;;) {
        if (used == out.size()) {
            if (out.size() >= limit) malformed("compressed data inflates to more than " + std::to_string(limit) + " bytes");
            out = grown(out, used, limit);
        }
        inf.z.next_out = out.data() + used;
        inf.z.avail_out = static_cast<uInt>(out.size() - used);
        int rc = ::inflate(&inf.z, Z_NO_FLUSH);
        used = out.size() - inf.z.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && inf.z.avail_in == 0) malformed("compressed data ends early");
        if (rc != Z_OK && rc != Z_BUF_ERROR) malformed("compressed data is corrupt");
    }
    if (inf.z.avail_in != 0) malformed("bytes after the end of the compressed data");
    SecureBytes exact(out.data(), used);
    return exact;
}

}  // namespace sopskit::detail::openpgp
