// Checks for strings that come from a SOPS file's metadata or from a server: both are written by
// someone else (in a Flux fleet, by whoever can commit to a tenant repository). Small hand-written
// grammars with length caps: no backtracking or recursive regex engine ever sees such text.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sopskit::kms {

// One DNS label: 1..63 of [A-Za-z0-9-], no hyphen first or last.
bool is_dns_label(std::string_view s);
// A DNS name: dot-separated labels, at most 253 characters (no trailing dot).
bool is_dns_name(std::string_view s);
// A host of a URL: a DNS name, a dotted IPv4 address, or a bracketed IPv6 literal.
bool is_url_host(std::string_view s);
// A port: 1..65535 in decimal digits.
bool is_port(std::string_view s);

// host[:port] with both checked; fills host and port (port empty when absent).
bool split_authority(std::string_view authority, std::string& host, std::string& port);

// A short, printable excerpt of text from elsewhere for an error message: control characters
// (CR, LF, ESC, ...) as \xNN, cut to about `limit` bytes (on a UTF-8 boundary) with "...".
std::string excerpt(std::string_view s, std::size_t limit = 120);

}  // namespace sopskit::kms
