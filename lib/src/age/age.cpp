// age's public operations: identities, encrypt, decrypt, and sops' key discovery.
#include "sopskit/age.hpp"

#include <sodium.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>

#include "age/age_internal.hpp"
#include "core/command_words.hpp"
#include "core/subprocess.hpp"
#include "core/text.hpp"
#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"

namespace sopskit::age {

namespace {

constexpr std::string_view kIdentityHrp = "age-secret-key-";
constexpr std::string_view kRecipientHrp = "age";


std::string recipient_bytes(std::string_view recipient) {
    auto decoded = detail::bech32_decode(recipient);
    if (!decoded || decoded->first != kRecipientHrp || decoded->second.size() != crypto_scalarmult_BYTES)
        throw Error(ErrorCode::Generic, "failed to parse input as Bech32-encoded age public key: " + std::string(recipient));
    return decoded->second;
}

}  // namespace

X25519Identity X25519Identity::from_secret(SecureBytes secret) {
    std::string pub(crypto_scalarmult_BYTES, '\0');
    crypto_scalarmult_base(reinterpret_cast<unsigned char*>(pub.data()), secret.data());
    return {std::move(secret), std::move(pub)};
}

X25519Identity X25519Identity::generate() { return from_secret(SecureBytes::random(crypto_scalarmult_SCALARBYTES)); }

X25519Identity X25519Identity::parse(std::string_view text) {
    auto decoded = detail::bech32_decode(sopskit::detail::trim(text));
    if (!decoded || decoded->first != kIdentityHrp || decoded->second.size() != crypto_scalarmult_SCALARBYTES) {
        if (decoded) sodium_memzero(decoded->second.data(), decoded->second.size());
        throw Error(ErrorCode::Generic, "malformed age identity (expected AGE-SECRET-KEY-1...)");
    }
    X25519Identity id = from_secret(SecureBytes::from(decoded->second));
    sodium_memzero(decoded->second.data(), decoded->second.size());
    return id;
}

std::string X25519Identity::encode() const {
    std::string s = detail::bech32_encode(std::string(kIdentityHrp), secret.view());
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string X25519Identity::recipient() const {
    return detail::bech32_encode(std::string(kRecipientHrp), public_key);
}

void IdentitySet::add_from_text(std::string_view text, std::string_view where) {
    std::size_t start = 0, line_no = 0;
    while (start <= text.size()) {
        std::size_t nl = text.find('\n', start);
        std::string line = sopskit::detail::trim(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        if (line.empty() || line[0] == '#') continue;
        // A line that cannot be used costs only itself: the others still decrypt.
        try {
            if (line.rfind("AGE-PLUGIN-", 0) == 0) add(parse_plugin_identity(line));
            else if (looks_like_hybrid_identity(line)) add(HybridIdentity::parse(line));
            else if (line.rfind("AGE-SECRET-KEY-1", 0) == 0) add(X25519Identity::parse(line));
            else throw Error(ErrorCode::Generic, "unknown identity type");
        } catch (const Error& e) {
            add_problem(std::string(where) + ": line " + std::to_string(line_no) + ": " + e.what());
        }
        wipe(line);
    }
}

IdentitySet IdentitySet::clone() const {
    IdentitySet c;
    for (const auto& id : x25519_) c.add(id.clone());
    for (const auto& id : hybrid_) c.add(id.clone());
    for (const auto& p : passphrases_) c.passphrases_.push_back(p.clone());
    c.others_ = others_;  // immutable once loaded: shared
    c.problems_ = problems_;
    return c;
}

bool is_valid_recipient(std::string_view recipient) {
    if (detail::hybrid_recipient_bytes(recipient)) return true;
    if (detail::is_other_recipient(recipient)) return true;
    try {
        recipient_bytes(recipient);
        return true;
    } catch (const Error&) {
        return false;
    }
}

std::string encrypt(std::string_view plaintext, const std::vector<std::string>& recipients, bool armor) {
    if (recipients.empty()) throw Error(ErrorCode::Generic, "age: no recipients");
    SecureBytes file_key = SecureBytes::random(detail::kFileKeySize);
    std::vector<detail::Stanza> stanzas;
    std::size_t hybrid = 0;
    for (const auto& r : recipients) {
        if (auto pq = detail::hybrid_recipient_bytes(r)) {
            stanzas.push_back(detail::hybrid_wrap(file_key, *pq));
            ++hybrid;
        } else if (auto other = detail::wrap_other(file_key, r)) {
            stanzas.insert(stanzas.end(), other->begin(), other->end());
        } else {
            stanzas.push_back(detail::x25519_wrap(file_key, recipient_bytes(r)));
        }
    }
    if (hybrid != 0 && hybrid != recipients.size())
        throw Error(ErrorCode::Generic, "age: can't mix post-quantum and classic recipients in one file");
    std::string header = detail::header_without_mac(stanzas);
    SecureBytes mac_key = detail::hkdf_sha256(file_key.view(), "", "header");
    std::string file = header + " " + detail::b64_raw_encode(detail::hmac_sha256(mac_key.view(), header)) + "\n";
    file += detail::stream_encrypt(file_key, plaintext);
    return armor ? detail::armor(file) : file;
}

namespace {

// SSH and plugin identities, after the native ones as age orders them. One that cannot run (a
// missing plugin, a protected key) does not stop the others; its error is the answer only
// when none of them opens the file.
std::optional<SecureBytes> unwrap_with_others(const std::vector<detail::Stanza>& stanzas, const IdentitySet& ids) {
    std::string errors;
    for (const auto& id : ids.others()) {
        try {
            if (auto key = id->unwrap(stanzas)) return key;
        } catch (const Error& e) {
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    if (!errors.empty()) throw Error(ErrorCode::Generic, errors);
    return std::nullopt;
}

}  // namespace

bool decrypt_streaming(std::string_view input, const IdentitySet& ids, std::string& released) {
    std::string dearmored;
    if (detail::looks_armored(input)) {
        dearmored = detail::dearmor(input);
        input = dearmored;
    }
    detail::Header h = detail::parse_header(input);
    bool has_scrypt = false;
    for (const auto& s : h.stanzas) has_scrypt |= s.type == "scrypt";
    if (has_scrypt && h.stanzas.size() != 1) detail::header_failure("an scrypt stanza must be alone in the header");

    std::optional<SecureBytes> file_key;
    for (const auto& s : h.stanzas) {
        for (const auto& id : ids.x25519())
            if ((file_key = detail::x25519_unwrap(s, id))) break;
        if (file_key) break;
        for (const auto& id : ids.hybrid())
            if ((file_key = detail::hybrid_unwrap(s, id))) break;
        if (file_key) break;
        for (const auto& p : ids.passphrases())
            if ((file_key = detail::scrypt_unwrap(s, p))) break;
        if (file_key) break;
    }
    if (!file_key) file_key = unwrap_with_others(h.stanzas, ids);
    if (!file_key) return false;

    SecureBytes mac_key = detail::hkdf_sha256(file_key->view(), "", "header");
    std::string expected = detail::hmac_sha256(mac_key.view(), input.substr(0, h.mac_input_end));
    if (!constant_time_equal(expected, h.mac)) throw Error(ErrorCode::Generic, "age: header MAC mismatch");
    detail::stream_decrypt(*file_key, input.substr(h.payload_start), released);
    return true;
}

std::optional<SecureBytes> decrypt(std::string_view file, const IdentitySet& ids) {
    std::string plain;
    WipeOnExit plain_wiper{plain};
    if (!decrypt_streaming(file, ids, plain)) return std::nullopt;
    return SecureBytes::from(plain);
}

std::vector<std::string> recipients_from_string(std::string_view list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string r = sopskit::detail::trim(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!r.empty()) out.push_back(std::move(r));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

namespace {

// Output of SOPS_AGE_KEY_CMD (or SOPS_AGE_SSH_PRIVATE_KEY_CMD), as sops runs it: split into
// words as a shell would quote them (shlex), run without a shell with SOPS_AGE_RECIPIENT set,
// standard output taken. Throws Error with sops' "failed to parse command" / "failed to
// execute command" texts.
std::string run_key_command(const std::string& cmd, std::string_view recipient) {
    auto words = sopskit::detail::split_command_words(cmd);
    if (!words || words->empty())
        throw Error(ErrorCode::CouldNotRetrieveKey, "failed to parse command " + cmd + ": " + (words ? "no program named" : "unterminated quote or escape"));
    const char* path = std::getenv("PATH");
    if (words->front().find('/') == std::string::npos && sopskit::detail::find_program(words->front(), path ? path : "").empty())
        throw Error(ErrorCode::CouldNotRetrieveKey,
                    "failed to execute command " + cmd + ": exec: \"" + words->front() + "\": executable file not found in $PATH");
    std::vector<std::pair<std::string, std::string>> env;
    if (!recipient.empty()) env.emplace_back("SOPS_AGE_RECIPIENT", std::string(recipient));
    sopskit::detail::ProgramResult r;
    try {
        // sops waits as long as the command takes (it may ask for a passphrase); a day bounds it.
        r = sopskit::detail::run_program(*words, env, 24L * 3600 * 1000, max_input_size());
    } catch (const std::runtime_error& e) {
        throw Error(ErrorCode::CouldNotRetrieveKey, "failed to execute command " + cmd + ": " + e.what());
    }
    wipe(r.err);
    if (r.exit_code != 0) {
        wipe(r.out);
        throw Error(ErrorCode::CouldNotRetrieveKey, "failed to execute command " + cmd + ": " +
                                                        (r.exit_code < 0 ? std::string("signal: killed") : "exit status " + std::to_string(r.exit_code)));
    }
    return std::move(r.out);
}

std::string default_keys_file() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::string(xdg) + "/sops/age/keys.txt";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.config/sops/age/keys.txt";
    return {};
}

void add_text(IdentitySet& ids, std::string text, const std::string& source, bool several_per_line = false) {
    // SOPS_AGE_KEY may hold several keys on one line, separated by spaces.
    if (several_per_line)
        for (char& c : text)
            if (c == ' ' || c == '\t') c = '\n';
    ids.add_from_text(text, source);
    wipe(text);
}

// One SSH private key; a key that cannot be read or parsed is recorded and skipped, as sops does.
void add_ssh_key(IdentitySet& ids, const std::string& where, const std::function<std::string()>& read) {
    std::string text;
    try {
        text = read();
        ids.add(parse_ssh_identity(text));
    } catch (const Error& e) {
        ids.add_problem(where + ": " + e.what());
    }
    wipe(text);
}

// sops' order: SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD, then both of
// ~/.ssh/id_ed25519 and ~/.ssh/id_rsa when they exist.
void add_ssh_identities(IdentitySet& ids, std::string_view recipient) {
    if (const char* file = std::getenv("SOPS_AGE_SSH_PRIVATE_KEY_FILE"))
        add_ssh_key(ids, std::string("SOPS_AGE_SSH_PRIVATE_KEY_FILE (") + file + ")", [&] { return read_input(file); });
    if (const char* cmd = std::getenv("SOPS_AGE_SSH_PRIVATE_KEY_CMD"); cmd && *cmd)
        add_ssh_key(ids, "SOPS_AGE_SSH_PRIVATE_KEY_CMD", [&] { return run_key_command(cmd, recipient); });
    const char* home = std::getenv("HOME");
    if (!home || !*home) return;
    for (const char* name : {"id_ed25519", "id_rsa"}) {
        std::string path = std::string(home) + "/.ssh/" + name;
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) add_ssh_key(ids, path, [&] { return read_input(path); });
    }
}

}  // namespace

IdentitySet load_identities_from_environment(std::string_view recipient) {
    IdentitySet ids;
    add_ssh_identities(ids, recipient);
    if (const char* key = std::getenv("SOPS_AGE_KEY"); key && *key) add_text(ids, key, "SOPS_AGE_KEY", true);
    // A file or command that cannot be read is recorded, as sops records it, and the other
    // sources still count.
    if (const char* file = std::getenv("SOPS_AGE_KEY_FILE")) {
        int fd = *file ? ::open(file, O_RDONLY | O_CLOEXEC) : (errno = ENOENT, -1);  // set but empty: sops opens ""
        if (fd < 0) {
            std::string why = std::strerror(errno);
            if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));  // Go's errno text
            ids.add_problem(std::string("failed to open SOPS_AGE_KEY_FILE file: open ") + file + ": " + why);
        } else {
            ::close(fd);
            try {
                add_text(ids, read_input(file), "SOPS_AGE_KEY_FILE");
            } catch (const Error& e) {
                ids.add_problem(std::string("SOPS_AGE_KEY_FILE: ") + e.what());
            }
        }
    }
    if (const char* cmd = std::getenv("SOPS_AGE_KEY_CMD"); cmd && *cmd) {
        try {
            add_text(ids, run_key_command(cmd, recipient), "SOPS_AGE_KEY_CMD");
        } catch (const Error& e) {
            ids.add_problem(e.what());
        }
    }
    std::string def = default_keys_file();
    if (!def.empty() && std::filesystem::exists(def)) add_text(ids, read_input(def), def);
    return ids;
}

}  // namespace sopskit::age
