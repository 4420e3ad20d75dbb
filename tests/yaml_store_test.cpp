// The YAML store: go-yaml v3 typing on read, go-yaml v3 layout on write, comments kept.
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "test_support.hpp"

using namespace sopskit;

namespace {
Branch one_doc(std::string_view yaml) {
    Branches docs = load_plain(Format::Yaml, yaml);
    EXPECT_EQ(docs.size(), 1u);
    return docs.empty() ? Branch{} : docs.front();
}
const Value& get(const Branch& b, std::string_view key) {
    for (const auto& item : b)
        if (!item.is_comment() && item.key.text == key) return item.value;
    static Value none;
    ADD_FAILURE() << "no key " << key;
    return none;
}
std::string round_trip(std::string_view yaml, int indent = 4) {
    StoreOptions o;
    o.yaml_indent = indent;
    return emit_plain(Format::Yaml, load_plain(Format::Yaml, yaml), o);
}
}  // namespace

TEST(YamlStore, PlainScalarsAreTypedAsGoYamlTypesThem) {
    Branch b = one_doc(
        "s: hello\ni: 42\nneg: -7\nhex: 0x1F\noct: 0o17\nf: 1.5\nexp: 1e3\nt: true\nT: True\nn: null\ntilde: ~\n"
        "yes: yes\non: on\nq: '1'\ndq: \"true\"\ndate: 2024-01-15\nts: 2001-12-14t21:59:43.10-05:00\ninf: .inf\n"
        "eight: 08\nempty:\n");
    EXPECT_EQ(get(b, "s").kind, Kind::String);
    EXPECT_EQ(get(b, "i").integer, 42);
    EXPECT_EQ(get(b, "neg").integer, -7);
    EXPECT_EQ(get(b, "hex").integer, 31);
    EXPECT_EQ(get(b, "oct").integer, 15);
    EXPECT_EQ(get(b, "f").kind, Kind::Float);
    EXPECT_DOUBLE_EQ(get(b, "exp").number, 1000.0);
    EXPECT_TRUE(get(b, "t").boolean);
    EXPECT_EQ(get(b, "T").kind, Kind::Bool);
    EXPECT_EQ(get(b, "n").kind, Kind::Null);
    EXPECT_EQ(get(b, "tilde").kind, Kind::Null);
    EXPECT_EQ(get(b, "yes").kind, Kind::String) << "go-yaml v3 reads yes/no as strings";
    EXPECT_EQ(get(b, "on").kind, Kind::String);
    EXPECT_EQ(get(b, "q").kind, Kind::String);
    EXPECT_EQ(get(b, "dq").kind, Kind::String);
    EXPECT_EQ(get(b, "date").kind, Kind::Time);
    EXPECT_EQ(get(b, "date").text, "2024-01-15T00:00:00Z");
    EXPECT_EQ(get(b, "ts").text, "2001-12-14T21:59:43.1-05:00");
    EXPECT_EQ(get(b, "inf").kind, Kind::Float);
    EXPECT_EQ(get(b, "eight").kind, Kind::Float) << "08 is not octal, so Go parses it as a float";
    EXPECT_EQ(get(b, "empty").kind, Kind::Null);
}

TEST(YamlStore, EmitsLikeGoYamlV3WithIndentFour) {
    EXPECT_EQ(round_trip("a: 1\nb:\n  c: x\n  d: [1, 2]\ne: []\nf: {}\n"),
              "a: 1\nb:\n    c: x\n    d:\n        - 1\n        - 2\ne: []\nf: {}\n");
    EXPECT_EQ(round_trip("list:\n- name: a\n  value: b\n- - x\n  - z\n"),
              "list:\n    - name: a\n      value: b\n    - - x\n      - z\n");
    // go-yaml quotes YAML 1.1 booleans such as y/n/on/off so old readers agree.
    EXPECT_EQ(round_trip("a: y\nb: off\n"), "a: \"y\"\nb: \"off\"\n");
}

TEST(YamlStore, QuotesStringsThatWouldReadBackAsOtherTypes) {
    EXPECT_EQ(round_trip("a: '1'\nb: 'true'\nc: 'yes'\nd: ''\ne: 'null'\nf: '2024-01-01'\ng: '1.5'\n"),
              "a: \"1\"\nb: \"true\"\nc: \"yes\"\nd: \"\"\ne: \"null\"\nf: \"2024-01-01\"\ng: \"1.5\"\n");
}

TEST(YamlStore, UsesSingleQuotesForIndicatorsAndDoubleForSpecialCharacters) {
    EXPECT_EQ(round_trip("a: 'x: y'\nb: '- z'\nc: '#c'\nd: ' lead'\ne: \"tab\\there\"\nf: \"it's\"\n"),
              "a: 'x: y'\nb: '- z'\nc: '#c'\nd: ' lead'\ne: \"tab\\there\"\nf: it's\n");
}

