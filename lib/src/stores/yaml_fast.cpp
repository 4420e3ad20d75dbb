// The YAML fast path (yaml_fast.hpp): a line scanner for the block-style subset and an
// encrypting emitter that follows the writer's layout rules for that subset.
#include "stores/yaml_fast.hpp"

#include <sodium/utils.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <functional>
#include <system_error>
#include <thread>

#include "core/mac_hasher.hpp"
#include "core/text.hpp"
#include "core/value_bytes.hpp"
#include "sopskit/engine.hpp"
#include "sopskit/secure.hpp"
#include "stores/stores_internal.hpp"
#include "stores/yaml_scalars.hpp"

namespace sopskit::detail {

namespace {

constexpr std::size_t kMaxDepth = 1000;    // deeper documents take the tree path
constexpr std::size_t kMaxKeyLength = 1000;  // YAML limits implicit keys to 1024 characters
constexpr std::size_t kLinearKeyCheck = 16;  // duplicate keys: linear search below, a set above

using Ev = FastYaml::Ev;

// A plain scalar the subset accepts: printable ASCII already checked by the line scan, no
// leading indicator (a '-' only before a non-blank), no ": " inside and no ':' at the end.
bool plain_scalar_ok(std::string_view s) {
    if (s.empty()) return false;
    char first = s[0];
    if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) return false;
    if (first == '-' && (s.size() == 1 || s[1] == ' ')) return false;
    if (s.back() == ':' || s.back() == ' ') return false;
    return s.find(": ") == std::string_view::npos;
}

// Asks the kernel to back a large buffer with 2 MiB pages where it can (a hint): the output of
// a file of small values is 50 MB, 12,000 page faults in 4 KiB pages, which were a quarter of
// its encryption's CPU time.
void prefer_huge_pages(char* data, std::size_t size) {
    constexpr std::uintptr_t kHuge = 2 * 1024 * 1024;
    auto from = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
    auto to = (reinterpret_cast<std::uintptr_t>(data) + size) & ~(kHuge - 1);
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
}

// The keys of one large mapping, for the duplicate check: open addressing over the keys'
// places in the input, 8 bytes a slot (std::unordered_set allocated a node per key, 5% of
// encrypting a file of small values, and views took twice the memory).
class KeySet {
public:
    explicit KeySet(std::string_view text) : text_(text) {}

    // `key` lies in the text, at most kMaxOffset into it and kMaxLength long (text_event checks).
    bool insert(std::string_view key) {
        if ((used_ + 1) * 2 > slots_.size()) grow();
        auto offset = static_cast<std::uint64_t>(key.data() - text_.data());
        return place(key, (offset << 21) | key.size());
    }

private:
    std::string_view view(std::uint64_t slot) const { return text_.substr(slot >> 21, slot & FastYaml::kMaxLength); }

    bool place(std::string_view key, std::uint64_t packed) {
        std::size_t mask = slots_.size() - 1;
        for (std::size_t i = std::hash<std::string_view>{}(key) & mask;; i = (i + 1) & mask) {
            if (slots_[i] == 0) {  // keys are never empty, so no slot of a key is 0
                slots_[i] = packed;
                ++used_;
                return true;
            }
            if (view(slots_[i]) == key) return false;
        }
    }
    void grow() {
        std::vector<std::uint64_t> old = std::move(slots_);
        slots_.assign(std::max<std::size_t>(64, old.size() * 2), 0);
        used_ = 0;
        for (auto slot : old)
            if (slot != 0) place(view(slot), slot);
    }

