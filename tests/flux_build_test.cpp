// `sopskit build` as kustomize-controller builds: the generated kustomization, the Kustomization
// spec fields, loading from anywhere inside the root (never outside), --no-remote-bases, and
// postBuild substitution (fluxcd/pkg/envsubst's own cases). Where Flux only writes fields into
// the kustomization, the output is checked against the real `kubectl kustomize` given the same
// fields by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "sopskit/envsubst.hpp"
#include "sopskit/error.hpp"
#include "sopskit/flux_build.hpp"
#include "sopskit/format.hpp"
#include "test_support.hpp"

using namespace sopskit;
using sopskit::test::read_file;
using sopskit::test::run;
using sopskit::test::write_file;
namespace fs = std::filesystem;

namespace {

std::string subst(const std::string& text, const std::map<std::string, std::string>& vars, bool strict = false) {
    return flux_envsubst(text, vars, EnvsubstOptions{strict});
}

std::string subst_error(const std::string& text, const std::map<std::string, std::string>& vars, bool strict = false) {
    try {
        subst(text, vars, strict);
    } catch (const Error& e) {
        return e.what();
    }
    return "(none)";
}

void sort_maps(std::vector<Item>& items);
void sort_maps(Value& v) {
    if (v.kind == Kind::Map) sort_maps(v.map);
    if (v.kind == Kind::List)
        for (Value& e : v.list) sort_maps(e);
}
void sort_maps(std::vector<Item>& items) {
    std::erase_if(items, [](const Item& i) { return i.is_comment(); });
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.key.text < b.key.text; });
    for (Item& i : items) sort_maps(i.value);
}

// A YAML stream in one canonical rendering (documents parsed, keys sorted, documents sorted,
// emitted again), so kubectl's output and sopskit's compare as trees.
std::string canonical(const std::string& stream) {
    StoreOptions o;
    o.yaml_timestamps = false;
    o.yaml_indent = 2;
    Branches docs = load_plain(Format::Yaml, stream, o);
    std::erase_if(docs, [](const Branch& b) { return b.empty(); });
    std::vector<std::string> texts;
    for (Branch& d : docs) {
        sort_maps(d);
        texts.push_back(emit_plain(Format::Yaml, Branches{d}, o));
    }
    std::sort(texts.begin(), texts.end());
    std::string out;
    for (const auto& t : texts) out += "---\n" + t;
    return out;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

struct BuildRepo {
    fs::path dir = sopskit::test::make_temp_dir();
    fs::path repo = dir / "repo";
    std::string cli = q(sopskit::test::cli_path());

    sopskit::test::RunResult build(const std::string& args) { return run("cd " + q(dir) + " && " + cli + " build " + args); }
    sopskit::test::RunResult kubectl(const fs::path& folder, bool anywhere = false) {
        return run("kubectl kustomize " + q(folder) + (anywhere ? " --load-restrictor LoadRestrictionsNone" : ""));
    }
    void file(const std::string& rel, const std::string& text) {
        fs::create_directories((repo / rel).parent_path());
        write_file(repo / rel, text);
    }
};

const char* kConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n";
const char* kDeployment =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n"
    "      containers:\n      - name: c\n        image: nginx:1.0\n";

}  // namespace

