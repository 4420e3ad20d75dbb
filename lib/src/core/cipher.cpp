#include "sopskit/cipher.hpp"

#include <nettle/aes.h>
#include <nettle/gcm.h>
#include <nettle/memops.h>
#include <sodium/randombytes.h>
#include <sodium/utils.h>

#include <pthread.h>
#include <sys/random.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <re2/re2.h>

#include "core/base64.hpp"
#include "core/go_format.hpp"
#include "core/value_bytes.hpp"
#include "sopskit/error.hpp"

namespace sopskit {

namespace {

constexpr std::size_t kIvSize = 32;  // sops' non-standard GCM nonce length
constexpr std::size_t kTagSize = 16;

// GCM's block function, with the exact type Nettle's GCM calls (no cast of aes256_encrypt).
void aes256_blocks(const void* key, size_t length, uint8_t* dst, const uint8_t* src) {
    aes256_encrypt(static_cast<const aes256_ctx*>(key), length, dst, src);
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::ErrorDecryptingTree, what); }

const char* type_name(Kind k) {
    switch (k) {
        case Kind::String: return "str";
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::Bool: return "bool";
        case Kind::Time: return "time";
        case Kind::Comment: return "comment";
        case Kind::Bytes: return "str";  // sops walks []byte as a string
        default: return nullptr;
    }
}

// The pieces of an envelope, matched with the same (Go/RE2) pattern sops uses. The views
// point into the envelope, or into `matched` when RE2 had to decide.
struct Envelope {
    std::string_view data, iv, tag, type;
    std::array<std::string, 4> matched;
};

// The well-formed case, where the pattern can only match one way: each separator once, in
// order, ASCII without newlines, one ']' at the very end. Anything else goes to RE2, whose greedy matching
// decides odd inputs exactly as sops does.
bool parse_plain_envelope(std::string_view s, Envelope& e) {
    constexpr std::string_view kPrefix = "ENC[AES256_GCM,data:";
    if (!s.starts_with(kPrefix) || !s.ends_with(']')) return false;
    std::string_view body = s.substr(kPrefix.size(), s.size() - kPrefix.size() - 1);
    // One pass over the body: where each separator stands and how often (the separators all
    // start with the only ',' they contain, so occurrences cannot overlap).
    constexpr std::string_view seps[] = {",iv:", ",tag:", ",type:"};
    // Written without branches so that the compiler vectorises it: a 4 KiB value's envelope
    // is scanned once per decryption.
    unsigned bad = 0;
    for (char ch : body) {
        auto c = static_cast<unsigned char>(ch);
        bad |= static_cast<unsigned>(c == '\n') | static_cast<unsigned>(c == ']') | (c & 0x80u);
    }
    if (bad) return false;
    std::size_t at[3] = {0, 0, 0};
    int seen[3] = {0, 0, 0};
    for (std::size_t i = body.find(','); i != std::string_view::npos; i = body.find(',', i + 1))
        for (int k = 0; k < 3; ++k)
            if (body.substr(i).starts_with(seps[k])) {
                at[k] = i;
                ++seen[k];
            }
    if (seen[0] != 1 || seen[1] != 1 || seen[2] != 1) return false;
    // In order, and no group empty.
    std::size_t iv_from = at[0] + seps[0].size(), tag_from = at[1] + seps[1].size(), type_from = at[2] + seps[2].size();
    if (at[0] == 0 || at[1] <= iv_from || at[2] <= tag_from || type_from >= body.size()) return false;
    e.data = body.substr(0, at[0]);
    e.iv = body.substr(iv_from, at[1] - iv_from);
    e.tag = body.substr(tag_from, at[2] - tag_from);
    e.type = body.substr(type_from);
    return true;
}

bool parse_envelope(std::string_view s, Envelope& e) {
    if (parse_plain_envelope(s, e)) return true;
    static const RE2 re(R"(^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\])");
    auto& m = e.matched;
    if (!RE2::PartialMatch(s, re, &m[0], &m[1], &m[2], &m[3])) return false;
    e.data = m[0];
    e.iv = m[1];
    e.tag = m[2];
    e.type = m[3];
    return true;
}

// strconv.ParseBool.
std::optional<bool> parse_go_bool(std::string_view s) {
    if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
    if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") return false;
    return std::nullopt;
}

// strconv.Atoi: decimal with an optional sign.
std::optional<std::int64_t> parse_go_atoi(std::string_view s) {
    std::string_view digits = s;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    if (digits.empty()) return std::nullopt;
    for (char c : digits)
        if (c < '0' || c > '9') return std::nullopt;
    std::int64_t v = 0;
    std::string_view body = s[0] == '+' ? s.substr(1) : s;
    auto res = std::from_chars(body.data(), body.data() + body.size(), v);
    if (res.ec != std::errc() || res.ptr != body.data() + body.size()) return std::nullopt;
    return v;
}

Value typed_value(std::string plaintext, std::string_view type) {
    if (type == "str") return Value::string(std::move(plaintext));
    if (type == "comment") return Value::comment(std::move(plaintext));
    if (type == "bytes") return Value::bytes(std::move(plaintext));
    if (type == "int") {
        if (auto i = parse_go_atoi(plaintext)) return Value::integer_value(*i);
        fail("Could not decrypt value: invalid int");
    }
    if (type == "float") {
        if (auto f = detail::go_parse_float(plaintext)) return Value::float_value(*f);
        fail("Could not decrypt value: invalid float");
    }
    if (type == "bool") {
        if (auto b = parse_go_bool(plaintext)) return Value::bool_value(*b);
        fail("Could not decrypt value: invalid bool");
    }
    if (type == "time") return Value::time(std::move(plaintext));
    fail("Could not decrypt value: Unknown datatype: " + std::string(type));
}

}  // namespace