    std::string_view text_;
    std::vector<std::uint64_t> slots_;
    std::size_t used_ = 0;
};

struct Open {
    bool is_map = false;
    std::size_t col = 0;
    bool pending = false;      // a key or dash waits for its value
    std::size_t keys_from = 0;  // its keys in Scanner::keys_
    std::unique_ptr<KeySet> key_set;
};

class Scanner {
public:
    Scanner(std::string_view text, bool timestamps, bool capture_metadata) : capture_metadata_(capture_metadata) {
        doc_.text = text;
        doc_.timestamps = timestamps;
        // At most four events per line; pages reserved but never written cost no memory, and
        // growing by doubling would hold the old and the new array at once. A quarter of the
        // size bounds the reserve for files of blank lines (64 MiB of them: 2 GB reserved).
        std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
        doc_.events.reserve(std::min(4 * lines, text.size() / 4) + 16);
        prefer_huge_pages(reinterpret_cast<char*>(doc_.events.data()), doc_.events.capacity() * sizeof(FastYaml::Event));
    }

    std::optional<FastYaml> run() {
        std::string_view t = doc_.text;
        std::size_t pos = 0;
        while (pos < t.size()) {
            std::size_t eol = t.find('\n', pos);
            if (eol == std::string_view::npos) eol = t.size();
            std::string_view l = t.substr(pos, eol - pos);
            if (capture_metadata_ && l.starts_with("sops:") && (l.size() == 5 || l[5] == ' ')) {
                if (!metadata_entry(pos)) return std::nullopt;
                pos += doc_.metadata.size();
                continue;
            }
            if (!line(l)) return std::nullopt;
            pos = eol + 1;
        }
        if (stack_.empty()) return std::nullopt;  // no document: the tree path says why
        if (!close_to(0, true)) return std::nullopt;
        return std::move(doc_);
    }

private:
    // The top-level `sops:` entry at `pos`: its line and the indented or blank lines after it.
    bool metadata_entry(std::size_t pos) {
        if (!doc_.metadata.empty()) return false;
        if (stack_.empty()) open(true, 0);
        std::string_view t = doc_.text;
        if (!close_to(0, false) || stack_.size() != 1 || !remember_key(t.substr(pos, 4))) return false;
        std::size_t end = t.find('\n', pos);
        while (end != std::string_view::npos && end + 1 < t.size() && (t[end + 1] == ' ' || t[end + 1] == '\n'))
            end = t.find('\n', end + 1);
        end = end == std::string_view::npos ? t.size() : end + 1;
        doc_.metadata = t.substr(pos, end - pos);
        return true;
    }

    bool line(std::string_view l) {
        // Printable ASCII only: no tabs, CR, control or multi-byte characters, and no comments.
        if (ascii_run(l, 0x20) != l.size() || l.find('#') != std::string_view::npos) return false;
        std::size_t n = l.find_first_not_of(' ');
        if (n == std::string_view::npos) return true;  // blank
        std::string_view rest = l.substr(n);
        while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
        if (n == 0 && (rest.starts_with("---") || rest.starts_with("...") || rest[0] == '%')) return false;
        bool dash = rest[0] == '-' && (rest.size() == 1 || rest[1] == ' ');
        if (stack_.empty()) {
            if (n != 0 || dash) return false;  // the root is a mapping at column 0
            open(true, 0);
            return map_entry(rest, n);
        }
        Open& top = stack_.back();
        if (top.pending) {
            top.pending = false;
            if (n > top.col || (n == top.col && top.is_map && dash)) {
                if (stack_.size() >= kMaxDepth) return false;
                open(!dash, n);
                return dash ? list_entry(rest, n) : map_entry(rest, n);
            }
            if (!null_value()) return false;
        }
        if (!close_to(n, false)) return false;
        Open& cur = stack_.back();
        if (cur.col != n) return false;
        if (!cur.is_map && !dash) {
            // A sequence at its key's column ends at the next key.
            if (stack_.size() < 2 || !stack_[stack_.size() - 2].is_map || stack_[stack_.size() - 2].col != n) return false;
            close();
        } else if (cur.is_map && dash) {
            return false;
        }
        return stack_.back().is_map ? map_entry(rest, n) : list_entry(rest, n);
    }

    // Closes the collections deeper than column `n` (all of them with `all`).
    bool close_to(std::size_t n, bool all) {
        if (!stack_.empty() && stack_.back().pending) {
            stack_.back().pending = false;
            if (!null_value()) return false;
        }
        while (!stack_.empty() && (all || stack_.back().col > n)) close();
        return all || !stack_.empty();
    }

