// The YAML parser's own cost: reads a file and parses it, building nothing of ours. bench/run
// divides the file size by this time to show how fast a store built on that parser could go,
// and compares the parsers Debian packages: libfyaml (events, ours), libyaml (events) and
// yaml-cpp (its node tree; it has no event API that keeps comments, see docs/format.md).
//   sopskit_yaml_floor FILE [fyaml|libyaml|yamlcpp]  ->  "seconds=<s>"
#include <libfyaml.h>
#ifdef SOPSKIT_HAVE_LIBYAML
#include <yaml.h>
#endif
#ifdef SOPSKIT_HAVE_YAMLCPP
#include <yaml-cpp/yaml.h>
#endif

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

bool parse_fyaml(const std::string& text) {
    fy_parse_cfg cfg{};
    cfg.flags = FYPCF_QUIET;
    fy_parser* p = fy_parser_create(&cfg);
    fy_parser_set_string(p, text.data(), text.size());
    while (fy_event* ev = fy_parser_parse(p)) {
        if (ev->type == FYET_SCALAR) {
            std::size_t len = 0;
            fy_token_get_text(ev->scalar.value, &len);
        }
        fy_parser_event_free(p, ev);
    }
    bool failed = fy_parser_get_stream_error(p);
    fy_parser_destroy(p);
    return !failed;
}

#ifdef SOPSKIT_HAVE_LIBYAML
bool parse_libyaml(const std::string& text) {
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    bool ok = true;
    for (bool done = false; !done;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            ok = false;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return ok;
}
#endif

#ifdef SOPSKIT_HAVE_YAMLCPP
bool parse_yamlcpp(const std::string& text) {
    try {
        return !YAML::LoadAll(text).empty();
    } catch (const YAML::Exception&) {
        return false;
    }
}
#endif

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    std::string parser = argc > 2 ? argv[2] : "fyaml";
    std::ostringstream buf;
    buf << std::ifstream(argv[1], std::ios::binary).rdbuf();
    std::string text = buf.str();
    bool (*parse)(const std::string&) = parse_fyaml;
#ifdef SOPSKIT_HAVE_LIBYAML
    if (parser == "libyaml") parse = parse_libyaml;
#endif
#ifdef SOPSKIT_HAVE_YAMLCPP
    if (parser == "yamlcpp") parse = parse_yamlcpp;
#endif
    if (parser != "fyaml" && parse == parse_fyaml) {
        std::printf("seconds=n/a\n");  // not built with that parser
        return 0;
    }
    auto t0 = std::chrono::steady_clock::now();
    bool ok = parse(text);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("seconds=%.4f\n", s);
    return ok ? 0 : 1;
}
