// Shared bits of the fuzz targets: the bytes as text, and the one rule every target keeps:
// sopskit::Error is the documented way to refuse input; anything else escaping (another
// exception, a crash, a sanitizer report) is a bug.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sopskit/error.hpp"

namespace sopskit::fuzz {

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

template <typename F>
void refusing_is_fine(F&& f) {
    try {
        f();
    } catch (const Error&) {
    }
}

}  // namespace sopskit::fuzz
