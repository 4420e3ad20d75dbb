// Inputs the fuzz targets (fuzz/) found problems with, kept as tests. Each must be refused
// with a sopskit::Error naming the place, quickly (libfyaml 0.7.12 looped forever on the first
// three; the fourth leaked in libfyaml; the fifth made the YAML round trip unstable).
#include <filesystem>
#include <functional>

#include "sopskit/config.hpp"
#include "sopskit/decryptor.hpp"
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "keyservice/key_spec.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(FuzzRegressions, DirectiveWithControlBytesInDecryptionSecret) {
    std::string input = bytes({'%', '\b', 0x81});
    EXPECT_NE(error_of([&] { DecryptionKeys::from_secret_manifest(input); }).find("line 1, column 2: control characters are not allowed"),
              std::string::npos);
}

TEST(FuzzRegressions, DirectiveWithInvalidUtf8InKustomization) {
    std::string input = "resou\tGresou\tges:\n%" + bytes({0xd9, 0xdf, 0xd1, 0xd1}) + "/b/be\n-c/etc\nesou\tgresou\tges:\n+" +
                        bytes({0xd9, 0xdf, 0xd1, 0xd1}) + "/b/be\n";
    auto dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "kustomization.yaml", input);
    Decryptor d(DecryptionKeys::from_entries({}, "flux-system/test"));
    std::string err = error_of([&] { d.decrypt_sources(dir.string(), "."); });
    EXPECT_NE(err.find("kustomization.yaml"), std::string::npos) << err;
    EXPECT_NE(err.find("line 2, column 2: invalid trailing UTF-8 octet"), std::string::npos) << err;
}

TEST(FuzzRegressions, EncryptedFileWithNulInsideAnEnvelope) {
    std::string input = "message: ENC[AES256_GCM,data:4soxy1Q=,iv:" + bytes({1, 0, 0}) + ",tag:QUJD,type:str]\n";
    EXPECT_NE(error_of([&] { load_encrypted(Format::Yaml, input); }).find("control characters are not allowed"), std::string::npos);
}

TEST(FuzzRegressions, QuotesAroundAnInvalidByteInConfig) {
    std::string input = std::string(74, '\'') + bytes({0xa7}) + std::string(36, '\'');
    EXPECT_NE(error_of([&] { parse_config(input, "/x/.sops.yaml"); }).find("invalid leading UTF-8 octet"), std::string::npos);
}

TEST(FuzzRegressions, EscapedControlCharactersRoundTrip) {
    // Written escaped, control characters are fine; emitting and reading back is stable.
    Branches tree = load_plain(Format::Yaml, "k: \"a\\x01\\0b\\x7f\"\n");
    std::string once = emit_plain(Format::Yaml, tree);
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    EXPECT_EQ(load_plain(Format::Yaml, once).front().front().value.text, std::string("a\x01\0b\x7f", 5));
}

// libfyaml 0.7.12 leaked the text it caches for a quoted scalar with '' escapes when an error came
// after it (LeakSanitizer found both in the fuzz runs); the reader no longer asks it to cache.
TEST(FuzzRegressions, EscapedQuotesBeforeAnErrorInDecryptionSecret) {
    std::string input = "[" + std::string(38, '\'') + "[3:[4:[3:[3:3:[4:[3:[3";
    EXPECT_NE(error_of([&] { DecryptionKeys::from_secret_manifest(input); }).find("missing comma in flow sequence"), std::string::npos);
}

TEST(FuzzRegressions, EscapedQuotesThenAFlowCollectionInKustomization) {
    auto dir = sopskit::test::make_temp_dir();
    sopskit::test::write_file(dir / "kustomization.yaml", std::string(12, '\'') + "\n\n[[[[:  fim");
    Decryptor d(DecryptionKeys::from_entries({}, "flux-system/test"));
    std::string err = error_of([&] { d.decrypt_sources(dir.string(), "."); });
    EXPECT_NE(err.find("kustomization.yaml"), std::string::npos) << err;
}

// A carriage return ends a comment, as it ends a line for libfyaml and go-yaml: the key after
// it is a key, and emitting is stable (the comment once swallowed it and the round trip moved).
TEST(FuzzRegressions, CarriageReturnEndsAComment) {
    Branches tree = load_plain(Format::Yaml, "# note\r\r\rD:\n");
    std::string once = emit_plain(Format::Yaml, tree);
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    EXPECT_NE(once.find("D: null"), std::string::npos) << once;
    EXPECT_EQ(once.find('\r'), std::string::npos) << once;
}

