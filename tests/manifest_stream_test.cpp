// decrypt-manifests on long streams: the document splitter that sees the stream in pieces, the
// streamed Decryptor::decrypt_manifests (same bytes as the one-string call, whatever the
// pieces), and the CLI holding neither the stream nor anything but the decrypted output.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "decryptor/document_splitter.hpp"
#include "sopskit/age.hpp"
#include "sopskit/age_keys.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/sops_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace sopskit;
using sopskit::test::run;
using sopskit::test::write_file;

namespace {

struct Split {
    std::vector<std::string> documents;
    std::vector<std::size_t> first_lines;
    bool split_off = false;
    std::string rest;  // with the split off: what the whole-stream parser gets
    std::size_t rest_line = 0;
};

// Feeds `stream` to a splitter `piece` bytes at a time, discarding after each piece.
Split split_in_pieces(std::string_view stream, std::size_t piece, std::size_t max = 1 << 20) {
    DocumentSplitter s(max);
    Split out;
    for (std::size_t at = 0;; at += piece) {
        while (auto d = s.next()) {
            out.documents.emplace_back(s.view(*d));
            out.first_lines.push_back(d->first_line);
        }
        s.discard_handled();
        if (s.split_off() || at >= stream.size()) {
            if (at < stream.size()) s.append(stream.substr(at));
            break;
        }
        s.append(stream.substr(at, piece));
    }
    auto last = s.finish();
    out.split_off = s.split_off();
    if (out.split_off) {
        out.rest = std::string(s.view(last));
        out.rest_line = last.first_line;
    } else {
        out.documents.emplace_back(s.view(last));
        out.first_lines.push_back(last.first_line);
    }
    return out;
}

struct AgeKeys {
    age::X25519Identity id = age::X25519Identity::generate();
    std::string encrypt(const std::string& yaml) const {
        EncryptRequest req;
        req.rules.encrypted_regex = "^(data|stringData)$";
        req.key_groups = {{{"age", id.recipient(), {}}}};
        KeyRing r;
        age::IdentitySet ids;
        ids.add(id.clone());
        r.add(make_age_key_source(std::move(ids)));
        return encrypt_document(yaml, req, r);
    }
    std::shared_ptr<DecryptionKeys> keys() const {
        return DecryptionKeys::from_entries({{"identity.agekey", id.encode() + "\n"}}, "flux-system/sops-age");
    }
    std::string secret_manifest() const {
        return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-age\n  namespace: flux-system\nstringData:\n  age.agekey: " +
               id.encode() + "\n";
    }
};

std::string secret(int i) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s" + std::to_string(i) +
           "\n  namespace: apps\nstringData:\n  password: p4ss-" + std::to_string(i) + "\n";
}

// The streamed call, fed `piece` bytes at a time.
std::string streamed(const Decryptor& d, std::string_view stream, std::size_t piece) {
    std::size_t at = 0;
    std::string out;
    d.decrypt_manifests(
        [&](char* buf, std::size_t size) {
            std::size_t n = std::min({size, piece, stream.size() - at});
            std::copy_n(stream.data() + at, n, buf);
            at += n;
            return n;
        },
        [&](std::string_view p) { out += p; });
    return out;
}

}  // namespace

