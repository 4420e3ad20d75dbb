// Byte buffers for key material and plaintext: locked, guarded and zeroed on release.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace sopskit {

// A fixed-size buffer from libsodium's guarded heap (mlock'ed where the OS allows,
// zeroed when freed). Move-only.
class SecureBytes {
public:
    SecureBytes() = default;
    explicit SecureBytes(std::size_t size);
    SecureBytes(const std::uint8_t* data, std::size_t size);
    static SecureBytes from(std::string_view s);
    // `size` bytes from the system's CSPRNG.
    static SecureBytes random(std::size_t size);
    SecureBytes(SecureBytes&& other) noexcept;
    SecureBytes& operator=(SecureBytes&& other) noexcept;
    SecureBytes(const SecureBytes&) = delete;
    SecureBytes& operator=(const SecureBytes&) = delete;
    ~SecureBytes();

    SecureBytes clone() const;
    std::uint8_t* data() noexcept { return data_; }
    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
    // Constant-time equality.
    bool equals(const SecureBytes& other) const noexcept;

private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// Overwrites a string's buffer (up to its capacity) with zeros.
void wipe(std::string& s) noexcept;

// Wipes a string, each string of a container, or each value of a map, nested to any depth (a
// map's keys are names and are left alone).
template <class Strings>
void wipe_all(Strings& strings) noexcept {
    if constexpr (std::is_same_v<Strings, std::string>) {
        wipe(strings);
    } else if constexpr (requires { strings.second; }) {
        wipe_all(strings.second);
    } else {
        for (auto& s : strings) wipe_all(s);
    }
}

// wipe_all() however the scope is left: for plaintext or key text held in ordinary strings on
// the way to or from secure memory.
template <class Strings>
class WipeOnExit {
public:
    explicit WipeOnExit(Strings& strings) noexcept : strings_(strings) {}
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;
    ~WipeOnExit() { wipe_all(strings_); }

private:
    Strings& strings_;
};

// Constant-time comparison of two equal-length byte ranges; false when lengths differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace sopskit
