// decrypt-manifests' document splitter on a stream arriving in pieces of every size: the
// documents it finds must not depend on the pieces, must be the stream's own bytes at the
// offsets they claim, and must be the "---" split of the stream (the rest once a directive,
// "..." or content after "---" turns the split off).
#include <cstdlib>
#include <string>
#include <vector>

#include "decryptor/document_splitter.hpp"
#include "fuzz_support.hpp"

using namespace sopskit;

namespace {

struct Found {
    std::vector<DocumentSplitter::Document> documents;
    bool split_off = false;
    bool operator==(const Found& o) const {
        if (split_off != o.split_off || documents.size() != o.documents.size()) return false;
        for (std::size_t i = 0; i < documents.size(); ++i)
            if (documents[i].begin != o.documents[i].begin || documents[i].end != o.documents[i].end ||
                documents[i].first_line != o.documents[i].first_line)
                return false;
        return true;
    }
};

Found split(std::string_view stream, std::size_t piece, std::size_t max) {
    DocumentSplitter s(max);
    Found f;
    std::size_t at = 0;
    for (;;) {
        while (auto d = s.next()) {
            if (s.view(*d) != stream.substr(d->begin, d->end - d->begin)) std::abort();
            f.documents.push_back(*d);
        }
        s.discard_handled();
        if (at >= stream.size()) break;
        std::size_t n = std::min(piece, stream.size() - at);
        s.append(stream.substr(at, n));
        at += n;
    }
    auto last = s.finish();
    if (s.view(last) != stream.substr(last.begin, last.end - last.begin)) std::abort();
    f.documents.push_back(last);
    f.split_off = s.split_off();
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::size_t piece = 1 + data[0] % 64;
    std::string_view stream = fuzz::text_of(data + 1, size - 1);
    Found whole = split(stream, stream.size() + 1, stream.size() + 1);
    if (!(split(stream, piece, stream.size() + 1) == whole)) std::abort();
    // Documents tile the stream: each begins after the previous one's marker line.
    std::size_t line = 1, prev_end = 0;
    for (std::size_t i = 0; i < whole.documents.size(); ++i) {
        const auto& d = whole.documents[i];
        if (d.begin > d.end || d.end > stream.size()) std::abort();
        if (i > 0) {
            std::string_view marker = stream.substr(prev_end, d.begin - prev_end);
            if (marker != "---\n" && marker != "---\r\n") std::abort();
            ++line;
        }
        if (d.first_line != line) std::abort();
        for (char c : stream.substr(d.begin, d.end - d.begin)) line += c == '\n';
        prev_end = d.end;
    }
    std::string_view after = stream.substr(prev_end);
    if (!after.empty() && after != "---") std::abort();  // only a last marker without its LF
    // A limit only ever refuses, with an Error.
    fuzz::refusing_is_fine([&] { (void)split(stream, piece, 1 + data[0] % 200); });
    return 0;
}
