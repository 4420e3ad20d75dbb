#!/usr/bin/env bash
# Applies one-line mutants (format bugs that once hid from the suite) to a scratch copy of the
# checkout, one at a time, rebuilds incrementally and runs only the tests that might notice.
# Prints a Markdown table: which tests catch each mutant. ../shared is hidden from the tests
# and nothing reaches the network, so "caught" means caught by a clone alone.
# Usage: scripts/mutants.sh [scratch-folder]   (default: build-mutants/ in the checkout)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${1:-$src/build-mutants}"
copy="$scratch/src"
mkdir -p "$copy"
# The tracked files as they are in the work tree, with the build folder at copy/build so its
# relative paths match a normal build's and the shared ccache answers for untouched files.
git -C "$src" ls-files -z | tar -C "$src" --null -T - -cf - | tar -C "$copy" -xf -
cmake -S "$copy" -B "$copy/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# name | file | line as it is | line as the mutant has it | tests to run (gtest filter)
mutants=(
  "list items' AAD gets the index|lib/src/core/engine.cpp|            walk_value(e);|            path_.push_back(\"0\"); walk_value(e); path_.pop_back();|IndependentVectors.*:Envelope.*:Rules.*:Mac.*:AgeKeySource.*"
  "MAC hex in lower case|lib/src/core/engine.cpp|        static const char* digits = \"0123456789ABCDEF\";|        static const char* digits = \"0123456789abcdef\";|IndependentVectors.*:Mac.*:AgeKeySource.*"
  "INI values with # or ; unquoted|lib/src/stores/ini_store.cpp|    if (v.find_first_of(\"#;\") != std::string::npos) return \"\`\" + v + \"\`\";|    // mutant: no quoting for # and ;|IniQuoting.*:IniStore.*:Stores*"
  "no default unencrypted_suffix|lib/src/core/sops_file.cpp|    if (md.rules.rule_count() == 0) md.rules.unencrypted_suffix = kDefaultUnencryptedSuffix;|    // mutant: no default suffix|AgeKeySource.*:Hardening.TamperedFilesFailWithSopsExitCodes"
  "Adler-32 seeded with 0|lib/src/k8s/git_secret.cpp|        uLong sum = adler32(0L, Z_NULL, 0);|        uLong sum = 0;|GitSecret.*"
  "Shamir x coordinates 0, 1, 2…|lib/src/core/shamir.cpp|        shares.back().data()[secret.size()] = xs[i];|        shares.back().data()[secret.size()] = static_cast<std::uint8_t>(i);|Shamir.*"
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
echo "| mutant | caught by (failing tests) |"
echo "|---|---|"
for m in "${mutants[@]}"; do
  IFS='|' read -r name file from to filter <<<"$m"
  cp "$copy/$file" "$copy/$file.orig"
  replace_line "$copy/$file" "$from" "$to"
  if ! cmake --build "$copy/build" --target sopskit_tests >"$scratch/build.log" 2>&1; then
    caught="(does not compile: see $scratch/build.log)"
  else
    "$copy/build/tests/sopskit_tests" --gtest_filter="$filter" >"$scratch/run.log" 2>&1 || true
    caught="$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_.\/]*\)$/\1/p' "$scratch/run.log" | sort -u | paste -sd' ' -)"
    [ -n "$caught" ] || caught="**NONE**"
  fi
  mv "$copy/$file.orig" "$copy/$file"
  echo "| $name (\`$file\`) | $caught |"
done
# Leave the scratch build at the unmutated sources.
cmake --build "$copy/build" --target sopskit_tests >/dev/null 2>&1 || true