std::string_view detail::value_bytes_view(const Value& v, std::string& scratch) {
    switch (v.kind) {
        case Kind::String:
        case Kind::Bytes:
        case Kind::Time:
        case Kind::Comment: return v.text;
        case Kind::Int: scratch = std::to_string(v.integer); return scratch;
        case Kind::Float: scratch = detail::go_format_float(v.number, 'f'); return scratch;
        case Kind::Bool: return v.boolean ? "True" : "False";
        default: throw Error(ErrorCode::ErrorEncryptingTree, "Could not convert value to bytes: unsupported type");
    }
}

std::string value_bytes(const Value& v) {
    std::string scratch;
    return std::string(detail::value_bytes_view(v, scratch));
}

IvStash::~IvStash() {
    for (auto& [k, iv] : entries_) wipe(const_cast<std::string&>(k));
}

std::string IvStash::key_of(std::string_view aad, const Value& plain) {
    std::string k(aad);
    k += '\x1f';
    k += type_name(plain.kind) ? type_name(plain.kind) : "?";
    k += '\x1f';
    k += value_bytes(plain);
    return k;
}

void IvStash::remember(std::string_view aad, const Value& plain, std::string iv) {
    std::string k = key_of(aad, plain);
    if (!entries_.try_emplace(std::move(k), std::move(iv)).second) wipe(k);  // k is untouched when not inserted
}

std::string_view IvStash::find(std::string_view aad, const Value& plain) const {
    std::string k = key_of(aad, plain);
    auto it = entries_.find(k);
    wipe(k);
    return it == entries_.end() ? std::string_view() : std::string_view(it->second);
}

// AES-256-GCM is Nettle's, not OpenSSL's: OpenSSL 3's first use of any cipher builds its
// name map and every cipher of the default provider (6 M instructions, half of a small
// decrypt); Nettle keys the cipher directly. Both use AES-NI and carry-less multiplication.
// The key schedule and GHASH key are set once; each value gets its own GCM state on the stack,
// so encrypt and decrypt may run on several threads at once.
struct ValueCipher::Impl {
    aes256_ctx aes;
    gcm_key hash_key;
    ~Impl() { sodium_memzero(this, sizeof *this); }
};

