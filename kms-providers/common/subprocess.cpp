// Google's executable credential sources split their command on blanks.
#include "common/subprocess.hpp"

namespace sopskit::kms {

std::vector<std::string> split_command(const std::string& command) {
    std::vector<std::string> out;
    std::string word;
    for (char c : command) {
        if (c == ' ' || c == '\t' || c == '\n') {
            if (!word.empty()) out.push_back(std::move(word));
            word.clear();
        } else {
            word.push_back(c);
        }
    }
    if (!word.empty()) out.push_back(std::move(word));
    return out;
}

}  // namespace sopskit::kms
