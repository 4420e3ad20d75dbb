#include "sopskit/cipher.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <re2/re2.h>

#include "core/base64.hpp"
#include "core/go_format.hpp"
#include "core/value_bytes.hpp"
#include "sopskit/error.hpp"

namespace sopskit {

namespace {

constexpr std::size_t kIvSize = 32;  // sops' non-standard GCM nonce length
constexpr std::size_t kTagSize = 16;

struct CtxDeleter {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

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

struct ValueCipher::Impl {
    Ctx enc{EVP_CIPHER_CTX_new()};
    Ctx dec{EVP_CIPHER_CTX_new()};
    // Fresh IVs come from the CSPRNG in batches: one getrandom(2) per value was a tenth of
    // encrypting a file of small values. IVs are public (written in the envelope).
    std::array<unsigned char, 32 * 128> iv_pool{};
    std::size_t iv_pool_used = 32 * 128;
    // Buffers reused from value to value (ciphertext, decoded pieces); none holds plaintext.
    std::string cipher_text, raw_data, raw_iv, raw_tag;
    std::size_t dec_iv_length = kIvSize;  // the decrypting context's IV length, set when it changes

    std::string_view fresh_iv() {
        if (iv_pool_used + kIvSize > iv_pool.size()) {
            randombytes_buf(iv_pool.data(), iv_pool.size());
            iv_pool_used = 0;
        }
        std::string_view iv(reinterpret_cast<const char*>(iv_pool.data() + iv_pool_used), kIvSize);
        iv_pool_used += kIvSize;
        return iv;
    }
};

ValueCipher::ValueCipher(const SecureBytes& data_key) : impl_(std::make_unique<Impl>()) {
    if (data_key.size() != 32) throw Error(ErrorCode::CouldNotRetrieveKey, "the data key is not 32 bytes long");
    if (!impl_->enc || !impl_->dec) throw std::bad_alloc();
    for (EVP_CIPHER_CTX* c : {impl_->enc.get(), impl_->dec.get()}) {
        bool encrypting = c == impl_->enc.get();
        if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypting ? 1 : 0) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) != 1 ||
            EVP_CipherInit_ex(c, nullptr, nullptr, data_key.data(), nullptr, encrypting ? 1 : 0) != 1)
            throw Error(ErrorCode::Generic, "could not initialise AES-256-GCM");
    }
}

ValueCipher::~ValueCipher() = default;

std::string ValueCipher::encrypt(const Value& v, std::string_view aad, std::string_view iv_in) const {
    const char* type = type_name(v.kind);
    if (!type) throw Error(ErrorCode::ErrorEncryptingTree, "Value to encrypt has unsupported type");
    if ((v.kind == Kind::String || v.kind == Kind::Comment || v.kind == Kind::Bytes) && v.text.empty()) return "";
    std::string scratch;
    std::string_view plain = detail::value_bytes_view(v, scratch);
    std::string_view iv = iv_in.size() == kIvSize ? iv_in : impl_->fresh_iv();
    EVP_CIPHER_CTX* c = impl_->enc.get();
    std::string& out = impl_->cipher_text;
    out.resize(plain.size());
    std::array<char, kTagSize> tag{};
    int len = 0;
    bool ok = EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, reinterpret_cast<const unsigned char*>(iv.data())) == 1 &&
              EVP_EncryptUpdate(c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size())) == 1 &&
              EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &len,
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size())) == 1 &&
              EVP_EncryptFinal_ex(c, nullptr, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTagSize, tag.data()) == 1;
    wipe(scratch);
    if (!ok) throw Error(ErrorCode::ErrorEncryptingTree, "AES-256-GCM encryption failed");
    std::string env;
    env.reserve(64 + (out.size() + 2) / 3 * 4 + (kIvSize + 2) / 3 * 4 + (kTagSize + 2) / 3 * 4);
    env += "ENC[AES256_GCM,data:";
    detail::base64_encode_append(env, out);
    env += ",iv:";
    detail::base64_encode_append(env, iv);
    env += ",tag:";
    detail::base64_encode_append(env, std::string_view(tag.data(), tag.size()));
    env += ",type:";
    env += type;
    env += ']';
    return env;
}

Value ValueCipher::decrypt(std::string_view envelope, std::string_view aad, std::string* iv_out) const {
    if (envelope.empty()) return Value::string("");
    Envelope e;
    if (!parse_envelope(envelope, e)) fail("Could not decrypt value: input string does not match sops' data format");
    std::string* data = &impl_->raw_data;
    std::string* iv = &impl_->raw_iv;
    std::string* tag = &impl_->raw_tag;
    if (!detail::base64_decode_into(e.data, *data)) fail("Could not decrypt value: Error base64-decoding data");
    if (!detail::base64_decode_into(e.iv, *iv)) fail("Could not decrypt value: Error base64-decoding iv");
    if (!detail::base64_decode_into(e.tag, *tag)) fail("Could not decrypt value: Error base64-decoding tag");
    if (tag->size() != kTagSize || iv->empty()) fail("Could not decrypt value: Could not decrypt with AES_GCM: message authentication failed");
    EVP_CIPHER_CTX* c = impl_->dec.get();
    std::string plain(data->size(), '\0');
    int len = 0;
    if (iv->size() != impl_->dec_iv_length) {
        if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv->size()), nullptr) != 1)
            fail("Could not decrypt value: Could not decrypt with AES_GCM: message authentication failed");
        impl_->dec_iv_length = iv->size();
    }
    bool ok = EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, reinterpret_cast<const unsigned char*>(iv->data())) == 1 &&
              EVP_DecryptUpdate(c, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()), static_cast<int>(aad.size())) == 1 &&
              EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(plain.data()), &len,
                                reinterpret_cast<const unsigned char*>(data->data()), static_cast<int>(data->size())) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTagSize, tag->data()) == 1 &&
              EVP_DecryptFinal_ex(c, nullptr, &len) == 1;
    if (!ok) {
        wipe(plain);
        fail("Could not decrypt value: Could not decrypt with AES_GCM: message authentication failed");
    }
    if (iv_out) *iv_out = *iv;
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
