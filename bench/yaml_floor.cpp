// The YAML parser's own cost: reads a file and pulls every libfyaml event, building nothing.
// bench/run divides the file size by this time to show how fast any libfyaml-based store
// could go. Prints "seconds=<s>".
#include <libfyaml.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    std::ostringstream buf;
    buf << std::ifstream(argv[1], std::ios::binary).rdbuf();
    std::string text = buf.str();
    auto t0 = std::chrono::steady_clock::now();
    fy_parse_cfg cfg{};
    cfg.flags = FYPCF_QUIET;
    fy_parser* p = fy_parser_create(&cfg);
    fy_parser_set_string(p, text.data(), text.size());
    std::size_t scalar_bytes = 0;
    while (fy_event* ev = fy_parser_parse(p)) {
        if (ev->type == FYET_SCALAR) {
            std::size_t len = 0;
            fy_token_get_text(ev->scalar.value, &len);
            scalar_bytes += len;
        }
        fy_parser_event_free(p, ev);
    }
    bool failed = fy_parser_get_stream_error(p);
    fy_parser_destroy(p);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("seconds=%.4f\nscalar_bytes=%zu\n", s, scalar_bytes);
    return failed ? 1 : 0;
}