    // A key or dash with nothing after it. libfyaml refuses a dash with nothing in a sequence
    // at its key's column (found by fuzzing: "l:\n-\n"); the tree path says so.
    bool null_value() {
        std::size_t k = stack_.size();
        if (!stack_.back().is_map && k >= 2 && stack_[k - 2].is_map && stack_[k - 2].col == stack_.back().col) return false;
        event(Ev::Null);
        after_value();
        return true;
    }

    void open(bool is_map, std::size_t col) {
        event(is_map ? Ev::MapStart : Ev::ListStart);
        Open o;
        o.is_map = is_map;
        o.col = col;
        o.keys_from = keys_.size();
        stack_.push_back(std::move(o));
    }

    void close() {
        keys_.resize(stack_.back().keys_from);
        stack_.pop_back();
        event(Ev::End);
        after_value();
    }

    // A value was completed in the innermost open collection (nothing to do: maps expect a key
    // and lists a dash again).
    void after_value() {}

    // `key: value`, `key:` (a value on the next lines, or null) at column `col`.
    bool map_entry(std::string_view rest, std::size_t col) {
        std::size_t colon = 0;
        for (;;) {
            colon = rest.find(':', colon);
            if (colon == std::string_view::npos) return false;  // a scalar where a key belongs
            if (colon + 1 == rest.size() || rest[colon + 1] == ' ') break;
            ++colon;
        }
        std::string_view key = rest.substr(0, colon);
        if (key.size() > kMaxKeyLength || key.find(' ') != std::string_view::npos || !plain_scalar_ok(key) || key == "<<")
            return false;
        if (!text_event(Ev::Key, key) || !remember_key(key)) return false;
        std::size_t v = rest.find_first_not_of(' ', colon + 1);
        if (v == std::string_view::npos) {
            stack_.back().pending = true;
            return true;
        }
        (void)col;
        return scalar(rest.substr(v));
    }

    // `- value`, `- key: value` (a mapping inside the entry), `- - value` (a sequence inside
    // it, as the writer puts one), `-` (a value on the next lines).
    bool list_entry(std::string_view rest, std::size_t col) {
        for (;;) {
            std::size_t v = rest.find_first_not_of(' ', 1);
            if (v == std::string_view::npos) {
                stack_.back().pending = true;
                return true;
            }
            std::string_view value = rest.substr(v);
            bool dash = value[0] == '-' && (value.size() == 1 || value[1] == ' ');
            bool map = !dash && (value.find(": ") != std::string_view::npos || value.back() == ':');
            if (!dash && !map) return scalar(value);
            if (stack_.size() >= kMaxDepth) return false;
            open(map, col + v);
            if (map) return map_entry(value, col + v);
            rest = value;
            col += v;
        }
    }

    bool scalar(std::string_view s) {
        if (!plain_scalar_ok(s) || !text_event(Ev::Scalar, s)) return false;
        doc_.scalar_bytes += s.size();
        ++doc_.scalars;
        after_value();
        return true;
    }

    // go-yaml refuses a mapping with a key written twice: such files take the tree path.
    bool remember_key(std::string_view key) {
        Open& o = stack_.back();
        if (o.key_set) return o.key_set->insert(key);
        for (std::size_t i = o.keys_from; i < keys_.size(); ++i)
            if (keys_[i] == key) return false;
        keys_.push_back(key);
        if (keys_.size() - o.keys_from > kLinearKeyCheck) {
            o.key_set = std::make_unique<KeySet>(doc_.text);
            for (std::size_t i = o.keys_from; i < keys_.size(); ++i) o.key_set->insert(keys_[i]);
            keys_.resize(o.keys_from);
        }
        return true;
    }

