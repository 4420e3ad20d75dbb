// Phase 2 on a manifest stream (kustomize build output), a batch of documents at a time: the
// stream is never held whole, and each document is parsed, decrypted and emitted on one core.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "decryptor/decryptor_internal.hpp"
#include "decryptor/document_splitter.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/secure.hpp"

namespace sopskit {

namespace {

// Enough documents between two barriers to keep every core busy, few enough to keep memory
// small (a 150 MB stream of 100,000 Secrets goes through about 75 batches).
constexpr std::size_t kBatchDocuments = 2048;
constexpr std::size_t kBatchBytes = std::size_t{2} << 20;
constexpr std::size_t kReadSize = std::size_t{256} << 10;

// The decrypted stream as it leaves, one write per batch: "---" between non-empty documents,
// as an emit of all of them at once puts it.
class DocumentJoiner {
public:
    explicit DocumentJoiner(const ManifestWriter& write) : write_(write) {}
    void put(const std::vector<std::string>& emitted) {
        std::size_t total = 0;
        for (const auto& e : emitted) total += e.size() + 4;
        std::vector<std::string> joined(1);
        WipeOnExit wiper{joined};
        joined[0].reserve(total);  // never reallocated: no stray plaintext copies in freed memory
        for (const auto& e : emitted) {
            if (e.empty()) continue;
            if (any_) joined[0] += "---\n";
            joined[0] += e;
            any_ = true;
        }
        if (!joined[0].empty()) write_(joined[0]);
    }
    bool any() const { return any_; }

private:
    const ManifestWriter& write_;
    bool any_ = false;
};

// The YAML parser counts lines from the start of what it is given: errors say where that is.
// `rest`: the part is the rest of the stream, not one document.
Branches load_part(std::string_view bytes, std::size_t first_line, bool rest, const StoreOptions& o) {
    try {
        return load_plain(Format::Yaml, bytes, o);
    } catch (const Error& e) {
        if (first_line == 1) throw;
        std::string where = rest ? "in the manifests from line " + std::to_string(first_line) + " of the stream on: "
                                 : "in the manifest document at line " + std::to_string(first_line) + " of the stream: ";
        throw Error(e.code(), where + e.what());
    }
}

}  // namespace

void Decryptor::decrypt_manifests(const ManifestReader& read, const ManifestWriter& write, std::size_t max_document) const {
    const StoreOptions o = kustomize_yaml();
    DocumentSplitter split(max_document);
    DocumentJoiner out(write);
    std::vector<std::string> chunk(1, std::string(kReadSize, '\0'));
    WipeOnExit chunk_wiper{chunk};
    bool at_end = false;
    auto read_more = [&] {
        std::size_t n = read(chunk[0].data(), chunk[0].size());
        if (n == 0) at_end = true;
        else split.append(std::string_view(chunk[0]).substr(0, std::min(n, chunk[0].size())));
    };

    std::vector<DocumentSplitter::Document> batch;
    std::vector<std::string> emitted;
    WipeOnExit emitted_wiper{emitted};
    for (bool last = false; !last;) {
        batch.clear();
        for (std::size_t bytes = 0; batch.size() < kBatchDocuments && bytes < kBatchBytes;) {
            if (auto d = split.next()) {
                bytes += d->end - d->begin;
                batch.push_back(*d);
            } else if (split.split_off()) {
                break;
            } else if (at_end) {
                DocumentSplitter::Document d = split.finish();
                if (!split.split_off()) batch.push_back(d);
                last = true;
                break;
            } else {
                read_more();
            }
        }
        emitted.assign(batch.size(), std::string());
        parallel_for(batch.size(), opts_.threads, [&](std::size_t i) {
            Branches docs = load_part(split.view(batch[i]), batch[i].first_line, false, o);
            std::erase_if(docs, [](const Branch& b) { return b.empty(); });
            for (auto& d : docs) decrypt_resource(d);
            if (!docs.empty()) emitted[i] = emit_plain(Format::Yaml, docs, o);
            for (auto& d : docs) d.clear();
        });
        out.put(emitted);
        for (auto& e : emitted) wipe(e);
        split.discard_handled();
        if (split.split_off()) break;
    }
    if (!split.split_off()) return;

    // The rest of the stream from the document with a directive, "..." or content after "---":
    // only the whole-stream parser reads those right.
    while (!at_end) read_more();
    DocumentSplitter::Document rest = split.finish();
    Branches docs = load_part(split.view(rest), rest.first_line, true, o);
    std::erase_if(docs, [](const Branch& b) { return b.empty(); });
    if (docs.empty() && out.any()) return;
    decrypt_resources(docs);
    emitted.assign(1, emit_plain(Format::Yaml, docs, o));
    for (auto& d : docs) d.clear();
    out.put(emitted);
}

std::string Decryptor::decrypt_manifests(std::string_view stream) const {
    std::vector<std::string> pieces;
    WipeOnExit wiper{pieces};
    std::size_t at = 0, total = 0;
    decrypt_manifests(
        [&](char* buf, std::size_t size) {
            std::size_t n = std::min(size, stream.size() - at);
            std::memcpy(buf, stream.data() + at, n);
            at += n;
            return n;
        },
        [&](std::string_view piece) {
            pieces.emplace_back(piece);
            total += piece.size();
        },
        std::numeric_limits<std::size_t>::max());
    std::string out;
    out.reserve(total);  // no reallocation: no stray plaintext copies in freed memory
    for (const auto& p : pieces) out += p;
    return out;
}

}  // namespace sopskit
