// Files written once by an implementation independent of sopskit (testdata/sops-vectors/
// generate.py: Python's AES-GCM and hashlib, the real age CLI for the data key). They need
// neither ../shared nor the network, so a clone still catches a changed additional data
// (list items share their parent's path), MAC or envelope.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sopskit::test::read_file;
using sopskit::test::run_argv;

TEST(IndependentVectors, PythonWrittenYamlDecryptsWithItsMacVerified) {
    fs::path dir = fs::path(SOPSKIT_SOURCE_DIR) / "testdata/sops-vectors";
    auto r = run_argv({sopskit::test::cli_path(), "-d", "--output-type", "json", "values.enc.yaml"}, dir,
                      {{"SOPS_AGE_KEY_FILE", (dir / "age-key.txt").string()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(read_file(dir / "values.expected.json")));
}
