// The documents of a YAML manifest stream, found while the stream arrives in pieces, so that a
// stream is never held whole.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sopskit {

// A line that is exactly "---" (then LF, CRLF or the end of the stream) at column 0 ends a
// document wherever it stands (YAML allows no such line inside one), so the split is the
// parser's own. A line that makes the split unsafe (a directive "%...", a document end "...",
// or content after "---") turns it off: from the start of the document holding that line, the
// rest of the stream is one piece, for the whole-stream parser.
//
// Offsets count from the start of the stream; bytes are kept from the oldest document not yet
// discarded (discard_handled) to the end of what was appended. Kept bytes are zeroed when the
// buffer moves or shrinks: manifests carry plaintext resources too.
class DocumentSplitter {
public:
    struct Document {
        std::size_t begin = 0, end = 0;  // [begin, end) of the stream, without its "---" line
        std::size_t first_line = 1;      // line number (from 1) of its first line
    };

    // A document (or the whole-stream rest) longer than `max_document` bytes is refused.
    explicit DocumentSplitter(std::size_t max_document);
    ~DocumentSplitter();
    DocumentSplitter(const DocumentSplitter&) = delete;
    DocumentSplitter& operator=(const DocumentSplitter&) = delete;

    void append(std::string_view bytes);
    // The next complete document, or nullopt when more input is needed or the split is off.
    // Throws Error when the document being read has grown past the limit.
    std::optional<Document> next();
    // At the end of the stream, after next() gave nullopt: the last document (maybe empty), or
    // with the split off, the rest of the stream from the document that turned it off.
    Document finish();
    // Whether a line turned the split off; then only append() and finish() are left to call.
    bool split_off() const { return split_off_; }
    // The bytes of a document handed out and not yet discarded.
    std::string_view view(const Document& d) const;
    // Forgets (and zeroes) the bytes of the documents next() handed out; they are no longer viewable.
    void discard_handled();

private:
    void check_limit() const;
    std::string buf_;
    std::size_t base_ = 0;        // stream offset of buf_[0]
    std::size_t scan_ = 0;        // stream offset of the first line not yet classified
    std::size_t doc_begin_ = 0;   // stream offset where the current document starts
    std::size_t line_ = 1;        // line number at scan_
    std::size_t doc_line_ = 1;    // line number at doc_begin_
    std::size_t max_;
    bool split_off_ = false;
};

}  // namespace sopskit
