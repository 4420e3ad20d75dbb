#include "sopskit/secure.hpp"

#include <sodium.h>

#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

namespace sopskit {

namespace {
void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium could not be initialised");
}
}  // namespace

SecureBytes::SecureBytes(std::size_t size) : size_(size) {
    ensure_sodium();
    if (size == 0) return;
    data_ = static_cast<std::uint8_t*>(sodium_malloc(size));
    if (!data_) throw std::bad_alloc();
    sodium_memzero(data_, size);
}

SecureBytes::SecureBytes(const std::uint8_t* data, std::size_t size) : SecureBytes(size) {
    if (size) std::memcpy(data_, data, size);
}

SecureBytes SecureBytes::from(std::string_view s) {
    return SecureBytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

SecureBytes SecureBytes::random(std::size_t size) {
    SecureBytes b(size);
    if (size) randombytes_buf(b.data_, size);
    return b;
}

SecureBytes::SecureBytes(SecureBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecureBytes& SecureBytes::operator=(SecureBytes&& other) noexcept {
    if (this != &other) {
        if (data_) sodium_free(data_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SecureBytes::~SecureBytes() {
    if (data_) sodium_free(data_);  // sodium_free zeroes before unmapping
}

SecureBytes SecureBytes::clone() const { return SecureBytes(data_, size_); }

bool SecureBytes::equals(const SecureBytes& other) const noexcept {
    return constant_time_equal(view(), other.view());
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sopskit