// fluxcd/pkg envsubst eval_test.go TestExpand, case by case.
TEST(FluxEnvsubst, FluxsExpandCases) {
    struct Case {
        std::map<std::string, std::string> vars;
        std::string in, out;
    } cases[] = {
        {{}, "abcdEFGH28ij", "abcdEFGH28ij"},
        {{{"var01", "abcdEFGH28ij"}}, "${#var01}", "12"},
        {{{"var01", "abcdEFGH28ij"}}, "${var01^}", "AbcdEFGH28ij"},
        {{{"var01", "abcdEFGH28ij"}}, "${var01^^}", "ABCDEFGH28IJ"},
        {{{"var01", "ABCDEFGH28IJ"}}, "${var01,}", "aBCDEFGH28IJ"},
        {{{"var01", "ABCDEFGH28IJ"}}, "${var01,,}", "abcdefgh28ij"},
        {{{"path_name", "/home/bozo/ideas/thoughts.for.today"}}, "${path_name:11}", "ideas/thoughts.for.today"},
        {{{"path_name", "/home/bozo/ideas/thoughts.for.today"}}, "${path_name:11:5}", "ideas"},
        {{{"var", "abc"}}, "${var=xyz}", "abc"},
        {{}, "${var=xyz}", "xyz"},
        {{{"default_var", "foo"}}, "something ${var=${default_var}}", "something foo"},
        {{{"default_var", "foo1"}}, "foo: ${var=${default_var}-suffix}", "foo: foo1-suffix"},
        {{{"default_var", "foo1"}}, "foo: ${var=prefix${default_var}-suffix}", "foo: prefixfoo1-suffix"},
        {{}, "${var:=xyz}", "xyz"},
        {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/%abc/XYZ}", "abcABC123ABCXYZ"},
        {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/#abc/XYZ}", "XYZABC123ABCabc"},
        {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ//abc/xyz}", "xyzABC123ABCxyz"},
        {{{"stringZ", "abcABC123ABCabc"}}, "${stringZ/abc/xyz}", "xyzABC123ABCabc"},
        {{{"filename", "bash.string.txt"}}, "${filename#*.}", "string.txt"},
        {{{"filename", "path/to/file"}}, "${filename#*/}", "to/file"},
        {{{"filename", "/path/to/file"}}, "${filename#*/}", "path/to/file"},
        {{{"filename", "bash.string.txt"}}, "${filename##*.}", "txt"},
        {{{"filename", "path/to/file"}}, "${filename##*/}", "file"},
        {{{"filename", "/path/to/file"}}, "${filename##*/}", "file"},
        {{{"filename", "bash.string.txt"}}, "${filename%.*}", "bash.string"},
        {{{"filename", "bash.string.txt"}}, "${filename%%.*}", "bash"},
        {{{"var01", "abcdEFGH28ij"}}, "${var=${var01^^}}", "ABCDEFGH28IJ"},
        {{{"var01", "abcdEFGH28ij"}}, "$${var01}", "${var01}"},
        {{{"var01", "abcdEFGH28ij"}}, "some text ${var01}$${var$${var01}$var01${var01}",
         "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"},
        {{{"default_var", "foo"}}, "something $${var=${default_var}}", "something ${var=foo}"},
        {{{"stringZ", "foo/bar"}}, R"(${stringZ/\//-})", "foo-bar"},
        {{{"stringZ", "foo/bar/baz"}}, R"(${stringZ//\//-})", "foo-bar-baz"},
        {{{"default_var", "foo"}}, R"(\\something ${var=${default_var}})", R"(\\something foo)"},
        {{{"stringZ", "foo.bar"}}, "${stringZ/./}", "foobar"},
    };
    for (const auto& c : cases) EXPECT_EQ(subst(c.in, c.vars), c.out) << c.in;
}

// The parser's cases (parse_test.go) seen through evaluation, and the fork's quirks.
TEST(FluxEnvsubst, OperandsEscapesAndQuirks) {
    std::map<std::string, std::string> v{{"string", "a/positionb/position\\c"}, {"x", "X"}, {"empty", ""}};
    EXPECT_EQ(subst("}text http://github.com $$string", v), "}text http://github.com $string");
    EXPECT_EQ(subst(R"(\\.\pipe\pipename)", v), R"(\\.\pipe\pipename)");
    EXPECT_EQ(subst(R"(${string/\/position/L})", v), "aLb/position\\c");
    EXPECT_EQ(subst(R"(${string//\/position/L})", v), "aLbL\\c");
    EXPECT_EQ(subst(R"(${string/position\\/L})", v), "a/positionb/Lc");
    EXPECT_EQ(subst(R"(${x/X/\/l\\})", v), "/l\\");
    EXPECT_EQ(subst("${x#$%:*{}", v), "X");
    EXPECT_EQ(subst("${string:${x}}", {{"string", "abc"}, {"x", "1"}}), "bc");
    EXPECT_EQ(subst("${s:${p:0:1}:${q,,}}", {{"s", "abcdef"}, {"p", "2x"}, {"q", "2"}}), "cd");
    EXPECT_EQ(subst("${empty:-d}${empty:+d}${empty:?d}${unset=d}", v), "dddd") << "every default operator: default when empty";
    EXPECT_EQ(subst("${x:-d}${x:+d}", v), "XX") << "':+' is not bash's alternative value in Flux";
    EXPECT_EQ(subst("${s:-2}", {{"s", "abc"}}), "abc");
    EXPECT_EQ(subst("${s: -2}", {{"s", "abc"}}), "abc") << "Atoi refuses ' -2': the value unchanged";
    EXPECT_EQ(subst("${s:-2:1}", {{"s", "abc"}}), "abc") << ":- is the default operator";
    EXPECT_EQ(subst("$x ${x}$", v), "$x X$") << "$var without braces is left alone";
    EXPECT_EQ(subst(std::string("a${x}\0${x}", 10), v), "aX") << "a NUL ends the text, as Go's scanner reads it";
    EXPECT_EQ(subst("${unset}", v), "");
    EXPECT_EQ(subst("${s/${e}/-}", {{"s", "ab"}, {"e", ""}}), "-ab") << "an empty pattern matches before the first rune";
    EXPECT_EQ(subst("${s//${e}/-}", {{"s", "ab"}, {"e", ""}}), "-a-b-");
    EXPECT_EQ(subst("${s%[a-}", {{"s", "ab"}}), "ab") << "a bad glob leaves the value";
    EXPECT_EQ(subst("${s#[!a]}", {{"s", "!b"}}), "b");
    EXPECT_EQ(subst("${s#[^a]}", {{"s", "ba"}}), "a");
    EXPECT_EQ(subst("${s%b?}", {{"s", "abcbd"}}), "abc");
}

TEST(FluxEnvsubst, ErrorsAsFluxWordsThem) {
    std::map<std::string, std::string> v{{"x", "X"}};
    EXPECT_EQ(subst_error("${x", v), "missing closing brace");
    EXPECT_EQ(subst_error("${x-d}", v), "missing closing brace") << "only the ':-' form exists";
    EXPECT_EQ(subst_error("${}", v), "unable to parse variable name");
    EXPECT_EQ(subst_error("${-x}", v), "unable to parse variable name");
    EXPECT_EQ(subst_error("${#}", v), "bad substitution");
    EXPECT_EQ(subst_error("${x:}", v), "unable to parse substitution within function");
    EXPECT_EQ(subst_error("${x:", v), "bad substitution");
    EXPECT_EQ(subst_error(std::string("${x:\0}", 6), v), "unable to parse substitution within function")
        << "a NUL reads as the end, but is one byte wide where the end is none";
    EXPECT_EQ(subst("${caf\xc3\xa9}", {{"caf\xc3\xa9", "v"}}), "v") << "a letter beyond ASCII is part of a name";
    EXPECT_EQ(subst_error("${a\xe2\x82\xac}", v), "missing closing brace") << "a symbol is not";
    EXPECT_EQ(subst_error("${\xff}", v), "unable to parse variable name") << "nor is an invalid byte";
    EXPECT_EQ(subst_error("${x/a}", v), "bad substitution");
    EXPECT_EQ(subst_error("${x:\xc3\xa9}", v), "bad substitution") << "Go's scanner steps back over a multi-byte character";
    EXPECT_EQ(subst("${x:\xff}", v), "X") << "an invalid byte is one character wide: a substring position that is no number";
    EXPECT_EQ(subst_error("${x:=a", v), "unable to parse substitution within function");
    EXPECT_EQ(subst_error("ok ${x} then ${x", v), "missing closing brace") << "a syntax error fails the whole text";
    EXPECT_EQ(subst_error("${s:1:-2}", {{"s", "abcdef"}}), "bad substitution") << "Go would panic on the backwards slice";
    std::string deep;
    for (int i = 0; i < 200; ++i) deep += "${a:=";
    EXPECT_NE(subst_error(deep, v).find("nested more than"), std::string::npos);
}

// TestExpandStrict: a variable not given is an error unless its operator supplies a default.
TEST(FluxEnvsubst, StrictMode) {
    EXPECT_EQ(subst("${foo}", {{"foo", ""}}, true), "");
    EXPECT_EQ(subst("${missing:=default}${missing:-fallback}${missing=assigned}", {}, true), "defaultfallbackassigned");
    for (const char* in : {"${missing}", "${#missing}", "${missing^}", "${missing^^}", "${missing,}", "${missing,,}",
                           "${missing:0}", "${missing:0:10}", "${missing/pattern/replacement}",
                           "${missing//pattern/replacement}", "${missing/#pattern/replacement}",
                           "${missing/%pattern/replacement}", "${missing#pattern}", "${missing##pattern}",
                           "${missing%pattern}", "${missing%%pattern}"})
        EXPECT_EQ(subst_error(in, {}, true), "variable not set (strict mode): \"missing\"") << in;
    EXPECT_EQ(subst_error("${set:=${missing}}", {{"set", "v"}}, true), "variable not set (strict mode): \"missing\"")
        << "operands are evaluated before the default is chosen";
}

// No kustomization.yaml: Flux lists every .yaml/.yml below the folder (lexical walk order) and
// each sub-folder holding a kustomization; kubectl builds the same list written by hand.
TEST(FluxBuild, GeneratesTheKustomizationAsFluxDoes) {
    REQUIRE_PROGRAM("kubectl");
    BuildRepo r;
    r.file("apps/b.yaml", kConfigMap);
    r.file("apps/a/deploy.yml", kDeployment);
    r.file("apps/a/notes.txt", "not a manifest\n");
    r.file("apps/c/kustomization.yaml", "resources: [svc.yaml]\n");
    r.file("apps/c/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n");
    r.file("apps/c/ignored.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: not-listed\n");
    auto built = r.build("repo/apps --root repo");
    ASSERT_EQ(built.exit_code, 0) << built.err;
    EXPECT_EQ(built.out.find("not-listed"), std::string::npos) << "a sub-folder with a kustomization is one entry";
    EXPECT_TRUE(fs::exists(r.repo / "apps/b.yaml") && !fs::exists(r.repo / "apps/kustomization.yaml"))
        << "the repository is not written to";

    fs::copy(r.repo, r.dir / "by-hand", fs::copy_options::recursive);
    write_file(r.dir / "by-hand/apps/kustomization.yaml",
               "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ./a/deploy.yml\n- ./b.yaml\n- ./c\n");
    auto expected = r.kubectl(r.dir / "by-hand/apps");
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    EXPECT_EQ(canonical(built.out), canonical(expected.out));

    // A folder with no manifests builds to nothing (Flux's "_placeholder" namespace).
    fs::create_directories(r.repo / "empty");
    auto empty = r.build("repo/empty --root repo");
    EXPECT_EQ(empty.exit_code, 0) << empty.err;
    EXPECT_EQ(canonical(empty.out), "");
    auto nowhere = r.build("repo/nowhere --root repo");
    EXPECT_NE(nowhere.exit_code, 0);
    EXPECT_NE(nowhere.err.find("kustomization path not found: stat nowhere: no such file or directory"), std::string::npos)
        << nowhere.err;
    // A .yaml that is not YAML stops the generation, naming the file.
    r.file("bad/x.yaml", "a: [\n");
    auto bad = r.build("repo/bad --root repo");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("failed to decode Kubernetes YAML from x.yaml"), std::string::npos) << bad.err;
    // ... and so does YAML that is not an object (a Helm values file).
    r.file("values/sub/values.yaml", "replicas: 2\nimage: x\n");
    r.file("values/cm.yaml", kConfigMap);
    auto values = r.build("repo/values --root repo");
    EXPECT_NE(values.exit_code, 0);
    EXPECT_NE(values.err.find("failed to decode Kubernetes YAML from sub/values.yaml: missing Resource metadata"), std::string::npos)
        << values.err;
}

// targetNamespace, namePrefix/nameSuffix, patches, images and components from a Flux
// Kustomization: the same output as kubectl given those fields in the kustomization.
TEST(FluxBuild, AppliesTheKustomizationSpecLikeTheKustomizationFields) {
    REQUIRE_PROGRAM("kubectl");
    BuildRepo r;
    r.file("apps/kustomization.yaml",
           "resources: [cm.yaml, deploy.yaml]\nimages:\n- name: nginx\n  newName: registry.local/nginx\n  newTag: \"1.1\"\n");
    r.file("apps/cm.yaml", kConfigMap);
    r.file("apps/deploy.yaml", kDeployment);
    r.file("components/env/kustomization.yaml",
           "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n- pairs:\n    env: prod\n");
    write_file(r.dir / "ks.yaml",
               "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n"
               "spec:\n  path: ./apps\n  targetNamespace: prod\n  namePrefix: pre-\n  nameSuffix: -suf\n"
               "  components:\n  - ../components/env\n  - ../components/missing\n  ignoreMissingComponents: true\n"
               "  images:\n  - name: nginx\n    newTag: \"2.0\"\n  - name: redis\n    newName: cache\n"
               "  patches:\n  - patch: |\n      - op: replace\n        path: /spec/replicas\n        value: 3\n"
               "    target:\n      kind: Deployment\n      name: web\n");
    auto built = r.build("--root repo --kustomization ks.yaml");
    ASSERT_EQ(built.exit_code, 0) << built.err;

    r.file("apps/kustomization.yaml",
           "resources: [cm.yaml, deploy.yaml]\nnamespace: prod\nnamePrefix: pre-\nnameSuffix: -suf\n"
           "components: [../components/env]\n"
           "images:\n- name: nginx\n  newName: registry.local/nginx\n  newTag: \"2.0\"\n- name: redis\n  newName: cache\n"
           "patches:\n- patch: |\n    - op: replace\n      path: /spec/replicas\n      value: 3\n  target:\n    kind: Deployment\n    name: web\n");
    auto expected = r.kubectl(r.repo / "apps");
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    EXPECT_EQ(canonical(built.out), canonical(expected.out));
    EXPECT_NE(built.out.find("image: registry.local/nginx:2.0"), std::string::npos) << "newName kept, newTag merged";
    EXPECT_NE(built.out.find("name: pre-web-suf"), std::string::npos);

    // A component that is not local is refused with Flux's message.
    write_file(r.dir / "remote.yaml",
               "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: x\nspec:\n  path: ./apps\n"
               "  components: [https://github.com/org/repo//c]\n");
    auto remote = r.build("--root repo --kustomization remote.yaml");
    EXPECT_NE(remote.exit_code, 0);
    EXPECT_NE(remote.err.find("component path 'https://github.com/org/repo//c' must be local and relative"), std::string::npos)
        << remote.err;
}

// Files anywhere inside the root load (kubectl's default root-only rule refuses them); a path
// climbing out of the root, an absolute path or a symlink out of the root does not.
TEST(FluxBuild, LoadsFromAnywhereInsideTheRootAndNothingOutside) {
    REQUIRE_PROGRAM("kubectl");
    BuildRepo r;
    r.file("shared/app.properties", "color=blue\n");
    r.file("shared/base/cm.yaml", kConfigMap);
    r.file("apps/kustomization.yaml",
           "resources: [../shared/base/cm.yaml]\nconfigMapGenerator:\n- name: props\n  files: [../shared/app.properties]\n");
    auto refused = r.kubectl(r.repo / "apps");
    ASSERT_NE(refused.exit_code, 0) << "kubectl's own default refuses files outside the kustomization folder";
    auto built = r.build("repo/apps --root repo");
    ASSERT_EQ(built.exit_code, 0) << built.err;
    auto expected = r.kubectl(r.repo / "apps", true);
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    EXPECT_EQ(canonical(built.out), canonical(expected.out));
    EXPECT_NE(built.out.find("color=blue"), std::string::npos);

    // kustomize's own error, as Flux prints it (kubectl's log prefix dropped).
    r.file("miss/kustomization.yaml", "resources: [nope.yaml]\n");
    auto miss = r.build("repo/miss --root repo");
    EXPECT_NE(miss.exit_code, 0);
    EXPECT_EQ(miss.err.rfind("sopskit: kustomize build failed: accumulating resources: ", 0), 0u) << miss.err;
    EXPECT_EQ(miss.err.find("run.go"), std::string::npos) << miss.err;

    write_file(r.dir / "outside.properties", "stolen=1\n");
    r.file("up/kustomization.yaml", "configMapGenerator:\n- name: p\n  files: [../../outside.properties]\n");
    auto up = r.build("repo/up --root repo");
    EXPECT_NE(up.exit_code, 0);
    EXPECT_NE(up.err.find("path '../../outside.properties' in up/kustomization.yaml leaves the repository root"), std::string::npos)
        << up.err;
    r.file("abs/kustomization.yaml", "resources: [" + (r.dir / "outside.yaml").string() + "]\n");
    write_file(r.dir / "outside.yaml", kConfigMap);
    auto abs = r.build("repo/abs --root repo");
    EXPECT_NE(abs.exit_code, 0);
    EXPECT_NE(abs.err.find("absolute path"), std::string::npos) << abs.err;
    // A transformer config's paths count too.
    r.file("tr/kustomization.yaml", "resources: [cm.yaml]\ntransformers: [t.yaml]\n");
    r.file("tr/cm.yaml", kConfigMap);
    r.file("tr/t.yaml", "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: t\npath: ../../outside.yaml\n");
    auto tr = r.build("repo/tr --root repo");
    EXPECT_NE(tr.exit_code, 0);
    EXPECT_NE(tr.err.find("leaves the repository root"), std::string::npos) << tr.err;
    // A symlink out of the root reaches what Flux's secure file system reaches: nothing.
    fs::create_directories(r.repo / "ln");
    fs::create_symlink(r.dir / "outside.properties", r.repo / "ln/p.properties");
    write_file(r.repo / "ln/kustomization.yaml", "configMapGenerator:\n- name: p\n  files: [p.properties]\n");
    auto ln = r.build("repo/ln --root repo");
    EXPECT_NE(ln.exit_code, 0);
    EXPECT_EQ((ln.out + ln.err).find("stolen"), std::string::npos) << ln.out;
    // ... while a symlink inside the root works.
    fs::remove(r.repo / "ln/p.properties");
    fs::create_symlink("../shared/app.properties", r.repo / "ln/p.properties");
    auto in = r.build("repo/ln --root repo");
    EXPECT_EQ(in.exit_code, 0) << in.err;
    EXPECT_NE(in.out.find("color=blue"), std::string::npos);
}

TEST(FluxBuild, NoRemoteBasesRefusesRemoteResources) {
    REQUIRE_PROGRAM("kubectl");
    BuildRepo r;
    r.file("apps/kustomization.yaml", "resources:\n- cm.yaml\n- ../base\n");
    r.file("apps/cm.yaml", kConfigMap);
    r.file("base/kustomization.yaml", "resources:\n- github.com/org/repo//deploy?ref=v1.0.0\n");
    auto refused = r.build("repo/apps --root repo --no-remote-bases");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("remote bases are not allowed (--no-remote-bases): 'github.com/org/repo//deploy?ref=v1.0.0' in "
                               "base/kustomization.yaml"),
              std::string::npos)
        << refused.err;
    // A file:// base is a git clone from this machine's disk: refused even without the flag.
    r.file("base/kustomization.yaml", "resources:\n- file:///srv/other-tenant/repo\n");
    auto file_url = r.build("repo/apps --root repo");
    EXPECT_NE(file_url.exit_code, 0);
    EXPECT_NE(file_url.err.find("'file:///srv/other-tenant/repo' in base/kustomization.yaml names a git repository outside the "
                                "repository root"),
              std::string::npos)
        << file_url.err;
    r.file("base/kustomization.yaml", "resources: [svc.yaml]\n");
    r.file("base/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n");
    auto local = r.build("repo/apps --root repo --no-remote-bases");
    EXPECT_EQ(local.exit_code, 0) << local.err;
}