    void event(Ev kind) { doc_.events.push_back(FastYaml::Event{0, 0, static_cast<std::uint64_t>(kind)}); }
    bool text_event(Ev kind, std::string_view s) {
        auto offset = static_cast<std::uint64_t>(s.data() - doc_.text.data());
        if (offset > FastYaml::kMaxOffset || s.size() > FastYaml::kMaxLength) return false;
        doc_.events.push_back(FastYaml::Event{offset, s.size(), static_cast<std::uint64_t>(kind)});
        return true;
    }

    bool capture_metadata_;
    FastYaml doc_;
    std::vector<Open> stack_;
    std::vector<std::string_view> keys_;
};

// The emitter's view of an open collection, as the writer's map_value/list_value see it.
struct Level {
    bool is_map = false;
    int col = 0;
    bool first = true;
    bool cursor_placed = false;
};

// Thrown by the decrypting emitter for a value the tree path must handle (and report).
struct Declined {};

// The plaintext bytes a continuation hashes for the MAC, kept in order until the first part's
// hash takes them. Chunks are reserved once and never grow, so no copy is left unwiped.
class PlainChunks {
public:
    PlainChunks() = default;
    PlainChunks(const PlainChunks&) = delete;
    PlainChunks& operator=(const PlainChunks&) = delete;
    ~PlainChunks() {
        for (auto& c : chunks_) sodium_memzero(c.data(), c.size());
    }
    void add(std::string_view bytes) {
        if (chunks_.empty() || chunks_.back().capacity() - chunks_.back().size() < bytes.size()) {
            chunks_.emplace_back();
            chunks_.back().reserve(std::max<std::size_t>(bytes.size(), 1 << 20));
        }
        chunks_.back().append(bytes);
    }
    void feed(MacHasher& mac) const {
        for (const auto& c : chunks_) mac.add(c);
    }

private:
    std::vector<std::string> chunks_;
};

// Appends `from` to `to`, giving `from`'s pages back to the kernel as they are copied: joining
// two halves of a 50 MB output holds one copy, not one and a half.
void append_releasing(std::string& to, std::string& from) {
    constexpr std::size_t kStep = 2 * 1024 * 1024;
    constexpr std::uintptr_t kPage = 4096;
    to.reserve(to.size() + from.size());
    auto base = reinterpret_cast<std::uintptr_t>(from.data());
    for (std::size_t at = 0; at < from.size(); at += kStep) {
        std::size_t n = std::min(kStep, from.size() - at);
        to.append(from, at, n);
        // Whole pages only, and never the page the string's own bytes may share with others.
        auto first = (base + kPage - 1) & ~(kPage - 1);
        auto last = (base + at + n) & ~(kPage - 1);
        if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }
    from.clear();  // what madvise dropped reads back as zeros: nothing left to wipe
}

class Emitter {
public:
    // A Continuation emits from a top-level key on (the root mapping open, the key not its
    // first) and keeps its MAC input for the part before it (join_continuation).
    enum class Part { Whole, Continuation };

    Emitter(const FastYaml& doc, const CryptRules& rules, const ValueCipher& cipher, int indent, const IvStash* reuse,
            bool decrypt, Part part = Part::Whole)
        : doc_(doc), policy_(rules), cipher_(cipher), mac_(rules.mac_only_encrypted), reuse_(reuse), best_(indent),
          decrypt_(decrypt) {
        if (best_ < 2 || best_ > 9) best_ = best_ < 2 ? 2 : 9;  // as the writer clamps it
        if (part == Part::Continuation) {
            Level root;
            root.is_map = true;
            root.first = false;
            levels_.push_back(root);
            recorded_ = std::make_unique<PlainChunks>();
        }
    }

    // A declined decryption leaves plaintext behind. The buffer only ever grows by appending,
    // so nothing past its size was written (wipe() would clear, and fault in, the capacity).
    ~Emitter() {
        sodium_memzero(out_.data(), out_.size());
        sodium_memzero(piece_.data(), piece_.size());
    }
    Emitter(const Emitter&) = delete;
    Emitter& operator=(const Emitter&) = delete;

    std::string run(std::string& mac_hex) {
        reserve_output(1.0);
        emit(0, doc_.events.size());
        return finish(mac_hex);
    }