// A key is its source text (as sops reads yaml.Node.Value): a float key like +.INF or 1.50 was
// turned into an empty string, losing the key.
TEST(FuzzRegressions, NumberLikeKeysKeepTheirText) {
    Branches tree = load_plain(Format::Yaml, "+.INF: a\n1.50: b\n0x10: c\nyes: d\n");
    ASSERT_EQ(tree.at(0).size(), 4u);
    EXPECT_EQ(tree[0][0].key.text, "+.INF");
    EXPECT_EQ(tree[0][1].key.text, "1.50");
    EXPECT_EQ(tree[0][2].key.text, "0x10");
    EXPECT_EQ(tree[0][3].key.text, "yes");
    std::string once = emit_plain(Format::Yaml, tree);
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
}

// libfyaml marks a quoted scalar from inside its quote, so the comment after a "quoted": key
// was filed one level out, and every round trip moved it again.
TEST(FuzzRegressions, CommentAfterAQuotedKeyStaysAtItsLevel) {
    for (const char* key : {"a", "\"a\"", "'a'", "\"\""}) {
        std::string input = std::string("n:\n    m:\n        ") + key + ": x\n        #c1\nnext: z\n";
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_NE(once.find("\n        #c1\n"), std::string::npos) << key << "\n" << once;
        EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once) << key;
    }
}

// Single-quoted scalars are unescaped by sopskit: libfyaml's token iterator turned 'a''''b'
// (a''b) into a'''b, corrupting keys and values; multi-line ones fold as YAML says.
TEST(FuzzRegressions, SingleQuotedEscapesAndFolding) {
    Branches tree = load_plain(Format::Yaml, "'a''''b': 'it''s'\nk: 'one  \n  two\n\n  three'\n'------''': x\n");
    ASSERT_EQ(tree.at(0).size(), 3u);
    EXPECT_EQ(tree[0][0].key.text, "a''b");
    EXPECT_EQ(tree[0][0].value.text, "it's");
    EXPECT_EQ(tree[0][1].value.text, "one two\nthree");
    EXPECT_EQ(tree[0][2].key.text, "------'");
    std::string once = emit_plain(Format::Yaml, tree);
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
}

// A literal starting with a space needs an indentation indicator relative to its parent: in a
// "- k:" entry that is the key's column, not the writer's indent ("|4-" there did not parse).
TEST(FuzzRegressions, LeadingSpaceLiteralInsideAListEntry) {
    for (const char* input : {"a:\n    - k: \" x\\ny\"\n", "a:\n    k: \" x\\ny\"\n", "l:\n    - \" x\\ny\"\n", "k: \" x\\ny\"\n"}) {
        std::string once;
        ASSERT_NO_THROW(once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input))) << input;
        Branches again;
        ASSERT_NO_THROW(again = load_plain(Format::Yaml, once)) << once;
        EXPECT_EQ(emit_plain(Format::Yaml, again), once) << once;
        EXPECT_NE(once.find("x\n"), std::string::npos) << once;
    }
}