// postBuild: substitute over substituteFrom (ConfigMap, then Secret, in order), ${var:=default},
// the opt-out label and annotation, optional references, strict mode, commonMetadata.
TEST(FluxBuild, PostBuildSubstitutionAndCommonMetadata) {
    REQUIRE_PROGRAM("kubectl");
    BuildRepo r;
    r.file("apps/cm.yaml",
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  labels:\n    tier: ${tier:=web}\ndata:\n"
           "  greeting: hello ${name}\n  region: ${region}\n  color: ${color}\n  kept: $${name} and $name\n");
    r.file("apps/deploy.yaml",
           "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas:=1}\n");
    r.file("apps/off.yaml",
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: off\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
           "data:\n  v: ${name}\n");
    r.file("apps/off-label.yaml",
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: off-label\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
           "data:\n  v: ${name}\n");
    write_file(r.dir / "vars.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\ndata:\n"
               "  region: eu-1\n  color: red\n  replicas: \"3\"\n---\n"
               "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\ndata:\n"
               "  color: Ymx1ZQo=\n");  // "blue\n": the newline is dropped
    const std::string ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
                           "  namespace: flux-system\nspec:\n  path: ./apps\n"
                           "  commonMetadata:\n    labels:\n      team: a\n    annotations:\n      owner: ops\n"
                           "  postBuild:\n    substitute:\n      name: world\n    substituteFrom:\n"
                           "    - kind: ConfigMap\n      name: cluster-vars\n    - kind: Secret\n      name: cluster-secrets\n"
                           "    - kind: Secret\n      name: absent\n      optional: true\n";
    write_file(r.dir / "ks.yaml", ks);
    auto built = r.build("--root repo --kustomization ks.yaml --substitute-from vars.yaml");
    ASSERT_EQ(built.exit_code, 0) << built.err;
    std::string expected =
        "apiVersion: v1\ndata:\n  color: blue\n  greeting: hello world\n  kept: ${name} and $name\n  region: eu-1\nkind: ConfigMap\n"
        "metadata:\n  annotations:\n    owner: ops\n  labels:\n    team: a\n    tier: web\n  name: app\n---\n"
        "apiVersion: v1\ndata:\n  v: ${name}\nkind: ConfigMap\nmetadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
        "    owner: ops\n  labels:\n    team: a\n  name: off\n---\n"
        "apiVersion: v1\ndata:\n  v: ${name}\nkind: ConfigMap\nmetadata:\n  annotations:\n    owner: ops\n  labels:\n"
        "    kustomize.toolkit.fluxcd.io/substitute: disabled\n    team: a\n  name: off-label\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    owner: ops\n  labels:\n    team: a\n  name: web\n"
        "spec:\n  replicas: 3\n";
    EXPECT_EQ(canonical(built.out), canonical(expected));
    EXPECT_NE(built.out.find("replicas: 3\n"), std::string::npos) << "substituted text is read back: 3 is a number";

    // A reference that is not optional and not given: Flux's message.
    auto missing = r.build("--root repo --kustomization ks.yaml");
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("substitute from 'ConfigMap/cluster-vars' error: configmaps \"cluster-vars\" not found"),
              std::string::npos)
        << missing.err;
    // Strict: ${region} without a value fails, naming the resource and the variable only.
    write_file(r.dir / "ks-strict.yaml", ks.substr(0, ks.find("    substituteFrom:")));
    auto strict = r.build("--root repo --kustomization ks-strict.yaml --strict-substitute");
    EXPECT_NE(strict.exit_code, 0);
    EXPECT_NE(strict.err.find("post build failed for 'ConfigMap.v1.[noGrp]/app': envsubst error: variable substitution failed: "
                              "variable not set (strict mode): \""),
              std::string::npos)
        << strict.err;
    EXPECT_TRUE(strict.err.find("\"region\"") != std::string::npos || strict.err.find("\"color\"") != std::string::npos);
    // Without strict, an unknown variable becomes empty.
    auto lax = r.build("--root repo --kustomization ks-strict.yaml");
    ASSERT_EQ(lax.exit_code, 0) << lax.err;
    EXPECT_NE(lax.out.find("greeting: hello world"), std::string::npos);
    // No variables at all: nothing is substituted unless substituteStrategy is Always.
    const std::string bare = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n"
                             "  path: ./apps\n  postBuild:\n    substitute: {}\n";
    write_file(r.dir / "ks-none.yaml", bare);
    auto none = r.build("--root repo --kustomization ks-none.yaml");
    ASSERT_EQ(none.exit_code, 0) << none.err;
    EXPECT_NE(none.out.find("${replicas:=1}"), std::string::npos) << none.out;
    write_file(r.dir / "ks-always.yaml", bare + "    substituteStrategy: Always\n");
    auto always = r.build("--root repo --kustomization ks-always.yaml");
    ASSERT_EQ(always.exit_code, 0) << always.err;
    EXPECT_NE(always.out.find("replicas: 1\n"), std::string::npos) << always.out;
    // A bad variable name is refused with Flux's pattern.
    write_file(r.dir / "ks-badname.yaml", bare.substr(0, bare.size() - 4) + "\n      my-var: x\n");
    auto badname = r.build("--root repo --kustomization ks-badname.yaml");
    EXPECT_NE(badname.exit_code, 0);
    EXPECT_NE(badname.err.find("'my-var' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"), std::string::npos)
        << badname.err;
}

