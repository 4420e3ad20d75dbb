// INI values are written as go-ini (gopkg.in/ini.v1, File.writeToBuffer) quotes them, which
// sops uses: a value holding a newline or a backquote goes in """...""", one holding '#' or ';'
// in `...`, one with leading or trailing spaces in "...", anything else bare. Otherwise a
// reader would cut the value at the comment character.
#include "sopskit/format.hpp"
#include "test_support.hpp"

using namespace sopskit;

TEST(IniQuoting, FollowsGoIniRules) {
    Branch section;
    for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"a", "x # y"}, {"b", "x;y"}, {"c", " padded"}, {"d", "two\nlines"}, {"e", "plain"}, {"f", "back`quote"}})
        section.push_back(Item{Value::string(k), Value::string(v)});
    Branches doc{Branch{Item{Value::string("s"), Value::empty_map()}}};
    doc[0][0].value.map = section;
    std::string out = emit_plain(Format::Ini, doc);
    EXPECT_EQ(out, "[s]\na = `x # y`\nb = `x;y`\nc = \" padded\"\nd = \"\"\"two\nlines\"\"\"\ne = plain\nf = \"\"\"back`quote\"\"\"\n") << out;
    // And read back to the same values (go-ini's reading removes the quotes). The """ form is
    // left out here: sopskit's reader does not yet take it back (see docs/testing.md).
    std::string json = emit_plain(Format::Json, load_plain(Format::Ini, out));
    for (const char* want : {"\"a\": \"x # y\"", "\"b\": \"x;y\"", "\"c\": \" padded\"", "\"e\": \"plain\""})
        EXPECT_NE(json.find(want), std::string::npos) << want << " in " << json;
}