// A comment on a literal's indicator line is the value's line comment: the writer puts line
// comments there, so reading it as a comment before the key moved it on every round trip.
TEST(FuzzRegressions, CommentOnALiteralIndicatorLineStaysThere) {
    for (const char* input : {"k: |- # note\n    two\n    lines\nj: v\n", "l:\n    - |- # note\n      two\n      lines\n    - v\n"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(once, input);
        EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    }
}

// A line comment on a list entry followed by a literal entry stayed on the literal's indicator
// line after one round trip (both comments are read when the literal's content starts).
TEST(FuzzRegressions, LineCommentBeforeALiteralListEntryStaysOnItsEntry) {
    for (const char* input : {"l:\n    - c # note\n    - |-\n      two\n      lines\n",
                              "l:\n    - c # note\n    - |- # own\n      two\n      lines\n",
                              "l:\n    - c #\n    - |-\n      two\n      lines\n",
                              "l:\n    - |-\n      one\n      1\n    - |- # own\n      two\n      2\n"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(once, input);
        EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    }
    for (const char* input : {":\n- c #\n- :&\n\r -", ":\n- --\n\r -\n- s\n\r - #"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    }
}

// A comment between a key and its scalar value on the next line took the value, and the key
// was left null: the value was lost without an error. The comment now goes before the key.
TEST(FuzzRegressions, CommentBetweenAKeyAndItsValueKeepsTheValue) {
    Branches tree = load_plain(Format::Yaml, "a:\n  # c\n  x\nb: 1\n");
    EXPECT_EQ(emit_plain(Format::Yaml, tree), "# c\na: x\nb: 1\n");
    tree = load_plain(Format::Yaml, "# c\n: x\n");  // an empty key has no place to flush comments at
    EXPECT_EQ(emit_plain(Format::Yaml, tree), "# c\n\"null\": x\n");
    for (const char* input : {"l:\n  - a:\n    # c\n    x\n", "#\n: x #\ni:\n -"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_NE(once.find(": x"), std::string::npos) << once;
        EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    }
}

// libfyaml 0.7.12 prints a display of the source line with each error it reports, and that display
// writes past its buffer on lines of tabs (a crash under ASan). Errors are collected instead.
TEST(FuzzRegressions, ErrorOnALineOfTabsIsReportedWithoutTheSourceDisplay) {
    std::string input = std::string(40, '\t') + "+\n" + std::string(38, '\t') + "      ----BEGPGP" +
                        std::string(45, '\t') + "      -----BEGPGP E o3R2--\nm:";
    std::string err = error_of([&] { load_plain(Format::Yaml, input); });
    EXPECT_NE(err.find("Error unmarshaling input YAML: line 1, column 41: invalid multiline plain key"), std::string::npos) << err;
}

// A comment before a list entry that is a map was filed when the map's first key came, one
// level in, and deferred until after the entry: it moved below the entry.
TEST(FuzzRegressions, CommentBeforeAMapEntryOfAListStaysBeforeIt) {
    for (const char* input : {"l:\n    - a\n    # c\n    - k: v\n      j: 1\n", "l:\n    # c\n    - k: v\n"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(once, input);
    }
    std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, ":\n- &o\n :\n- t\n#\n- *o"));
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
}

// A line comment on a list entry followed by a collection entry (`- a # c` then `- k: v`) went
// into that collection; so did the comment opening one (`- # c` then `  k: v`).
TEST(FuzzRegressions, LineCommentsAroundCollectionEntriesOfAList) {
    for (const char* input : {"l:\n    - a # c\n    - k: v\n", "l:\n    - a # c\n    - - b\n", "l:\n    - # c\n      k: v\n"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(once, input);
    }
    for (const char* input : {":\n- &oo\n :\n- *oo #", ": #\n- - f\r\r   p", ":\n- #\n - p\n\n  p"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
    }
    // `key: # c` before nested lists stays a comment before the key.
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, "k: # c\n    - - a\n")), "# c\nk:\n    - - a\n");
}

// libfyaml 0.7.12 crashes (SEGV in fy_parser_destroy) after reporting a tab before a block
// indicator inside an explicit key. Such input is refused before libfyaml sees it.
TEST(FuzzRegressions, TabBeforeABlockIndicatorInAnExplicitKeyIsRefused) {
    // The second line: an explicit key in a key's value (found by fuzz_envsubst in stop 32).
    for (const char* input : {"? y:\t-", "? y:\t?", "?\n  y:\t-", "- ? y:\t- z:\t-", "? \"y\":\t|",  //
                              ": ? h:\t?", ": ? h:\t-", "- : ? h:\t?", "a:\n: ? h:\t?", "a: - ? h:\t?"}) {
        std::string err = error_of([&] { load_plain(Format::Yaml, input); });
        EXPECT_NE(err.find("cannot use tab for indentation of block entry"), std::string::npos) << input << ": " << err;
    }
    EXPECT_NE(error_of([] { load_plain(Format::Yaml, "? y:\t-"); }).find("line 1, column 5:"), std::string::npos);
    // Explicit keys without it load, and so does that text in a document without explicit keys.
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, "? a\n: b\n")), "a: b\n");
    EXPECT_NO_THROW(load_plain(Format::Yaml, "c: \"x:\t-\"\n"));
    // A question mark inside a value is not an explicit key, and tabs before a block scalar stay fine.
    EXPECT_NO_THROW(load_plain(Format::Yaml, "q: what? yes\na:\t|\n  x\n"));
}

// A lone CR ends a line for libfyaml, whose marks give the values' lines: counting only LF made a
// comment after "- 1\r" the line comment of 1, and the writer then moved it on each round trip.
TEST(FuzzRegressions, CommentAfterALoneCarriageReturnIsOnItsOwnLine) {
    Branches tree = load_plain(Format::Yaml, "k:\n- 1\r#a\n- 2\n");
    const Value& list = tree[0][0].value;
    ASSERT_EQ(list.list.size(), 3u);
    EXPECT_EQ(list.list[1].kind, Kind::Comment);
    EXPECT_FALSE(list.list[1].comment_inline);
    EXPECT_EQ(emit_plain(Format::Yaml, tree), "k:\n    - 1\n    #a\n    - 2\n");
    std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, ":\r- 1\n#\r#\n- 2\n- :"));
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
}