// The spec parser refuses shapes the API server would refuse, naming the field.
TEST(FluxBuild, KustomizationManifestShapes) {
    EXPECT_THROW(FluxKustomizationSpec::from_manifest("apiVersion: v1\nkind: ConfigMap\n"), Error);
    auto s = FluxKustomizationSpec::from_manifest(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n---\n"
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\n  namespace: b\n"
        "spec:\n  path: x\n  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: s\n      optional: true\n");
    EXPECT_EQ(s.name, "a");
    EXPECT_EQ(s.ns, "b");
    EXPECT_EQ(s.path.value_or(""), "x");
    ASSERT_EQ(s.substitute_from.size(), 1u);
    EXPECT_TRUE(s.substitute_from[0].optional);
    try {
        FluxKustomizationSpec::from_manifest(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec:\n  postBuild:\n    substitute:\n      n: [1]\n");
        ADD_FAILURE() << "a list as a substitute value";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(".spec.postBuild.substitute.n"), std::string::npos) << e.what();
    }
}

// fluxcd/pkg kustomize Test_Images: spec.images merged into the kustomization's own entry by
// name, then built with the real kubectl kustomize.
TEST(FluxBuild, ImagesMergeAsFluxsGeneratorTests) {
    REQUIRE_PROGRAM("kubectl");
    const std::string app = "ghcr.io/example/app";
    const std::string digest = "sha256:" + std::string(64, 'a');
    struct Image {
        std::string newName, newTag, digest;
    };
    struct Case {
        const char* name;
        std::optional<Image> existing;
        Image flux;
        std::string expected;
    } cases[] = {
        {"newTag kept when only newName is set", Image{"", "v1.2.3", ""}, {"registry.example.com/app", "", ""},
         "registry.example.com/app:v1.2.3"},
        {"newName kept when only newTag is set", Image{"registry.example.com/app", "", ""}, {"", "v2.0.0", ""},
         "registry.example.com/app:v2.0.0"},
        {"digest kept when only newName is set", Image{"", "", digest}, {"registry.example.com/app", "", ""},
         "registry.example.com/app@" + digest},
        {"digest cleared when only newTag is set", Image{"", "", digest}, {"", "v2.0.0", ""}, app + ":v2.0.0"},
        {"newTag cleared when only digest is set", Image{"", "v1.2.3", ""}, {"", "", digest}, app + "@" + digest},
        {"newName kept when newTag replaces digest", Image{"registry.example.com/app", "", digest}, {"", "v2.0.0", ""},
         "registry.example.com/app:v2.0.0"},
        {"newTag and digest together", Image{"", "v1.2.3", ""}, {"", "v2.0.0", digest}, app + ":v2.0.0@" + digest},
        {"only a name leaves the entry", Image{"registry.example.com/app", "v1.2.3", ""}, {"", "", ""},
         "registry.example.com/app:v1.2.3"},
        {"set fields override", Image{"old.example.com/app", "v1.2.3", ""}, {"registry.example.com/app", "v2.0.0", ""},
         "registry.example.com/app:v2.0.0"},
        {"no existing entry: appended", std::nullopt, {"registry.example.com/app", "v2.0.0", ""}, "registry.example.com/app:v2.0.0"},
    };
    auto fields = [](const Image& i, const std::string& indent) {
        std::string s;
        if (!i.newName.empty()) s += indent + "newName: " + i.newName + "\n";
        if (!i.newTag.empty()) s += indent + "newTag: " + i.newTag + "\n";
        if (!i.digest.empty()) s += indent + "digest: " + i.digest + "\n";
        return s;
    };
    for (const Case& c : cases) {
        fs::path root = sopskit::test::make_temp_dir();
        write_file(root / "deployment.yaml",
                   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels:\n      app: app\n"
                   "  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n      containers:\n        - name: app\n"
                   "          image: " + app + "\n");
        std::string k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n";
        if (c.existing) k += "images:\n- name: " + app + "\n" + fields(*c.existing, "  ");
        write_file(root / "kustomization.yaml", k);
        auto spec = FluxKustomizationSpec::from_manifest(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec:\n  images:\n  - name: " + app + "\n" +
            fields(c.flux, "    "));
        write_flux_kustomization(root.string(), ".", spec);
        auto built = run("kubectl kustomize " + q(root));
        ASSERT_EQ(built.exit_code, 0) << c.name << ": " << built.err;
        EXPECT_NE(built.out.find("image: " + c.expected + "\n"), std::string::npos) << c.name << "\n" << built.out;
    }
}

