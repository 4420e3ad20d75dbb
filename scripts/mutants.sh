#!/usr/bin/env bash
# Applies one-line mutants (format bugs that once hid from the suite) to a scratch copy of the
# checkout, one at a time, rebuilds incrementally and runs only the tests that might notice.
# Prints a Markdown table: which tests catch each mutant. ../shared is hidden from the tests
# and nothing reaches the network, so "caught" means caught by a clone alone.
# Usage: scripts/mutants.sh [scratch-folder]   (default: build-mutants/ in the checkout)
#        MUTANTS_ONLY='regex' scripts/mutants.sh  runs only the mutants whose name matches
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${1:-$src/build-mutants}"
copy="$scratch/src"
mkdir -p "$copy"
# The tracked files as they are in the work tree, with the build folder at copy/build so its
# relative paths match a normal build's and the shared ccache answers for untouched files.
# Staged first, then only files whose content changed are copied over (with a fresh time):
# tar keeps the work tree's times, which may be older than a previous run's objects.
stage="$scratch/stage"
rm -rf "$stage"
mkdir -p "$stage"
git -C "$src" ls-files -z | tar -C "$src" --null -T - -cf - | tar -C "$stage" -xf -
(cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' f; do
  if ! cmp -s "$stage/$f" "$copy/$f"; then
    mkdir -p "$(dirname "$copy/$f")"
    cp "$stage/$f" "$copy/$f"
  fi
done
cmake -S "$copy" -B "$copy/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# name | file | line as it is | line as the mutant has it | tests to run (gtest filter)
mutants=(
  "list items' AAD gets the index|lib/src/core/engine.cpp|            walk_value(e);|            path_.push_back(\"0\"); walk_value(e); path_.pop_back();|IndependentVectors.*:Envelope.*:Rules.*:Mac.*:AgeKeySource.*"
  "MAC hex in lower case|lib/src/core/engine.cpp|        static const char* digits = \"0123456789ABCDEF\";|        static const char* digits = \"0123456789abcdef\";|IndependentVectors.*:Mac.*:AgeKeySource.*"
  "INI values with # or ; unquoted|lib/src/stores/ini_store.cpp|    if (v.find_first_of(\"#;\") != std::string::npos) return \"\`\" + v + \"\`\";|    // mutant: no quoting for # and ;|IniQuoting.*:IniStore.*:Stores*:StoreLayouts.*"
  "no default unencrypted_suffix|lib/src/core/sops_file.cpp|    if (md.rules.rule_count() == 0) md.rules.unencrypted_suffix = kDefaultUnencryptedSuffix;|    // mutant: no default suffix|AgeKeySource.*:Hardening.TamperedFilesFailWithSopsExitCodes"
  "Adler-32 seeded with 0|lib/src/k8s/git_secret.cpp|        uLong sum = adler32(0L, Z_NULL, 0);|        uLong sum = 0;|GitSecret.*"
  "Shamir x coordinates 0, 1, 2…|lib/src/core/shamir.cpp|        shares.back().data()[secret.size()] = xs[i];|        shares.back().data()[secret.size()] = static_cast<std::uint8_t>(i);|Shamir.*"
  "YAML key \"<<\" written without !!merge|lib/src/stores/yaml_writer.cpp|    static std::string plain_text(const std::string& s) { return s == \"<<\" ? \"!!merge <<\" : s; }|    static std::string plain_text(const std::string& s) { return s; }|YamlMergeKey.*:YamlStore.*"
  "YAML merge values not checked|lib/src/stores/yaml_reader.cpp|        if (!docs_.empty()) return;  // only the first document goes through that decoding|        return;|YamlMergeKey.*:YamlStore.*"
  "dotenv newlines not escaped|lib/src/stores/dotenv_store.cpp|        out += item.value.kind == Kind::String ? replace_all(item.value.text, \"\\n\", \"\\\\n\") : value_to_string(item.value);|        out += item.value.kind == Kind::String ? item.value.text : value_to_string(item.value);|StoreLayouts.*:DotenvStore.*:StoreMetadata.*"
  "flattened list separator \"__list\"|lib/src/stores/flatten.cpp|constexpr std::string_view kListSep = \"__list_\";|constexpr std::string_view kListSep = \"__list\";|StoreLayouts.*:Flatten.*:StoreMetadata.*"
  "empty aws_profile omitted|kms-providers/aws/kms_source.cpp|        k.set_field(\"aws_profile\", Value::string(profile));|        if (!profile.empty()) k.set_field(\"aws_profile\", Value::string(profile));|KmsEndToEnd.Metadata*"
  "GCP field resource_id renamed|kms-providers/gcp/gcp_source.cpp|        k.set_field(\"resource_id\", Value::string(id));|        k.set_field(\"resourceId\", Value::string(id));|KmsEndToEnd.Metadata*"
)

replace_line() {  # file, from, to: exactly one whole line must match
  python3 - "$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:]
lines = open(path).read().split("\n")
hits = [i for i, l in enumerate(lines) if l == old]
if len(hits) != 1:
    sys.exit(f"{path}: expected one line {old!r}, found {len(hits)}")
lines[hits[0]] = new
open(path, "w").write("\n".join(lines))
PY
}

export SOPSKIT_CONFORMANCE_DIR=/nonexistent  # tests needing ../shared report Skipped
# tar gives the copies their old times: files a previous run mutated would look older than the
# mutants' objects, so they are touched to be rebuilt from the real sources.
for m in "${mutants[@]}"; do
  IFS='|' read -r _ file _ <<<"$m"
  touch "$copy/$file"
done
echo "| mutant | caught by (failing tests) |"
echo "|---|---|"
for m in "${mutants[@]}"; do
  IFS='|' read -r name file from to filter <<<"$m"
  if [ -n "${MUTANTS_ONLY:-}" ] && ! [[ $name =~ $MUTANTS_ONLY ]]; then continue; fi
  cp "$copy/$file" "$copy/$file.orig"
  replace_line "$copy/$file" "$from" "$to"
  if ! cmake --build "$copy/build" -j2 --target sopskit_tests >"$scratch/build.log" 2>&1; then
    caught="(does not compile: see $scratch/build.log)"
  else
    "$copy/build/tests/sopskit_tests" --gtest_filter="$filter" >"$scratch/run.log" 2>&1 || true
    caught="$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_.\/]*\)$/\1/p' "$scratch/run.log" | sort -u | paste -sd' ' -)"
    [ -n "$caught" ] || caught="**NONE**"
  fi
  mv "$copy/$file.orig" "$copy/$file"
  # The restored file must look newer than the mutant's objects, or the next build keeps them.
  touch "$copy/$file"
  echo "| $name (\`$file\`) | $caught |"
done
# Leave the scratch build at the unmutated sources.
cmake --build "$copy/build" -j2 --target sopskit_tests >/dev/null 2>&1 || true
