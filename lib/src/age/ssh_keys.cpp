// SSH key encodings: the wire format (RFC 4251 strings and mpints), authorized_keys lines and
// private key files (openssh-key-v1, and PKCS#1/PKCS#8 PEM through OpenSSL).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <cstdint>
#include <memory>

#include "age/ssh_internal.hpp"
#include "core/base64.hpp"
#include "core/text.hpp"
#include "sopskit/error.hpp"

namespace sopskit::age::detail {

namespace {

[[noreturn]] void bad_key(const std::string& what) { throw Error(ErrorCode::Generic, "malformed SSH key: " + what); }

constexpr std::size_t kMaxRsaBytes = 16384 / 8;  // as Go's crypto/rsa: larger keys are refused

// Reads RFC 4251 fields from a byte string; any overrun is a malformed key.
class WireReader {
public:
    explicit WireReader(std::string_view in) : in_(in) {}
    std::uint32_t u32() {
        if (in_.size() - pos_ < 4) bad_key("truncated");
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(in_[pos_ + i]);
        pos_ += 4;
        return v;
    }
    std::string_view string() {
        std::uint32_t n = u32();
        if (in_.size() - pos_ < n) bad_key("truncated");
        std::string_view s = in_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    // A non-negative mpint as a magnitude without leading zeros.
    std::string_view mpint() {
        std::string_view s = string();
        if (!s.empty() && (static_cast<unsigned char>(s[0]) & 0x80)) bad_key("negative integer");
        while (!s.empty() && s[0] == '\0') s.remove_prefix(1);
        return s;
    }
    std::string_view rest() const { return in_.substr(pos_); }
    bool done() const { return pos_ == in_.size(); }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

void put_u32(std::string& out, std::size_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void put_string(std::string& out, std::string_view s) {
    put_u32(out, s.size());
    out += s;
}
void put_mpint(std::string& out, std::string_view magnitude) {
    bool pad = !magnitude.empty() && (static_cast<unsigned char>(magnitude[0]) & 0x80);
    put_u32(out, magnitude.size() + (pad ? 1 : 0));
    if (pad) out += '\0';
    out += magnitude;
}

SshPublicKey ed25519_public(std::string_view point) {
    if (point.size() != crypto_sign_PUBLICKEYBYTES) bad_key("invalid Ed25519 public key length");
    SshPublicKey k{"ssh-ed25519", {}, std::string(point), {}, {}};
    put_string(k.blob, k.type);
    put_string(k.blob, point);
    return k;
}

SshPublicKey rsa_public(std::string_view e, std::string_view n) {
    // Go's ssh package: the exponent fits 24 bits, is odd and at least 3.
    if (e.empty() || e.size() > 3) bad_key("RSA exponent out of range");
    std::uint32_t ev = 0;
    for (char c : e) ev = ev << 8 | static_cast<unsigned char>(c);
    if (ev < 3 || (ev & 1) == 0) bad_key("incorrect RSA exponent");
    if (n.empty() || n.size() > kMaxRsaBytes) bad_key("RSA modulus size out of range");
    SshPublicKey k{"ssh-rsa", {}, {}, std::string(e), std::string(n)};
    put_string(k.blob, k.type);
    put_mpint(k.blob, e);
    put_mpint(k.blob, n);
    return k;
}

// The base64 body of a PEM block labelled `label`; nullopt when `pem` is another block.
std::optional<std::string> pem_body(std::string_view pem, std::string_view label) {
    std::string begin = "-----BEGIN " + std::string(label) + "-----";
    std::string end = "-----END " + std::string(label) + "-----";
    std::size_t b = pem.find(begin);
    if (b == std::string_view::npos) return std::nullopt;
    std::size_t e = pem.find(end, b + begin.size());
    if (e == std::string_view::npos) bad_key("PEM block without its END line");
    std::string b64;
    for (char c : pem.substr(b + begin.size(), e - b - begin.size()))
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64 += c;
    auto decoded = sopskit::detail::base64_decode(b64);
    wipe(b64);  // the private key, encoded
    if (!decoded) bad_key("PEM body is not base64");
    return decoded;
}

SshPrivateKey parse_openssh_v1(std::string data) {
    static constexpr std::string_view kMagic{"openssh-key-v1\0", 15};
    WipeOnExit wiper{data};
    if (std::string_view(data).substr(0, kMagic.size()) != kMagic) bad_key("not an openssh-key-v1 key");
    WireReader r(std::string_view(data).substr(kMagic.size()));
    std::string_view cipher = r.string();
    std::string_view kdf = r.string();
    r.string();  // kdf options
    if (r.u32() != 1) bad_key("a key file must hold exactly one key");
    std::string_view pub_blob = r.string();
    std::string_view priv = r.string();
    if (!r.done()) bad_key("trailing data");

    SshPrivateKey key;
    key.pub = parse_ssh_public_blob(pub_blob);
    if (cipher != "none" || kdf != "none") {
        key.encrypted = true;
        return key;
    }
    WireReader p(priv);
    if (p.u32() != p.u32()) bad_key("check bytes mismatch");
    std::string_view type = p.string();
    if (type != key.pub.type) bad_key("private and public key types differ");
    if (type == "ssh-ed25519") {
        std::string_view point = p.string();
        std::string_view secret = p.string();  // seed || point
        if (point != key.pub.ed25519 || secret.size() != crypto_sign_SECRETKEYBYTES ||
            secret.substr(crypto_sign_SEEDBYTES) != point)
            bad_key("inconsistent Ed25519 key");
        key.ed25519_seed = SecureBytes::from(secret.substr(0, crypto_sign_SEEDBYTES));
        // The seed must give the stated public key: a damaged file fails here, not at unwrap.
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        SecureBytes sk(crypto_sign_SECRETKEYBYTES);
        crypto_sign_seed_keypair(pk, sk.data(), key.ed25519_seed.data());
        if (std::string_view(reinterpret_cast<const char*>(pk), sizeof pk) != point) bad_key("inconsistent Ed25519 key");
    } else {
        std::string_view n = p.mpint(), e = p.mpint();
        if (n != key.pub.rsa_n || e != key.pub.rsa_e) bad_key("inconsistent RSA key");
        key.rsa_d = SecureBytes::from(p.mpint());
        key.rsa_iqmp = SecureBytes::from(p.mpint());
        key.rsa_p = SecureBytes::from(p.mpint());
        key.rsa_q = SecureBytes::from(p.mpint());
        if (key.rsa_d.empty() || key.rsa_p.empty() || key.rsa_q.empty()) bad_key("invalid RSA key");
    }
    p.string();  // comment
    std::string_view padding = p.rest();
    if (padding.size() >= 8) bad_key("invalid padding");
    for (std::size_t i = 0; i < padding.size(); ++i)
        if (static_cast<unsigned char>(padding[i]) != i + 1) bad_key("invalid padding");
    return key;
}

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};

SecureBytes bn_param(EVP_PKEY* pkey, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) bad_key("incomplete RSA key");
    SecureBytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, out.data());
    BN_clear_free(bn);
    return out;
}

// PKCS#1 ("RSA PRIVATE KEY") and PKCS#8 ("PRIVATE KEY") as Go's ssh.ParseRawPrivateKey reads them.
SshPrivateKey parse_pem_with_openssl(std::string_view pem) {
    if (pem.find("ENCRYPTED") != std::string_view::npos)
        throw Error(ErrorCode::Generic, "the SSH key is passphrase-protected, and its public key is not in the file");
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    // No passphrase callback may prompt: an encrypted key just fails.
    auto no_passphrase = [](char*, int, int, void*) -> int { return -1; };
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!pkey) bad_key("not a PEM private key OpenSSH or OpenSSL can read");
    SshPrivateKey key;
    if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
        key.ed25519_seed = SecureBytes(crypto_sign_SEEDBYTES);
        std::size_t len = key.ed25519_seed.size();
        if (EVP_PKEY_get_raw_private_key(pkey.get(), key.ed25519_seed.data(), &len) != 1 || len != crypto_sign_SEEDBYTES)
            bad_key("invalid Ed25519 key");
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        SecureBytes sk(crypto_sign_SECRETKEYBYTES);
        crypto_sign_seed_keypair(pk, sk.data(), key.ed25519_seed.data());
        key.pub = ed25519_public(std::string_view(reinterpret_cast<const char*>(pk), sizeof pk));
        return key;
    }
    if (!EVP_PKEY_is_a(pkey.get(), "RSA")) throw Error(ErrorCode::Generic, "unsupported SSH identity type (age takes ssh-ed25519 and ssh-rsa)");
    SecureBytes n = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N), e = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
    key.pub = rsa_public(e.view(), n.view());
    key.rsa_d = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_D);
    key.rsa_p = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR1);
    key.rsa_q = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR2);
    key.rsa_iqmp = bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    return key;
}

}  // namespace