    // The output for `share` of the document (a fraction): an envelope is 4/3 of its value
    // and up to 115 bytes more; the metadata follows. Pages reserved but never written cost no
    // memory. A decrypted file is smaller than the encrypted one.
    void reserve_output(double share) {
        std::size_t whole = decrypt_ ? doc_.text.size() : doc_.text.size() + doc_.scalar_bytes / 3 + doc_.scalars * 120;
        out_.reserve(static_cast<std::size_t>(static_cast<double>(whole) * share) + 64 * 1024);
        prefer_huge_pages(out_.data(), out_.capacity());
    }

    // Events [from, to) into the output.
    void emit(std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            const auto& e = doc_.events[i];
            if (decrypt_) ensure_room(kStructureRoom);
            switch (e.ev()) {
                case Ev::MapStart:
                case Ev::ListStart: start(e.ev() == Ev::MapStart); break;
                case Ev::End:
                    levels_.pop_back();
                    value_done();
                    break;
                case Ev::Key: key(text_of(e)); break;
                case Ev::Scalar:
                    before_value();
                    leaf(text_of(e));
                    value_done();
                    break;
                case Ev::Null:
                    before_value();
                    out_ += " null\n";
                    value_done();
                    break;
            }
        }
    }

    // The continuation's output and MAC input follow this part's.
    void join_continuation(Emitter& next) {
        next.recorded_->feed(mac_);
        append_releasing(out_, next.out_);
    }

    std::string finish(std::string& mac_hex) {
        mac_hex = mac_.hex();
        if (decrypt_ && out_.capacity() > 2 * out_.size()) {
            // The plaintext is a fraction of the encrypted file the buffer was sized for, and
            // wiping a string clears its whole capacity: a 50 MB clear touched 40 MB of pages
            // never written. An exact copy goes out; the written part is cleared here.
            std::string exact(out_);
            sodium_memzero(out_.data(), out_.size());
            out_ = std::move(exact);
        }
        return std::move(out_);
    }

private:
    std::string_view text_of(const FastYaml::Event& e) const { return doc_.text.substr(e.offset, e.length); }

    int child_column(int col) const { return best_ * ((col + best_) / best_); }
    void indent_to(int col) { out_.append(static_cast<std::size_t>(col), ' '); }

    // A list entry's dash goes before its value.
    void before_value() {
        if (levels_.empty() || levels_.back().is_map) return;
        Level& l = levels_.back();
        if (!(l.first && l.cursor_placed)) indent_to(l.col);
        l.first = false;
        out_ += '-';
    }

    void start(bool is_map) {
        Level child;
        child.is_map = is_map;
        if (!levels_.empty()) {
            before_value();
            const Level& parent = levels_.back();
            if (parent.is_map) {
                out_ += '\n';
                child.col = child_column(parent.col);
            } else {
                out_ += ' ';
                child.col = parent.col + 2;
                child.cursor_placed = true;
            }
        }
        levels_.push_back(child);
    }

    void key(std::string_view k) {
        Level& l = levels_.back();
        if (!(l.first && l.cursor_placed)) indent_to(l.col);
        l.first = false;
        key_text_.assign(k);
        yaml_append_key(out_, key_text_);
        out_ += ':';
        path_.push_back(k);
    }

    // The value of a key is complete: its key leaves the path.
    void value_done() {
        if (!levels_.empty() && levels_.back().is_map && !path_.empty()) path_.pop_back();
    }