TEST(DocumentSplitter, FindsTheSameDocumentsWhateverThePieces) {
    const std::string stream = "a: 1\n---\n# c\nb: 2\n---\r\n---\nc: |\n  ---\n  x\n----x: 1\n--- \n";
    // "----x" (content after the marker) turns the split off from the document holding it.
    for (std::size_t piece : {1u, 2u, 3u, 5u, 64u}) {
        Split s = split_in_pieces(stream, piece);
        ASSERT_EQ(s.documents.size(), 3u) << piece;
        EXPECT_EQ(s.documents[0], "a: 1\n");
        EXPECT_EQ(s.documents[1], "# c\nb: 2\n");
        EXPECT_EQ(s.documents[2], "");
        EXPECT_EQ(s.first_lines, (std::vector<std::size_t>{1, 3, 6})) << piece;
        EXPECT_TRUE(s.split_off);
        EXPECT_EQ(s.rest, "c: |\n  ---\n  x\n----x: 1\n--- \n");
        EXPECT_EQ(s.rest_line, 7u);
    }
    for (std::size_t piece : {1u, 4u, 100u}) {
        Split plain = split_in_pieces("---\nx: 1\n---\ny: 2\n---", piece);
        EXPECT_FALSE(plain.split_off);
        EXPECT_EQ(plain.documents, (std::vector<std::string>{"", "x: 1\n", "y: 2\n"})) << "a last \"---\" without LF is a marker";
        Split tail = split_in_pieces("x: 1\n---\ny: 2", piece);
        EXPECT_EQ(tail.documents, (std::vector<std::string>{"x: 1\n", "y: 2"}));
        Split directive = split_in_pieces("x: 1\n---\ny: 2\n...\n%YAML 1.2\n---\nz: 3\n", piece);
        EXPECT_EQ(directive.documents, (std::vector<std::string>{"x: 1\n"}));
        EXPECT_EQ(directive.rest, "y: 2\n...\n%YAML 1.2\n---\nz: 3\n");
        Split last_line = split_in_pieces("x: 1\n---\n...", piece);
        EXPECT_TRUE(last_line.split_off) << "an unsafe last line without its LF counts too";
        EXPECT_EQ(last_line.rest, "...");
    }
}

TEST(DocumentSplitter, ADocumentOverTheLimitIsRefusedNamingItsLine) {
    std::string stream = "a: 1\n---\nb: " + std::string(300, 'x') + "\n---\nc: 1\n";
    EXPECT_EQ(split_in_pieces(stream, 7, 400).documents.size(), 3u);
    try {
        split_in_pieces(stream, 7, 200);
        FAIL() << "a 300-byte document is over a 200-byte limit";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "the manifest document at line 3 is larger than the 200-byte input limit") << e.what();
        EXPECT_EQ(e.code(), ErrorCode::CannotReadInput);
    }
    // Many small documents never add up: only what is not yet handed out counts.
    std::string many;
    for (int i = 0; i < 1000; ++i) many += "k: " + std::to_string(i) + "\n---\n";
    EXPECT_EQ(split_in_pieces(many, 64, 100).documents.size(), 1001u);
    // The whole-stream rest is one piece, and so it is what the limit counts.
    try {
        split_in_pieces("a: 1\n---\n%YAML 1.2\n---\n" + many, 64, 1000);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the manifest stream from line 3 on is read whole"), std::string::npos) << e.what();
    }
}

// The streamed call gives the one-string call's bytes whatever the piece size; a stream with a
// directive, "..." or content after "---" half-way gives what the whole-stream parser gives for
// all of it (the documents before the line go one by one, the rest whole).
TEST(ManifestStream, SameBytesWhateverThePiecesAndWhereverTheWholeStreamPathStarts) {
    AgeKeys a;
    std::string stream = "---\n";
    for (int i = 0; i < 6; ++i) stream += a.encrypt(secret(i)) + "---\n# between documents\n";
    stream += "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  note: |\n    line one\n    line two\n";
    Decryptor d(a.keys(), DecryptorOptions{false, nullptr, 2});
    const std::string whole = d.decrypt_manifests("%YAML 1.2\n" + stream);  // the whole-stream parser, from line 1
    EXPECT_EQ(d.decrypt_manifests(stream), whole);
    for (std::size_t piece : {1u, 13u, 4096u}) EXPECT_EQ(streamed(d, stream, piece), whole) << piece;
    EXPECT_NE(whole.find("password: p4ss-5"), std::string::npos);
    EXPECT_EQ(whole.find("ENC["), std::string::npos);

    // Lines that turn the split off, placed after the third Secret.
    std::size_t third = 0;
    for (int i = 0; i < 3; ++i) third = stream.find("---\n# between", third) + 4;
    for (std::string line : {"...\n", "...\n%TAG !k! tag:example.com,2024:\n---\n", "--- # a comment\n"}) {
        std::string mixed = stream.substr(0, third) + line + stream.substr(third);
        std::string reference = d.decrypt_manifests("%YAML 1.2\n" + mixed);
        EXPECT_EQ(d.decrypt_manifests(mixed), reference) << line;
        EXPECT_EQ(streamed(d, mixed, 7), reference) << line;
    }
    // As before: split, a document of comments alone is dropped (the whole-stream parser keeps it).
    EXPECT_EQ(d.decrypt_manifests("---\n# only a comment\n---\n"), "");
    EXPECT_EQ(d.decrypt_manifests("x: 1\n---\n...\n"), d.decrypt_manifests("%YAML 1.2\n---\nx: 1\n---\n...\n"));
}

