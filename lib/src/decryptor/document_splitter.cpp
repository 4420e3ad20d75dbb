#include "decryptor/document_splitter.hpp"

#include <algorithm>

#include "sopskit/error.hpp"
#include "sopskit/fileio.hpp"
#include "sopskit/secure.hpp"

namespace sopskit {

namespace {

enum class LineKind { Content, Marker, Unsafe };

// `line` with its LF if it has one. Today's whole-stream rules: only "---" alone (then LF or
// CRLF) is a plain marker; anything else after "---" (a tag, a comment, "----") is not.
LineKind classify(std::string_view line) {
    if (line.empty()) return LineKind::Content;
    if (line.front() == '%' || line.starts_with("...")) return LineKind::Unsafe;
    if (!line.starts_with("---")) return LineKind::Content;
    std::string_view rest = line.substr(3);
    return rest.empty() || rest == "\n" || rest == "\r\n" ? LineKind::Marker : LineKind::Unsafe;
}

}  // namespace

DocumentSplitter::DocumentSplitter(std::size_t max_document) : max_(max_document) {}

DocumentSplitter::~DocumentSplitter() { wipe(buf_); }

void DocumentSplitter::append(std::string_view bytes) {
    if (buf_.size() + bytes.size() > buf_.capacity()) {
        // Grown by hand: a reallocation by the string would leave a copy behind unzeroed.
        std::string bigger;
        bigger.reserve(std::max({buf_.capacity() * 2, buf_.size() + bytes.size(), std::size_t{1} << 16}));
        bigger.append(buf_);
        wipe(buf_);
        buf_.swap(bigger);
    }
    buf_.append(bytes);
    if (split_off_) check_limit();
}

std::optional<DocumentSplitter::Document> DocumentSplitter::next() {
    while (!split_off_) {
        std::size_t at = scan_ - base_;
        std::size_t nl = buf_.find('\n', at);
        if (nl == std::string::npos) break;
        std::size_t line_begin = scan_;
        LineKind kind = classify(std::string_view(buf_).substr(at, nl + 1 - at));
        if (kind == LineKind::Unsafe) {
            split_off_ = true;
            break;
        }
        scan_ = base_ + nl + 1;
        ++line_;
        if (kind == LineKind::Marker) {
            Document d{doc_begin_, line_begin, doc_line_};
            doc_begin_ = scan_;
            doc_line_ = line_;
            return d;
        }
    }
    check_limit();
    return std::nullopt;
}

DocumentSplitter::Document DocumentSplitter::finish() {
    std::size_t end = base_ + buf_.size();
    if (!split_off_ && scan_ < end) {  // a last line without its LF
        LineKind kind = classify(std::string_view(buf_).substr(scan_ - base_));
        if (kind == LineKind::Marker) return Document{doc_begin_, scan_, doc_line_};  // what follows it is empty
        if (kind == LineKind::Unsafe) split_off_ = true;
    }
    return Document{doc_begin_, end, doc_line_};
}

std::string_view DocumentSplitter::view(const Document& d) const {
    return std::string_view(buf_).substr(d.begin - base_, d.end - d.begin);
}

void DocumentSplitter::discard_handled() {
    if (doc_begin_ == base_) return;
    std::size_t n = doc_begin_ - base_, size = buf_.size();
    buf_.erase(0, n);
    buf_.resize(size, '\0');  // zeroes the stale copy erase left past the new end
    buf_.resize(size - n);
    base_ = doc_begin_;
}

void DocumentSplitter::check_limit() const {
    std::size_t held = base_ + buf_.size() - doc_begin_;
    if (held <= max_) return;
    std::string limit = std::to_string(max_) + "-byte input limit" +
                        (max_ == max_input_size() ? " (SOPSKIT_MAX_INPUT_SIZE raises it)" : "");
    if (split_off_)
        throw Error(ErrorCode::CannotReadInput, "the manifest stream from line " + std::to_string(doc_line_) +
                                                    " on is read whole (it has a directive, \"...\" or content after \"---\") and is larger than the " +
                                                    limit);
    throw Error(ErrorCode::CannotReadInput,
                "the manifest document at line " + std::to_string(doc_line_) + " is larger than the " + limit);
}

}  // namespace sopskit
