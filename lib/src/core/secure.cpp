#include "sopskit/secure.hpp"

#include <sodium.h>

#include <cstring>
#include <mutex>
#include <vector>
#include <new>
#include <stdexcept>
#include <utility>

namespace sopskit {

namespace {
void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium could not be initialised");
}

// Keys are small and short-lived, and sodium_malloc costs several system calls (mmap, mlock,
// mprotect) per buffer. Small buffers therefore come from locked 64 KiB arenas (themselves
// sodium_malloc'ed) cut into 128-byte slots; slots are zeroed when returned.
class SmallSecretPool {
public:
    static constexpr std::size_t kSlot = 128;
    static constexpr std::size_t kArena = 64 * 1024;

    std::uint8_t* take() {
        std::lock_guard<std::mutex> lock(mu_);
        if (free_.empty()) grow();
        std::uint8_t* p = free_.back();
        free_.pop_back();
        return p;
    }
    void give_back(std::uint8_t* p) {
        sodium_memzero(p, kSlot);
        std::lock_guard<std::mutex> lock(mu_);
        free_.push_back(p);
    }

private:
    void grow() {
        auto* arena = static_cast<std::uint8_t*>(sodium_malloc(kArena));
        if (!arena) throw std::bad_alloc();
        sodium_memzero(arena, kArena);
        arenas_.push_back(arena);
        for (std::size_t off = 0; off + kSlot <= kArena; off += kSlot) free_.push_back(arena + off);
    }
    mutable std::mutex mu_;
    std::vector<std::uint8_t*> arenas_;  // never freed: reused for the life of the process
    std::vector<std::uint8_t*> free_;
};

SmallSecretPool& pool() {
    static auto* p = new SmallSecretPool();  // outlives every static SecureBytes
    return *p;
}

std::uint8_t* allocate(std::size_t size) {
    if (size <= SmallSecretPool::kSlot) return pool().take();
    auto* p = static_cast<std::uint8_t*>(sodium_malloc(size));
    if (!p) throw std::bad_alloc();
    return p;
}

void release(std::uint8_t* p, std::size_t size) {
    if (size <= SmallSecretPool::kSlot) pool().give_back(p);
    else sodium_free(p);  // zeroes before unmapping
}
}  // namespace

SecureBytes::SecureBytes(std::size_t size) : size_(size) {
    ensure_sodium();
    if (size == 0) return;
    data_ = allocate(size);
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
        if (data_) release(data_, size_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SecureBytes::~SecureBytes() {
    if (data_) release(data_, size_);
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
