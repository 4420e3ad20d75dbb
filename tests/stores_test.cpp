// JSON, dotenv, INI and binary stores: exact bytes as sops writes them, round trips, metadata.
#include "sopskit/error.hpp"
#include "sopskit/format.hpp"
#include "stores/stores_internal.hpp"
#include "test_support.hpp"
#include "tree_json.hpp"

using namespace sopskit;

namespace {
std::string json_round_trip(std::string_view in, int indent = -1) {
    StoreOptions o;
    o.json_indent = indent;
    return emit_plain(Format::Json, load_plain(Format::Json, in), o);
}
}  // namespace

TEST(JsonStore, WritesLikeGoEncodingJsonWithTabs) {
    EXPECT_EQ(json_round_trip(R"({"b":1,"a":[1,2.5,true,null,"x"],"e":{},"l":[]})"),
              "{\n\t\"b\": 1,\n\t\"a\": [\n\t\t1,\n\t\t2.5,\n\t\ttrue,\n\t\tnull,\n\t\t\"x\"\n\t],\n\t\"e\": {},\n\t\"l\": []\n}\n");
    EXPECT_EQ(json_round_trip(R"({"a":{"b":"c"}})", 2), "{\n  \"a\": {\n    \"b\": \"c\"\n  }\n}\n");
}

TEST(JsonStore, NumbersAreIntOrFloatAsGoDecidesAndFormatsThem) {
    Branch b = load_plain(Format::Json, R"({"i":25,"f":25.4,"one":1.0,"e":1e2,"big":1e21,"tiny":0.0000001,"neg":-0})")[0];
    EXPECT_EQ(b[0].value.kind, Kind::Int);
    EXPECT_EQ(b[1].value.kind, Kind::Float);
    EXPECT_EQ(b[2].value.kind, Kind::Float) << "1.0 is not an integer to Go's json.Number.Int64";
    EXPECT_EQ(b[3].value.kind, Kind::Float);
    EXPECT_EQ(json_round_trip(R"({"one":1.0,"e":1e2,"big":1e21,"tiny":0.0000001,"x":1234568000.0,"h":0.1})", 0),
              "{\n\"one\": 1,\n\"e\": 100,\n\"big\": 1e+21,\n\"tiny\": 1e-7,\n\"x\": 1234568000,\n\"h\": 0.1\n}\n");
}

TEST(JsonStore, EscapesStringsAsGoDoes) {
    EXPECT_EQ(json_round_trip(R"({"s":"<a href=\"x\">&amp;</a>\u0001\t\n\u2028é"})", 0),
              "{\n\"s\": \"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\\u0001\\t\\n\\u2028é\"\n}\n");
}

TEST(JsonStore, KeepsOrderAndDuplicatesAndRejectsNonObjects) {
    Branch b = load_plain(Format::Json, R"({"z":1,"a":2,"z":3})")[0];
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b[0].key.text, "z");
    EXPECT_EQ(b[2].value.integer, 3);
    EXPECT_THROW(load_plain(Format::Json, "[1,2]"), Error);
    EXPECT_THROW(load_plain(Format::Json, "42"), Error);
    EXPECT_THROW(load_plain(Format::Json, "{\"a\":"), Error);
}

TEST(DotenvStore, RoundTripsLinesCommentsAndNewlines) {
    const char* in = "# a comment\nA=1\nB=two words\nC=line1\\nline2\nD=\n";
    Branch b = load_plain(Format::Dotenv, in)[0];
    ASSERT_EQ(b.size(), 5u);
    EXPECT_TRUE(b[0].is_comment());
    EXPECT_EQ(b[3].value.text, "line1\nline2");
    EXPECT_EQ(b[1].value.kind, Kind::String) << "dotenv values are strings";
    EXPECT_EQ(emit_plain(Format::Dotenv, {b}), in);
    EXPECT_THROW(load_plain(Format::Dotenv, "NOEQUALS\n"), Error);
}

TEST(IniStore, SectionsAlignedAndCommentsKept) {
    const char* in = "; about people\n[people]\nname = Ann\n; the age\nage=30\n\n[other]\nk = v\n";
    Branches b = load_plain(Format::Ini, in);
    std::string out = emit_plain(Format::Ini, b);
    // go-ini 1.67.3 (sops 3.13.2): a blank line between sections, none after the last.
    EXPECT_EQ(out, "; about people\n[people]\nname = Ann\n; the age\nage  = 30\n\n[other]\nk = v\n");
    EXPECT_EQ(emit_plain(Format::Ini, load_plain(Format::Ini, out)), out);
}

