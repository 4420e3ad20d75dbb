// OpenPGP's multiprecision integers (RFC 9580 section 3.2): a two-octet bit count, then the
// value in whole octets, big-endian.
#pragma once
#include <optional>
#include <string_view>

namespace sopskit::detail::openpgp {

// The value of the MPI at the start of `in`, which is advanced past it; nullopt (and `in`
// unchanged) when the MPI runs past the data.
inline std::optional<std::string_view> read_mpi(std::string_view& in) {
    if (in.size() < 2) return std::nullopt;
    std::size_t bits = static_cast<std::size_t>(static_cast<unsigned char>(in[0])) << 8 | static_cast<unsigned char>(in[1]);
    std::size_t bytes = (bits + 7) / 8;
    if (in.size() - 2 < bytes) return std::nullopt;
    std::string_view value = in.substr(2, bytes);
    in.remove_prefix(2 + bytes);
    return value;
}

}  // namespace sopskit::detail::openpgp