SshPublicKey parse_ssh_public_blob(std::string_view blob) {
    WireReader r(blob);
    std::string_view type = r.string();
    SshPublicKey k;
    if (type == "ssh-ed25519") {
        k = ed25519_public(r.string());
    } else if (type == "ssh-rsa") {
        std::string_view e = r.mpint();
        std::string_view n = r.mpint();
        k = rsa_public(e, n);
    } else {
        throw Error(ErrorCode::Generic, "unknown SSH key type \"" + sopskit::detail::trim(std::string(type.substr(0, 40))) +
                                            "\" (age takes ssh-ed25519 and ssh-rsa)");
    }
    if (!r.done()) bad_key("trailing data in public key");
    return k;
}

SshPublicKey parse_ssh_authorized_key(std::string_view line) {
    std::string text = sopskit::detail::trim(line);
    std::size_t sp = text.find_first_of(" \t");
    if (sp == std::string::npos) bad_key("expected '<type> <base64> [comment]'");
    std::size_t start = text.find_first_not_of(" \t", sp);
    std::size_t stop = text.find_first_of(" \t", start);
    auto blob = sopskit::detail::base64_decode(text.substr(start, stop == std::string::npos ? std::string::npos : stop - start));
    if (!blob) bad_key("public key is not base64");
    return parse_ssh_public_blob(*blob);
}

SshPrivateKey parse_ssh_private_key(std::string_view pem) {
    if (auto body = pem_body(pem, "OPENSSH PRIVATE KEY")) return parse_openssh_v1(std::move(*body));
    if (pem.find("-----BEGIN ") == std::string_view::npos) bad_key("no PEM block");
    return parse_pem_with_openssl(pem);
}

std::string ssh_fingerprint(std::string_view blob) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(blob.data()), blob.size());
    return b64_raw_encode(std::string_view(reinterpret_cast<const char*>(h), 4));
}

}  // namespace sopskit::age::detail