TEST(BinaryStore, WholeFileIsOneDataValue) {
    std::string raw("line\n\0binary\xff", 13);
    Branches b = load_plain(Format::Binary, raw);
    EXPECT_EQ(b[0][0].key.text, "data");
    EXPECT_EQ(emit_plain(Format::Binary, b), raw);
}

TEST(StoreMetadata, PlacedAsEachStoreStoresIt) {
    Value md = Value::empty_map();
    md.map.push_back(Item{Value::string("lastmodified"), Value::string("2024-01-01T00:00:00Z")});
    Value pgp = Value::empty_list();
    Value key = Value::empty_map();
    key.map.push_back(Item{Value::string("enc"), Value::string("-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----")});
    key.map.push_back(Item{Value::string("fp"), Value::string("FP")});
    pgp.list.push_back(key);
    md.map.push_back(Item{Value::string("pgp"), pgp});
    Branches data{Branch{Item{Value::string("x"), Value::string("y")}}};

    std::string env = emit_encrypted(Format::Dotenv, data, md);
    EXPECT_EQ(env, "x=y\nsops_lastmodified=2024-01-01T00:00:00Z\n"
                   "sops_pgp__list_0__map_enc=-----BEGIN PGP MESSAGE-----\\n\\nabc\\n-----END PGP MESSAGE-----\n"
                   "sops_pgp__list_0__map_fp=FP\n");
    Branches ini_data{Branch{Item{Value::string("s"), Value::empty_map()}}};
    ini_data[0][0].value.map.push_back(Item{Value::string("x"), Value::string("y")});
    std::string ini = emit_encrypted(Format::Ini, ini_data, md);
    EXPECT_NE(ini.find("[sops]\nlastmodified         = 2024-01-01T00:00:00Z\npgp__list_0__map_enc = -----BEGIN PGP MESSAGE-----\\n\\nabc"),
              std::string::npos) << ini;
    for (Format f : {Format::Yaml, Format::Json, Format::Dotenv, Format::Ini, Format::Binary}) {
        SCOPED_TRACE(std::string(format_name(f)));
        const Branches& d = f == Format::Ini ? ini_data : data;
        SplitFile back = load_encrypted(f, emit_encrypted(f, d, md));
        EXPECT_EQ(back.metadata.find("pgp")->list[0].find("enc")->text, key.map[0].value.text);
        auto got = sopskit::test::to_json(back.branches[0]);
        // go-ini always has a DEFAULT section, so sops' INI tree starts with an empty one.
        if (f == Format::Ini) got.erase("DEFAULT");
        EXPECT_EQ(got.dump(), sopskit::test::to_json(d[0]).dump());
    }
    EXPECT_THROW(load_encrypted(Format::Json, "{\"a\": 1}"), Error);
    Branches reserved{Branch{Item{Value::string("sops"), Value::string("x")}}};
    EXPECT_THROW(emit_encrypted(Format::Yaml, reserved, md), Error);
}

TEST(Flatten, RoundTripsNestedMetadataAndRejectsCollisions) {
    Value v = Value::empty_map();
    Value inner = Value::empty_map();
    inner.map.push_back(Item{Value::string("b"), Value::string("1")});
    Value list = Value::empty_list();
    list.list.push_back(Value::string("x"));
    list.list.push_back(inner);
    v.map.push_back(Item{Value::string("a"), list});
    Branch flat = detail::flatten_map(v, "p_");
    ASSERT_EQ(flat.size(), 2u);
    EXPECT_EQ(flat[0].key.text, "p_a__list_0");
    EXPECT_EQ(flat[1].key.text, "p_a__list_1__map_b");
    for (auto& item : flat) item.key.text = item.key.text.substr(2);
    EXPECT_EQ(sopskit::test::to_json(detail::unflatten_items(flat)).dump(), sopskit::test::to_json(v).dump());
    Branch gap{Item{Value::string("l__list_1"), Value::string("x")}};
    EXPECT_THROW(detail::unflatten_items(gap), Error);
}