    void leaf(std::string_view text) {
        // A string stays a view into the input: no Value, no copy of each of 200,000 scalars.
        std::optional<Value> typed = resolve_plain_non_string(text);
        if (typed && typed->kind == Kind::Time && !doc_.timestamps) typed.reset();
        if (decrypt_) {
            decrypted_leaf(typed ? std::move(*typed) : Value::string(std::string(text)));
            return;
        }
        out_ += ' ';
        if (typed && typed->kind == Kind::Null) {  // nothing to encrypt, nothing hashed (as encrypt_branches)
            yaml_append_one_line_scalar(out_, *typed);
            out_ += '\n';
            return;
        }
        auto as_value = [&] { return typed ? *typed : Value::string(std::string(text)); };
        std::string_view bytes = typed ? value_bytes_view(*typed, scratch_) : text;
        bool encrypted = policy_.should_encrypt(path_, no_comments_, false);
        if (!policy_.mac_only_encrypted() || encrypted) hash(bytes);
        if (encrypted) {
            fill_additional_data();
            std::size_t before = out_.size();
            // An envelope is visible ASCII that reads as no other type: it is written plain.
            cipher_.encrypt_append(out_, typed ? typed->kind : Kind::String, bytes, aad_,
                                   reuse_ ? reuse_->find(aad_, as_value()) : std::string_view());
            if (out_.size() == before) yaml_append_one_line_scalar(out_, Value::string(""));
        } else {
            yaml_append_one_line_scalar(out_, as_value());
        }
        wipe(scratch_);
        out_ += '\n';
    }

    // As decrypt_branches: an envelope where the rules want one is decrypted, then hashed.
    void decrypted_leaf(Value v) {
        const Level& l = levels_.back();
        if (v.kind != Kind::Null) {
            bool encrypted = policy_.should_encrypt(path_, no_comments_, false);
            if (encrypted) {
                if (v.kind != Kind::String) throw Declined{};
                fill_additional_data();
                try {
                    v = cipher_.decrypt(v.text, aad_);
                } catch (const Error&) {
                    throw Declined{};
                }
            }
            if (!policy_.mac_only_encrypted() || encrypted) {
                hash(value_bytes_view(v, scratch_));
                wipe(scratch_);
            }
        }
        piece_.clear();
        yaml_append_entry_scalar(piece_, v, l.col, !l.is_map, best_);
        ensure_room(piece_.size());
        out_ += piece_;
        sodium_memzero(piece_.data(), piece_.size());
    }

    // The decrypted output never reallocates by itself: a growing string frees its old buffer
    // without clearing it, plaintext included. (The reserve is the encrypted file's size, which
    // only escaped values that grow on output can pass.)
    static constexpr std::size_t kStructureRoom = 64 * 1024;  // indentation and a key, at most
    void ensure_room(std::size_t n) {
        if (out_.size() + n <= out_.capacity()) return;
        std::string bigger;
        bigger.reserve(std::max(out_.capacity() * 2, out_.size() + n));
        bigger.append(out_);
        sodium_memzero(out_.data(), out_.size());
        out_.swap(bigger);
    }

    void hash(std::string_view bytes) {
        if (recorded_) recorded_->add(bytes);
        else mac_.add(bytes);
    }

    void fill_additional_data() {
        aad_.clear();
        for (auto p : path_) {
            aad_ += p;
            aad_ += ':';
        }
        if (path_.empty()) aad_.push_back(':');
    }

    const FastYaml& doc_;
    EncryptionPolicy policy_;
    const ValueCipher& cipher_;
    MacHasher mac_;
    std::unique_ptr<PlainChunks> recorded_;  // a continuation's MAC input
    const IvStash* reuse_;
    int best_;
    bool decrypt_;
    std::vector<Level> levels_;
    std::vector<std::string_view> path_;
    const std::vector<std::vector<std::string_view>> no_comments_;
    std::string out_;
    std::string aad_;
    std::string key_text_;
    std::string scratch_;
    std::string piece_;  // one decrypted scalar as written, before it joins the output
};

}  // namespace

bool FastYaml::has_top_level_key(std::string_view key) const {
    std::size_t depth = 0;
    for (const auto& e : events) {
        if (e.ev() == Ev::MapStart || e.ev() == Ev::ListStart) ++depth;
        else if (e.ev() == Ev::End) --depth;
        else if (e.ev() == Ev::Key && depth == 1 && text.substr(e.offset, e.length) == key) return true;
    }
    return false;
}

std::optional<FastYaml> yaml_fast_parse(std::string_view bytes, bool timestamps, bool capture_metadata) {
    return Scanner(bytes, timestamps, capture_metadata).run();
}