// One-line plain scalars are copied from the input rather than through libfyaml's token
// iterator: the text must still end before trailing blanks and comments, keep inner blanks and
// tabs, and stop at CR LF or a lone CR.
TEST(YamlStore, OneLinePlainScalarsReadAsLibfyamlTokensHaveThem) {
    Branch b = one_doc("a: x y  \nb: x\ty\t# c\nc: p:q #r\r\nd: [s t , u]\re: {k: v w}\nf: ENC[x]\ng: a#b\n");
    EXPECT_EQ(get(b, "a").text, "x y");
    EXPECT_EQ(get(b, "b").text, "x\ty");
    EXPECT_EQ(get(b, "c").text, "p:q");
    ASSERT_EQ(get(b, "d").list.size(), 2u);
    EXPECT_EQ(get(b, "d").list[0].text, "s t");
    EXPECT_EQ(get(b, "d").list[1].text, "u");
    EXPECT_EQ(get(b, "e").map.at(0).value.text, "v w");
    EXPECT_EQ(get(b, "f").text, "ENC[x]");
    EXPECT_EQ(get(b, "g").text, "a#b");
    // A plain scalar over two lines is folded by libfyaml, not copied. NEL and LS are no line
    // breaks to it (YAML 1.2): they stay in the text as written.
    EXPECT_EQ(get(one_doc("a: x\n  y\n"), "a").text, "x y");
    EXPECT_EQ(get(one_doc("a: x\xc2\x85 y\n"), "a").text, "x\xc2\x85 y");
    EXPECT_EQ(get(one_doc("a: x\xe2\x80\xa8y z\n"), "a").text, "x\xe2\x80\xa8y z");
}

// The tree keeps no growth slack: in a file of many small maps it was a quarter of the memory.
TEST(YamlStore, CollectionsHoldNoUnusedCapacity) {
    // Looked at in place: a copy of a vector has no slack whatever the original had.
    Branches docs = load_plain(Format::Yaml, "m:\n  a: 1\n  b: 2\n  c: 3\n  d: 4\n  e: 5\nl:\n  - 1\n  - 2\n  - 3\n");
    ASSERT_EQ(docs.size(), 1u);
    const Branch& b = docs.front();
    const Value& m = get(b, "m");
    EXPECT_EQ(m.map.size(), 5u);
    EXPECT_EQ(m.map.capacity(), m.map.size());
    const Value& l = get(b, "l");
    EXPECT_EQ(l.list.size(), 3u);
    EXPECT_EQ(l.list.capacity(), l.list.size());
}

TEST(YamlStore, MultiLineStringsBecomeLiteralBlocks) {
    EXPECT_EQ(round_trip("a: \"x\\ny\"\nb: \"x\\ny\\n\"\nc: \"x\\n\\n\"\n"),
              "a: |-\n    x\n    y\nb: |\n    x\n    y\nc: |+\n    x\n\n");
    EXPECT_EQ(round_trip("l:\n- \"p\\nq\\n\"\n"), "l:\n    - |\n      p\n      q\n");
}

TEST(YamlStore, FloatsUseGoShortestFormatting) {
    EXPECT_EQ(round_trip("a: 1234568000.0\nb: 0.5\nc: 100000.0\nd: 1000000.0\ne: 0.00001\n"),
              "a: 1.234568e+09\nb: 0.5\nc: 100000\nd: 1e+06\ne: 1e-05\n");
}

TEST(YamlStore, CommentsAreKeptInPlace) {
    const char* in =
        "# head\n"
        "a: 1 # inline\n"
        "b:\n"
        "    # nested head\n"
        "    c: 2\n"
        "    # nested foot\n"
        "# top foot\n"
        "l:\n"
        "    - x # item\n"
        "    # between\n"
        "    - z\n";
    Branch b = one_doc(in);
    ASSERT_TRUE(b[0].is_comment());
    EXPECT_EQ(b[0].key.text, " head");
    ASSERT_TRUE(b[1].is_comment());
    EXPECT_TRUE(b[1].key.comment_inline);
    EXPECT_EQ(b[2].key.text, "a");
    const Value& nested = get(b, "b");
    ASSERT_EQ(nested.map.size(), 3u);
    EXPECT_EQ(nested.map[0].key.text, " nested head");
    EXPECT_EQ(nested.map[2].key.text, " nested foot");
    EXPECT_EQ(round_trip(in), in);
}

TEST(YamlStore, MultipleDocumentsRoundTrip) {
    const char* in = "a: 1\n---\nb: 2\n";
    EXPECT_EQ(load_plain(Format::Yaml, in).size(), 2u);
    EXPECT_EQ(round_trip(in), in);
}

TEST(YamlStore, AliasesAreExpandedAndMergeKeysKeptAsSopsDoes) {
    Branch b = one_doc("base: &b\n  x: 1\ncopy: *b\n");
    EXPECT_EQ(get(b, "copy").map.size(), 1u);
}

TEST(YamlStore, RejectsWhatSopsRejects) {
    EXPECT_THROW(load_plain(Format::Yaml, "- a\n- b\n"), Error);
    EXPECT_THROW(load_plain(Format::Yaml, "just a scalar\n"), Error);
    try {
        load_plain(Format::Yaml, "a: [1\nb: 2\n");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("line"), std::string::npos) << e.what();
    }
}

TEST(YamlStore, AliasBombIsRefused) {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'k'; ++c, ++prev)
        bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
                ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    EXPECT_THROW(load_plain(Format::Yaml, bomb), Error);
}

TEST(YamlStore, EmptyInputHasNoDocuments) {
    EXPECT_TRUE(load_plain(Format::Yaml, "").empty());
}