namespace {

// Fresh IVs come in batches: one getrandom(2) per value was a tenth of encrypting a file of
// small values, and the kernel's generator filling 32 bytes per IV still cost 6%. A batch is
// ChaCha20's keystream under a fresh 32-byte key from the kernel (libsodium's
// randombytes_buf_deterministic), the construction the kernel's own generator uses. IVs are
// public (written in the envelope); the pool is per thread, so a cipher stays usable from
// several threads at once. A forked child drops the pool it inherited: parent and child must
// never hand out the same IVs under one data key.
constexpr std::size_t kIvPoolSize = kIvSize * 512;

// The kernel's CSPRNG, with libsodium's own source where getrandom(2) is missing.
void fill_from_kernel(unsigned char* out, std::size_t size) {
    while (size > 0) {
        ssize_t n = getrandom(out, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            randombytes_buf(out, size);
            return;
        }
        out += n;
        size -= static_cast<std::size_t>(n);
    }
}
void fill_pool(unsigned char* out, std::size_t size) {
    unsigned char seed[randombytes_SEEDBYTES];
    fill_from_kernel(seed, sizeof seed);
    randombytes_buf_deterministic(out, size, seed);
    sodium_memzero(seed, sizeof seed);
}
thread_local std::array<unsigned char, kIvPoolSize> iv_pool{};
thread_local std::size_t iv_pool_used = kIvPoolSize;

std::string_view fresh_iv() {
    if (iv_pool_used + kIvSize > kIvPoolSize) {
        static std::once_flag at_fork;  // set before the first IV is handed out
        std::call_once(at_fork, [] { pthread_atfork(nullptr, nullptr, [] { iv_pool_used = kIvPoolSize; }); });
        fill_pool(iv_pool.data(), kIvPoolSize);
        iv_pool_used = 0;
    }
    std::string_view iv(reinterpret_cast<const char*>(iv_pool.data() + iv_pool_used), kIvSize);
    iv_pool_used += kIvSize;
    return iv;
}

// Decoded envelope pieces, reused from value to value on each thread (none holds plaintext).
struct DecodeBuffers {
    std::string data, iv, tag;
};
DecodeBuffers& decode_buffers() {
    thread_local DecodeBuffers buffers;
    return buffers;
}

}  // namespace

ValueCipher::ValueCipher(const SecureBytes& data_key) : impl_(std::make_unique<Impl>()) {
    if (data_key.size() != 32) throw Error(ErrorCode::CouldNotRetrieveKey, "the data key is not 32 bytes long");
    aes256_set_encrypt_key(&impl_->aes, data_key.data());
    gcm_set_key(&impl_->hash_key, &impl_->aes, aes256_blocks);
}

ValueCipher::~ValueCipher() = default;

std::string ValueCipher::encrypt(const Value& v, std::string_view aad, std::string_view iv_in) const {
    if (!type_name(v.kind)) throw Error(ErrorCode::ErrorEncryptingTree, "Value to encrypt has unsupported type");
    std::string scratch;
    std::string_view plain = detail::value_bytes_view(v, scratch);
    std::string env;
    encrypt_append(env, v.kind, plain, aad, iv_in);
    wipe(scratch);
    return env;
}