namespace {

// The first top-level key at or after the middle of the events (0: none). From there on, the
// emitter's state is known without emitting what comes before: the root mapping is open and
// no key is on the path.
std::size_t top_level_split(const FastYaml& doc) {
    std::size_t depth = 0, middle = doc.events.size() / 2;
    for (std::size_t i = 0; i < doc.events.size(); ++i) {
        Ev ev = doc.events[i].ev();
        if (ev == Ev::MapStart || ev == Ev::ListStart) ++depth;
        else if (ev == Ev::End) --depth;
        else if (ev == Ev::Key && depth == 1 && i >= middle) return i;
    }
    return 0;
}

std::size_t usable_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    return static_cast<std::size_t>(CPU_COUNT(&set));
}

}  // namespace

std::size_t yaml_fast_split_default() {
    static const std::size_t from = usable_cpus() > 1 ? std::size_t{1} << 20 : SIZE_MAX;
    return from;
}

std::string yaml_fast_encrypt(const FastYaml& doc, const CryptRules& rules, const ValueCipher& cipher, int indent,
                              std::string& mac_hex, const IvStash* reuse, std::size_t split_from_bytes) {
    std::size_t split = doc.text.size() >= split_from_bytes ? top_level_split(doc) : 0;
    if (split == 0) return Emitter(doc, rules, cipher, indent, reuse, false).run(mac_hex);
    // Two halves at once, on a second thread: the second keeps its MAC input and its output
    // until the first is done, then both join in order, as one emitter would have written them.
    Emitter first(doc, rules, cipher, indent, reuse, false);
    Emitter second(doc, rules, cipher, indent, reuse, false, Emitter::Part::Continuation);
    double tail = static_cast<double>(doc.text.size() - doc.events[split].offset) / static_cast<double>(doc.text.size());
    first.reserve_output(1.0);
    second.reserve_output(tail + 0.05);
    std::exception_ptr second_failed;
    std::thread worker;
    try {
        worker = std::thread([&] {
            try {
                second.emit(split, doc.events.size());
            } catch (...) {
                second_failed = std::current_exception();
            }
        });
    } catch (const std::system_error&) {  // no thread to be had: one emitter does it all
        return Emitter(doc, rules, cipher, indent, reuse, false).run(mac_hex);
    }
    try {
        first.emit(0, split);
    } catch (...) {
        worker.join();
        throw;
    }
    worker.join();
    if (second_failed) std::rethrow_exception(second_failed);
    first.join_continuation(second);
    return first.finish(mac_hex);
}

std::optional<Value> yaml_fast_metadata(const FastYaml& doc, bool timestamps) {
    // A comment in the entry's lines may belong to the document rather than to the entry (one
    // left of its keys, found by fuzzing); the tree path places such comments.
    if (doc.metadata.empty() || doc.metadata.find('#') != std::string_view::npos) return std::nullopt;
    try {
        Branches entry = yaml_load(doc.metadata, timestamps);
        if (entry.size() != 1 || entry.front().size() != 1 || entry.front().front().value.kind != Kind::Map)
            return std::nullopt;
        return std::move(entry.front().front().value);
    } catch (const Error&) {
        return std::nullopt;
    }
}

std::optional<std::string> yaml_fast_decrypt(const FastYaml& doc, const CryptRules& rules, const ValueCipher& cipher,
                                             int indent, std::string& mac_hex) {
    // A document of nothing but its metadata is written `{}` by the tree path.
    if (doc.events.size() <= 2) return std::nullopt;
    try {
        return Emitter(doc, rules, cipher, indent, nullptr, true).run(mac_hex);
    } catch (const Declined&) {
        return std::nullopt;
    }
}

bool yaml_fast_path_enabled() {
    static const bool enabled = [] {
        const char* v = std::getenv("SOPSKIT_YAML_FAST");
        return !(v && std::string_view(v) == "0");
    }();
    return enabled;
}

}  // namespace sopskit::detail
