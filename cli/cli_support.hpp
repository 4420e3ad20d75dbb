// Helpers shared by the command implementations.
#pragma once
#include <exception>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "file_options.hpp"
#include "sopskit/config.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/format.hpp"
#include "sopskit/keys.hpp"
#include "sopskit/keyservice.hpp"

namespace sopskit::cli {

// The flags sops defines on its root command, given before the subcommand (`sops --config C
// --indent 2 encrypt F`): --config, --indent, --mac-only-encrypted, --(un)encrypted-comment-regex.
// main fills it after parsing; commands fall back to it for what their own flags leave unset.
FileOptions& root_options();

// True when run as `sops`: errors are printed as sops prints them, without sopskit's prefix
// naming the file.
bool& sops_style_errors();

// Go's strconv.Quote of a path, as sops' %q shows file names in its messages.
std::string go_quote(std::string_view s);

// sops' check before encrypt, decrypt and rotate: exit 100 naming the absolute path.
void require_existing_file(const std::string& path);

// sops' check before rotate --add-*/--rm-*: exit 49 naming the absolute path.
void require_existing_file_for_key_change(const std::string& path);

// `fallback` when set, else the environment variable (sops' flag-or-env rule).
std::string env_or(const char* name, const std::string& fallback);
std::vector<std::string> split_list(const std::string& s);

struct Formats {
    Format in;
    Format out;
};
// Formats for `path` from --input-type/--output-type or the extension (or --filename-override).
Formats formats_for(const FileOptions& o, const std::string& path);
// Indents as sops' outputStore: --indent (YAML: 0 is the default 4; JSON: 0 is no indent, -1
// a tab), else the `stores:` section of the .sops.yaml in force (yaml, json, json_binary).
StoreOptions store_options(const FileOptions& o);

// The .sops.yaml in force: --config, else $SOPS_CONFIG, else the nearest one from the working
// directory upwards (as sops); nullopt when there is none.
std::optional<std::string> config_path_for(const FileOptions& o);
// The .sops.yaml creation rule for a path, from the config config_path_for picks.
std::optional<CreationRule> config_rule_for(const FileOptions& o, const std::string& path);

// The key services of a run: the subcommand's and the root's --keyservice (both also read
// SOPS_KEYSERVICE, so an address is kept once) and --enable-local-keyservice; TLS for sopskit
// servers from SOPSKIT_KEYSERVICE_CA/_CERT/_KEY/_SERVER_NAME, the per-call timeout from
// SOPSKIT_KEYSERVICE_TIMEOUT_S.
KeyServiceClientOptions key_service_options(const FileOptions& o);

// The user's key ring with --decryption-order / SOPS_DECRYPTION_ORDER applied, routed through
// the key services.
KeyRing keyring_for(const FileOptions& o);

// Writes to the file (-i), --output, or standard output; `privacy` picks a new file's mode.
void write_result(const FileOptions& o, const std::string& bytes, Privacy privacy);
void check_destination(const FileOptions& o);

// The one place errors are printed: "sopskit: [LABEL: ]MESSAGE". Control characters from files
// and servers are escaped (escape_control_chars); only the "could not retrieve the data key"
// report keeps its line breaks, one per key tried, whose parts are escaped where it is built.
void print_error(std::ostream& out, std::string_view label, const std::exception& e, bool as_sops = false);

// The absolute path of a program on $PATH, or empty. Only absolute PATH entries count: an
// empty or relative one would find programs in the working directory (often the repository
// being built). Callers resolve once and run that path, so no later PATH change applies.
std::string find_program(std::string_view name);

}  // namespace sopskit::cli