// More documents than one batch holds: the output keeps stream order, and the first failing
// document (in stream order) is the one named, even in a later batch.
TEST(ManifestStream, ManyBatchesKeepOrderAndTheFirstFailureIsNamed) {
    AgeKeys a;
    const std::string one = a.encrypt(secret(1));
    std::string stream;
    const int n = 5000;  // over two batches of 2,048 documents
    for (int i = 0; i < n; ++i) {
        std::string doc = one;
        doc.replace(doc.find("name: s1"), 8, "name: s" + std::to_string(i));  // kustomize renames; the MAC is not checked
        stream += doc + "---\n";
    }
    Decryptor d(a.keys(), DecryptorOptions{false, nullptr, 2});
    std::string out = streamed(d, stream, 65536);
    std::size_t at = 0;
    for (int i = 0; i < n; ++i) {
        at = out.find("  name: s" + std::to_string(i) + "\n", at);
        ASSERT_NE(at, std::string::npos) << "document " << i << " missing or out of order";
    }
    EXPECT_EQ(out, d.decrypt_manifests(stream));

    std::string broken = stream;
    for (int victim : {4200, 4500}) {
        std::size_t doc = broken.find("name: s" + std::to_string(victim) + "\n");
        std::size_t env = broken.find("ENC[AES256_GCM,data:", doc);
        broken[env + 20] = broken[env + 20] == 'A' ? 'B' : 'A';
    }
    std::string written;
    try {
        d.decrypt_manifests([&, at = std::size_t{0}](char* buf, std::size_t size) mutable {
            std::size_t k = std::min(size, broken.size() - at);
            std::copy_n(broken.data() + at, k, buf);
            at += k;
            return k;
        },
                            [&](std::string_view p) { written += p; });
        FAIL() << "tampered documents must fail";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'apps/s4200' Secret data"), std::string::npos) << e.what();
    }
    EXPECT_EQ(written.find("name: s4200\n"), std::string::npos) << "nothing of the failing batch is written";
    EXPECT_NE(written.find("name: s1000\n"), std::string::npos) << "the batches before it are";
}

// A YAML error in a later document says where in the stream that document starts.
TEST(ManifestStream, AParseErrorNamesTheDocumentsLine) {
    AgeKeys a;
    Decryptor d(a.keys());
    try {
        d.decrypt_manifests("a: 1\n---\nb: 2\n---\nc: [unclosed\n");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("in the manifest document at line 5 of the stream: ", 0), 0u) << e.what();
    }
}