// fluxcd/pkg kustomize Test_IgnoreMissingComponents and TestGenerator_NoResources.
TEST(FluxBuild, ComponentsAndEmptyKustomizationsAsFluxsGeneratorTests) {
    REQUIRE_PROGRAM("kubectl");
    fs::path root = sopskit::test::make_temp_dir();
    fs::create_directories(root / "app");
    fs::create_directories(root / "gen");
    write_file(root / "app/cm.yaml", kConfigMap);
    write_file(root / "app/kustomization.yaml", "resources: [cm.yaml]\n");
    fs::create_directories(root / "app/existing-component");
    write_file(root / "app/existing-component/kustomization.yaml",
               "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: comp-\n");
    const std::string ks = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec:\n"
                           "  components: [existing-component, missing-component]\n";
    auto ignoring = FluxKustomizationSpec::from_manifest(ks + "  ignoreMissingComponents: true\n");
    write_flux_kustomization(root.string(), "app", ignoring);
    auto built = run("kubectl kustomize " + q(root / "app"));
    ASSERT_EQ(built.exit_code, 0) << built.err;
    EXPECT_NE(built.out.find("name: comp-app"), std::string::npos) << built.out;

    write_file(root / "app/kustomization.yaml", "resources: [cm.yaml]\n");
    write_flux_kustomization(root.string(), "app", FluxKustomizationSpec::from_manifest(ks));
    auto failed = run("kubectl kustomize " + q(root / "app"));
    EXPECT_NE(failed.exit_code, 0);
    EXPECT_NE(failed.err.find("missing-component"), std::string::npos) << failed.err;

    // No resources (a generator only): Flux adds buildMetadata originAnnotations.
    write_file(root / "gen/kustomization.yaml", "configMapGenerator:\n- name: c\n  literals: [a=b]\n");
    write_flux_kustomization(root.string(), "gen", {});
    EXPECT_NE(read_file(root / "gen/kustomization.yaml").find("originAnnotations"), std::string::npos);
    auto gen = run("kubectl kustomize " + q(root / "gen"));
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    EXPECT_NE(gen.out.find("config.kubernetes.io/origin"), std::string::npos) << gen.out;
    // An empty folder: the placeholder namespace (TestGenerator_EmptyDir).
    fs::create_directories(root / "empty");
    write_flux_kustomization(root.string(), "empty", {});
    EXPECT_NE(read_file(root / "empty/kustomization.yaml").find("_placeholder"), std::string::npos);
}
