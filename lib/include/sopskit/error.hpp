// One error type for the whole library; the code maps to sops' numeric exit codes.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace sopskit {

// Values are sops' exit codes (cmd/sops/codes/codes.go), so the CLI can exit with them as-is.
enum class ErrorCode : int {
    Generic = 1,
    CannotReadInput = 2,
    CannotWriteOutput = 3,
    ErrorDumpingTree = 4,
    ErrorReadingConfig = 5,
    InvalidKmsEncryptionContext = 6,
    InvalidSetFormat = 7,
    ConflictingParameters = 8,
    ErrorEncryptingMac = 21,
    ErrorEncryptingTree = 23,
    ErrorDecryptingMac = 24,
    ErrorDecryptingTree = 25,
    CannotChangeKeysFromNonExistentFile = 49,
    MacMismatch = 51,
    MacNotFound = 52,
    ConfigFileNotFound = 61,
    KeyboardInterrupt = 85,
    InvalidTreePathFormat = 91,
    NeedAtLeastOneDocument = 92,
    NoFileSpecified = 100,
    CouldNotRetrieveKey = 128,
    NoEncryptionKeyFound = 111,
    DuplicateDecryptionKeyType = 112,
    FileHasNotBeenModified = 200,
    NoEditorFound = 201,
    FailedToCompareVersions = 202,
    FileAlreadyEncrypted = 203,
};

// An error with a sops exit code. Messages never contain plaintext or key material.
class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }
    int exit_code() const noexcept { return static_cast<int>(code_); }

private:
    ErrorCode code_;
};

// `text` made safe for one line of a terminal or log: control bytes (CR, LF, tab, ESC, ...) and
// DEL become \r, \n, \t and \xNN, so text from a file or a server cannot forge log lines or
// send terminal escape sequences. Other bytes (UTF-8 included) are kept.
inline std::string escape_control_chars(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) out += ch;
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else out += std::string{'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
    return out;
}

}  // namespace sopskit