// Error places count a lone CR as a line break too, as the parser does.
TEST(FuzzRegressions, ErrorLinesCountALoneCarriageReturn) {
    std::string err = error_of([] { load_plain(Format::Yaml, std::string("a: 1\rb: \x01\r\n")); });
    EXPECT_NE(err.find("line 2, column 4: control characters are not allowed"), std::string::npos) << err;
}

// A comment opening a list entry that is an empty collection (`- # c` then `{}`) was written as
// "- {} # c", which reads back as a comment line after the entry: it moved on each round trip.
TEST(FuzzRegressions, CommentOpeningAnEmptyCollectionEntryStaysOnItsDash) {
    for (const char* input : {"l:\n    - # c\n      {}\n", "l:\n    - # c\n      []\n    - \"y\"\n", "l:\n    - - # c\n        {}\n"}) {
        std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, input));
        EXPECT_EQ(once, input);
    }
    std::string found = ":\n\n\n- -sl #Num:\n- mT\n- -cb #\nm:\n- #\n{}";  // the fuzzer's input
    std::string once = emit_plain(Format::Yaml, load_plain(Format::Yaml, found));
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, once)), once);
}

// Comments inside an empty collection (`k: {` `# c` `}`) were dropped: "{}" has no line for them.
// They are written before the entry, after its own line comments.
TEST(FuzzRegressions, CommentsInsideAnEmptyCollectionAreKeptBeforeIt) {
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, "a:\n  k: {\n    # c\n    }\n  j: 1\n")),
              "a:\n    # c\n    k: {}\n    j: 1\n");
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, "a:\n- # c\n  # d\n  {}\n")), "a:\n    # c\n    # d\n    - {}\n");
    EXPECT_EQ(emit_plain(Format::Yaml, load_plain(Format::Yaml, "a:\n- - {\n    # c\n    }\n")), "a:\n    - \n      # c\n      - {}\n");
}

// A resource whose name is longer than the OS allows (NAME_MAX) made std::filesystem throw its
// own exception out of the kustomization walker, not a sopskit::Error (found by fuzzing: the
// fuzzer, like a controller's reconcile loop, expects only sopskit errors). Such a resource is
// not there, as for Flux; a spec.path the OS refuses is a sopskit error.
TEST(FuzzRegressions, PathsTheOsRefusesInAKustomization) {
    auto dir = sopskit::test::make_temp_dir();
    std::string long_name(300, 'a');
    sopskit::test::write_file(dir / "kustomization.yaml", "resources:\n- " + long_name + "\n- ../" + long_name + "/x\n");
    Decryptor d(DecryptionKeys::from_entries({}, "flux-system/test"));
    EXPECT_EQ(error_of([&] { d.decrypt_sources(dir.string(), "."); }), "(no error)");
    // Flux's lstat of the spec.path, root stripped, absolute or not (issue 20).
    std::string err = error_of([&] { d.decrypt_sources(dir.string(), "/" + long_name); });
    EXPECT_EQ(err, "error decrypting sources: lstat " + long_name + ": file name too long");
    err = error_of([&] { d.decrypt_sources(dir.string(), long_name); });
    EXPECT_EQ(err, "error decrypting sources: lstat " + long_name + ": file name too long");
}

// fuzz_keyservice_request (campaign): a Vault transit URI ending in "/keys/" made the key name's
// offset pass the end of the string once the trailing slash was dropped (std::out_of_range).
TEST(FuzzRegressions, VaultUriEndingInKeysSlashHasNoKeyName) {
    Recipient bare{"hc_vault", "https://vault.example/v1/transit/keys/", Value()};
    std::optional<keyservice_abi::KeySpec> spec;
    EXPECT_NO_THROW(spec = keyservice_detail::spec_of(bare));
    EXPECT_FALSE(spec.has_value());
    Recipient named{"hc_vault", "https://vault.example/v1/transit/keys/sops/", Value()};
    spec = keyservice_detail::spec_of(named);
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->fields.at("key_name"), "sops");
    EXPECT_EQ(spec->fields.at("engine_path"), "transit");
    EXPECT_EQ(spec->fields.at("vault_address"), "https://vault.example");
}
