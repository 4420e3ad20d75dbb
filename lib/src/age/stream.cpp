// The STREAM payload: 64 KiB chunks of ChaCha20-Poly1305 with a counter nonce and a
// last-chunk flag, keyed by HKDF(file key, nonce, "payload").
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "age/age_internal.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kTag = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t kNonceSize = 16;

[[noreturn]] void payload_failure(const std::string& what) { throw Error(ErrorCode::Generic, "age payload failure: " + what); }

void chunk_nonce(unsigned char nonce[12], std::uint64_t counter, bool last) {
    std::memset(nonce, 0, 12);
    for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<unsigned char>(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
}

}  // namespace

std::string stream_encrypt(const SecureBytes& file_key, std::string_view plaintext) {
    std::string nonce(kNonceSize, '\0');
    randombytes_buf(nonce.data(), nonce.size());
    SecureBytes key = hkdf_sha256(file_key.view(), nonce, "payload");
    std::string out = nonce;
    std::uint64_t counter = 0;
    std::size_t pos = 0;
    do {
        std::size_t n = std::min(kChunk, plaintext.size() - pos);
        bool last = pos + n == plaintext.size();
        unsigned char cn[12];
        chunk_nonce(cn, counter++, last);
        std::size_t at = out.size();
        out.resize(at + n + kTag);
        unsigned long long clen = 0;
        crypto_aead_chacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data() + at), &clen,
                                                  reinterpret_cast<const unsigned char*>(plaintext.data() + pos), n, nullptr, 0,
                                                  nullptr, cn, key.data());
        pos += n;
    } while (pos < plaintext.size());
    return out;
}

void stream_decrypt(const SecureBytes& file_key, std::string_view payload, std::string& out) {
    if (payload.size() < kNonceSize) header_failure("missing payload nonce");
    SecureBytes key = hkdf_sha256(file_key.view(), payload.substr(0, kNonceSize), "payload");
    std::string_view rest = payload.substr(kNonceSize);
    if (rest.empty()) payload_failure("no chunks");
    std::uint64_t counter = 0;
    SecureBytes plain(std::min(kChunk, rest.size()));  // small payloads (data keys) need small buffers
    while (!rest.empty()) {
        std::size_t n = std::min(kChunk + kTag, rest.size());
        if (n < kTag + (counter > 0 ? 1 : 0)) payload_failure("short chunk");
        // A full-size chunk may or may not be the last; anything shorter must be.
        bool full = n == kChunk + kTag;
        unsigned char cn[12];
        unsigned long long plen = 0;
        bool last = false;
        chunk_nonce(cn, counter, false);
        bool ok = full && crypto_aead_chacha20poly1305_ietf_decrypt(plain.data(), &plen, nullptr,
                                                                    reinterpret_cast<const unsigned char*>(rest.data()), n,
                                                                    nullptr, 0, cn, key.data()) == 0;
        if (!ok) {
            chunk_nonce(cn, counter, true);
            if (crypto_aead_chacha20poly1305_ietf_decrypt(plain.data(), &plen, nullptr,
                                                          reinterpret_cast<const unsigned char*>(rest.data()), n, nullptr, 0,
                                                          cn, key.data()) != 0)
                payload_failure("chunk authentication failed");
            last = true;
        }
        if (last && plen == 0 && counter > 0) payload_failure("final chunk is empty");
        out.append(reinterpret_cast<const char*>(plain.data()), plen);
        rest.remove_prefix(n);
        ++counter;
        if (last) {
            if (!rest.empty()) payload_failure("data after the final chunk");
            return;
        }
    }
    payload_failure("missing final chunk");
}

}  // namespace sopskit::age::detail
