// How the OpenPGP reader refuses input. Malformed input is an Error; input that is well formed
// but outside what sopskit reads itself (another cipher, AEAD, signatures, ...) is Unsupported,
// which the PGP key source answers by running gpg instead.
#pragma once
#include <string>

#include "sopskit/error.hpp"

namespace sopskit::detail::openpgp {

class Unsupported : public Error {
public:
    explicit Unsupported(const std::string& what) : Error(ErrorCode::Generic, "unsupported OpenPGP message: " + what) {}
};

[[noreturn]] inline void malformed(const std::string& what) { throw Error(ErrorCode::Generic, "malformed OpenPGP message: " + what); }
[[noreturn]] inline void unsupported(const std::string& what) { throw Unsupported(what); }

}  // namespace sopskit::detail::openpgp