void ValueCipher::encrypt_append(std::string& out, Kind kind, std::string_view plain, std::string_view aad,
                                 std::string_view iv_in) const {
    const char* type = type_name(kind);
    if (!type) throw Error(ErrorCode::ErrorEncryptingTree, "Value to encrypt has unsupported type");
    if ((kind == Kind::String || kind == Kind::Comment || kind == Kind::Bytes) && plain.empty()) return;
    std::string_view iv = iv_in.size() == kIvSize ? iv_in : fresh_iv();
    // The ciphertext of a small value stays on the stack; it is public, so nothing to wipe.
    std::array<uint8_t, 1024> small;
    std::string large;
    uint8_t* sealed = small.data();
    if (plain.size() > small.size()) {
        large.resize(plain.size());
        sealed = reinterpret_cast<uint8_t*>(large.data());
    }
    std::array<uint8_t, kTagSize> tag{};
    gcm_ctx state;
    gcm_set_iv(&state, &impl_->hash_key, iv.size(), bytes(iv));
    gcm_update(&state, &impl_->hash_key, aad.size(), bytes(aad));
    gcm_encrypt(&state, &impl_->hash_key, &impl_->aes, aes256_blocks, plain.size(), sealed, bytes(plain));
    gcm_digest(&state, &impl_->hash_key, &impl_->aes, aes256_blocks, kTagSize, tag.data());
    sodium_memzero(&state, sizeof state);

    constexpr std::string_view kData = "ENC[AES256_GCM,data:", kIv = ",iv:", kTag = ",tag:", kType = ",type:";
    std::string_view type_text(type);
    std::size_t size = kData.size() + detail::base64_length(plain.size()) + kIv.size() + detail::base64_length(iv.size()) +
                       kTag.size() + detail::base64_length(kTagSize) + kType.size() + type_text.size() + 1;
    std::size_t at = out.size();
    out.resize(at + size);
    char* o = out.data() + at;
    auto put = [&o](std::string_view s) { o = std::copy(s.begin(), s.end(), o); };
    put(kData);
    o = detail::base64_encode_to(o, sealed, plain.size());
    put(kIv);
    o = detail::base64_encode_to(o, bytes(iv), iv.size());
    put(kTag);
    o = detail::base64_encode_to(o, tag.data(), kTagSize);
    put(kType);
    put(type_text);
    *o = ']';
}

Value ValueCipher::decrypt(std::string_view envelope, std::string_view aad, std::string* iv_out) const {
    if (envelope.empty()) return Value::string("");
    Envelope e;
    if (!parse_envelope(envelope, e)) fail("Could not decrypt value: input string does not match sops' data format");
    DecodeBuffers& buf = decode_buffers();
    if (!detail::base64_decode_into(e.data, buf.data)) fail("Could not decrypt value: Error base64-decoding data");
    if (!detail::base64_decode_into(e.iv, buf.iv)) fail("Could not decrypt value: Error base64-decoding iv");
    if (!detail::base64_decode_into(e.tag, buf.tag)) fail("Could not decrypt value: Error base64-decoding tag");
    if (buf.tag.size() != kTagSize || buf.iv.empty())
        fail("Could not decrypt value: Could not decrypt with AES_GCM: message authentication failed");
    std::string plain(buf.data.size(), '\0');
    uint8_t expected[kTagSize];
    gcm_ctx state;
    gcm_set_iv(&state, &impl_->hash_key, buf.iv.size(), bytes(buf.iv));
    gcm_update(&state, &impl_->hash_key, aad.size(), bytes(aad));
    gcm_decrypt(&state, &impl_->hash_key, &impl_->aes, aes256_blocks, buf.data.size(), reinterpret_cast<uint8_t*>(plain.data()),
                bytes(buf.data));
    gcm_digest(&state, &impl_->hash_key, &impl_->aes, aes256_blocks, kTagSize, expected);
    sodium_memzero(&state, sizeof state);
    if (!memeql_sec(expected, buf.tag.data(), kTagSize)) {
        wipe(plain);
        fail("Could not decrypt value: Could not decrypt with AES_GCM: message authentication failed");
    }
    if (iv_out) *iv_out = buf.iv;
    return typed_value(std::move(plain), e.type);
}

std::string ValueCipher::envelope_iv(std::string_view envelope) {
    Envelope e;
    if (!parse_envelope(envelope, e)) return {};
    return detail::base64_decode(e.iv).value_or("");
}

bool ValueCipher::is_envelope(std::string_view s) {
    Envelope e;
    return parse_envelope(s, e);
}

}  // namespace sopskit