// The CLI reads the stream a batch at a time: the input limit applies to each document, not to
// the stream, and memory does not grow with the stream's length (only its decrypted output is
// held, for all or nothing). Before, the stream was read whole: a stream over the limit was
// refused, and peak memory grew by more than the stream.
TEST(ManifestStream, TheCliNeitherHoldsNorLimitsTheWholeStream) {
    AgeKeys a;
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "keys.yaml", a.secret_manifest());
    const std::string one = a.encrypt(secret(1));
    Decryptor d(a.keys());
    const std::string one_out = d.decrypt_manifests(one);
    auto stream_of = [&](int n) {
        std::string s;
        for (int i = 0; i < n; ++i) s += one + "---\n";
        return s;
    };
    auto peak_kib = [&](const fs::path& stream) {
        auto r = run("SOPSKIT_MAX_INPUT_SIZE=4000000 '" SOPSKIT_PEAK_RSS_PATH "' '" + sopskit::test::cli_path() +
                     "' decrypt-manifests --decryption-secret '" + (dir / "keys.yaml").string() + "' '" + stream.string() + "'");
        int status = -1;
        long kib = -1;
        EXPECT_EQ(std::sscanf(r.out.c_str(), "%d %ld", &status, &kib), 2) << r.out << r.err;
        EXPECT_EQ(status, 0) << "exit status";
        return kib;
    };
    const int small = 2500, large = 7500;  // both over one batch (2 MiB)
    write_file(dir / "small.yaml", stream_of(small));
    write_file(dir / "large.yaml", stream_of(large));
    ASSERT_GT(fs::file_size(dir / "large.yaml"), 4000000u) << "over the input limit, read whole it would be refused";
    auto r = run("SOPSKIT_MAX_INPUT_SIZE=4000000 '" + sopskit::test::cli_path() + "' decrypt-manifests --decryption-secret '" +
                     (dir / "keys.yaml").string() + "'",
                 sopskit::test::read_file(dir / "large.yaml"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string expected = one_out;
    for (int i = 1; i < large; ++i) expected += "---\n" + one_out;
    EXPECT_EQ(r.out, expected);

#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "peak memory under AddressSanitizer is its quarantine's, not sopskit's (the output was checked)";
#endif
    long grown = peak_kib(dir / "large.yaml") - peak_kib(dir / "small.yaml");
    long stream_grown = static_cast<long>((fs::file_size(dir / "large.yaml") - fs::file_size(dir / "small.yaml")) / 1024);
    std::printf("[ stream ] %ld KiB more stream, %ld KiB more peak memory\n", stream_grown, grown);
    // Holding the stream would grow the peak by at least the stream itself; the decrypted output
    // held alone is about a third of it, and the batch threads' allocator arenas add noise.
    EXPECT_LT(grown, stream_grown * 3 / 4) << "KiB: peak memory grows with the decrypted output only";
}

// All or nothing: a failing document prints nothing on standard output, names the resource,
// and the exit status says so; files are one stream, as if concatenated with "---".
TEST(ManifestStream, TheCliPrintsNothingOnAFailureAndJoinsFiles) {
    AgeKeys a, other;
    fs::path dir = sopskit::test::make_temp_dir();
    write_file(dir / "keys.yaml", a.secret_manifest());
    write_file(dir / "one.yaml", a.encrypt(secret(1)));
    write_file(dir / "two.yaml", a.encrypt(secret(2)) + "---\n" + a.encrypt(secret(3)));
    write_file(dir / "stranger.yaml", other.encrypt(secret(4)));
    std::string cli = "'" + sopskit::test::cli_path() + "' decrypt-manifests --decryption-secret '" + (dir / "keys.yaml").string() + "'";
    auto files = run(cli + " '" + (dir / "one.yaml").string() + "' '" + (dir / "two.yaml").string() + "'");
    ASSERT_EQ(files.exit_code, 0) << files.err;
    auto piped = run(cli, "---\n" + sopskit::test::read_file(dir / "one.yaml") + "\n---\n" + sopskit::test::read_file(dir / "two.yaml") + "\n");
    EXPECT_EQ(files.out, piped.out);
    EXPECT_NE(files.out.find("password: p4ss-3"), std::string::npos);

    auto failed = run(cli + " '" + (dir / "one.yaml").string() + "' '" + (dir / "stranger.yaml").string() + "'");
    EXPECT_NE(failed.exit_code, 0);
    EXPECT_EQ(failed.out, "") << "the documents before the failing one are not printed";
    EXPECT_NE(failed.err.find("'apps/s4' Secret data"), std::string::npos) << failed.err;
    EXPECT_EQ(failed.err.find("p4ss"), std::string::npos);

    // The decrypted output is held, so it is what the input limit bounds.
    auto held = run("SOPSKIT_MAX_INPUT_SIZE=2000 " + cli, sopskit::test::read_file(dir / "two.yaml"));
    EXPECT_EQ(held.exit_code, 0) << held.err;
    std::string big = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: " + std::string(1500, 'x') + "\n";
    auto over = run("SOPSKIT_MAX_INPUT_SIZE=2000 " + cli, big + "---\n" + big);
    EXPECT_EQ(over.exit_code, 2);
    EXPECT_EQ(over.out, "");
    EXPECT_NE(over.err.find("the decrypted stream is larger than the 2000-byte input limit"), std::string::npos) << over.err;
}
