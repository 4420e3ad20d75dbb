#include "argv_names.hpp"

#include <algorithm>

namespace sopskit::cli {

ArgvNames::ArgvNames(int argc, char** argv) : all_(false) {
    // Every argument, "--" and values included: a superset costs nothing and needs no model of
    // which arguments CLI11 reads as values.
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        words_.insert(arg);
        if (arg.size() > 2 && arg.substr(0, 2) == "--") {
            longs_.insert(arg.substr(2, arg.find('=') == std::string_view::npos ? std::string_view::npos : arg.find('=') - 2));
        } else if (arg.size() > 1 && arg[0] == '-') {
            for (char c : arg.substr(1)) shorts_[static_cast<unsigned char>(c)] = true;
        }
    }
}

bool ArgvNames::mentions(std::string_view names) const {
    if (all_) return true;
    while (!names.empty()) {
        std::string_view name = names.substr(0, names.find(','));
        names.remove_prefix(std::min(names.size(), name.size() + 1));
        if (name.size() > 2 && name.substr(0, 2) == "--") {
            if (longs_.count(name.substr(2))) return true;
        } else if (name.size() == 2 && name[0] == '-') {
            if (shorts_[static_cast<unsigned char>(name[1])]) return true;
        } else {
            return true;  // a positional, or a form this reading does not know: keep it
        }
    }
    return false;
}

bool ArgvNames::has_word(std::string_view word) const { return all_ || words_.count(word) > 0; }

}  // namespace sopskit::cli
