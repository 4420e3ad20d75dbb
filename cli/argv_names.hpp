// The option names and words a command line mentions, so sopskit can register only those
// options and subcommands with CLI11.
#pragma once
#include <string>
#include <string_view>
#include <unordered_set>

namespace sopskit::cli {

// CLI11 checks every new option against all earlier ones (copying name lists each time), so
// building a 50-option command costs more than a small decrypt. A one-shot command needs only
// the options its arguments can reach: this set says which. It over-approximates on purpose:
// every character of a short-option cluster ("-ia", "-afoo") counts as a short name, and values
// that look like options count too, so an option CLI11 could look up is never left out.
class ArgvNames {
public:
    // Every name: no filtering (help, docs, commands other than the one-shot ones).
    ArgvNames() = default;
    ArgvNames(int argc, char** argv);

    // Whether any name in a CLI11 name list ("-a,--age", "--output", a positional "file")
    // appears. Positionals always count.
    bool mentions(std::string_view names) const;
    // Whether an argument is exactly `word` (a subcommand's name, wherever it stands).
    bool has_word(std::string_view word) const;

private:
    bool all_ = true;
    std::unordered_set<std::string_view> words_;
    std::unordered_set<std::string_view> longs_;
    bool shorts_[256] = {};
};

}  // namespace sopskit::cli
