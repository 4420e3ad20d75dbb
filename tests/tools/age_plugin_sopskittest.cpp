// age-plugin-sopskittest: a toy age plugin for the test suite. Its recipient and identity both
// carry a 16-byte key (age1sopskittest1... / AGE-PLUGIN-SOPSKITTEST-1...), and it "wraps" a
// file key by XOR with it in a "sopskittest" stanza. It is for protocol tests only.
//
// Everything it reads from the client is appended to $SOPSKIT_PLUGIN_LOG, so a test can check
// the client's bytes against the spec. $SOPSKIT_PLUGIN_MODE picks a behaviour: "error" answers
// with an error stanza, "ask" requests a secret first, "msg" shows a message first, "silent"
// opens nothing, "exit" quits in the middle of the exchange.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "age/age_internal.hpp"

namespace {

using sopskit::age::detail::b64_raw_decode;
using sopskit::age::detail::b64_raw_encode;
using sopskit::age::detail::bech32_decode;

struct Msg {
    std::vector<std::string> words;  // type and arguments
    std::string body;
};

void log(const std::string& text) {
    if (const char* path = std::getenv("SOPSKIT_PLUGIN_LOG")) {
        if (FILE* f = std::fopen(path, "a")) {
            std::fwrite(text.data(), 1, text.size(), f);
            std::fclose(f);
        }
    }
}

std::optional<std::string> read_line() {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    log(line + "\n");
    return line;
}

Msg read_msg() {
    auto first = read_line();
    if (!first || first->rfind("-> ", 0) != 0) std::exit(3);
    Msg m;
    std::string rest = first->substr(3);
    std::size_t start = 0;
    while (start <= rest.size()) {
        std::size_t sp = rest.find(' ', start);
        m.words.push_back(rest.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
        if (sp == std::string::npos) break;
        start = sp + 1;
    }
    while (true) {
        auto line = read_line();
        if (!line) std::exit(3);
        auto bytes = b64_raw_decode(*line);
        if (!bytes) std::exit(3);
        m.body += *bytes;
        if (line->size() < 64) return m;
    }
}

void send(const std::string& head, const std::string& body = "") {
    std::string b64 = b64_raw_encode(body), out = "-> " + head + "\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    if (b64.size() % 64 == 0) out += "\n";
    std::cout << out << std::flush;
}

std::string key_of(const std::string& encoding, const std::string& hrp) {
    auto d = bech32_decode(encoding);
    if (!d || d->first != hrp || d->second.size() != 16) std::exit(4);
    return d->second;
}

std::string xor16(std::string a, const std::string& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] ^= b[i];
    return a;
}

// Phase 1: everything up to "done".
std::vector<Msg> read_phase_one() {
    std::vector<Msg> msgs;
    while (true) {
        Msg m = read_msg();
        if (m.words[0] == "done") return msgs;
        msgs.push_back(m);
    }
}

void preamble(const std::string& mode) {
    if (mode == "ask") {
        send("request-secret", "PIN please");
        read_msg();  // the client's answer ("fail" from sopskit), logged
    } else if (mode == "msg") {
        send("msg", "touch your token");
        read_msg();
    } else if (mode == "exit") {
        std::exit(0);
    } else if (mode == "error") {
        send("error internal", "the token is not plugged in");
        read_msg();
        std::exit(0);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const char* m = std::getenv("SOPSKIT_PLUGIN_MODE");
    std::string mode = m ? m : "";
    std::string state = argv[1];
    log("[" + state + "]\n");
    std::vector<Msg> phase1 = read_phase_one();
    preamble(mode);
    if (state == "--age-plugin=recipient-v1") {
        std::string key, file_key;
        for (const auto& msg : phase1) {
            if (msg.words[0] == "add-recipient") key = key_of(msg.words.at(1), "age1sopskittest");
            if (msg.words[0] == "wrap-file-key") file_key = msg.body;
        }
        send("recipient-stanza 0 sopskittest tagged", xor16(file_key, key));
        read_msg();
        send("done");
        return 0;
    }
    if (state == "--age-plugin=identity-v1") {
        std::string key;
        for (const auto& msg : phase1)
            if (msg.words[0] == "add-identity") key = key_of(msg.words.at(1), "age-plugin-sopskittest-");
        for (const auto& msg : phase1) {
            if (mode == "silent" || msg.words[0] != "recipient-stanza" || msg.words.at(2) != "sopskittest") continue;
            send("file-key 0", xor16(msg.body, key));
            read_msg();
            break;
        }
        send("done");
        return 0;
    }
    return 2;
}
