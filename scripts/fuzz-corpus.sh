#!/usr/bin/env bash
# Keeps the repository's fuzz corpus (fuzz/corpus/TARGET) small and current: after a campaign
# (scripts/fuzz.sh), merges what the campaign found into the smallest set of inputs that covers
# the same edges beyond the seeds fuzz.sh makes anyway, and writes it back. Edges only: with
# libFuzzer's hit-count buckets as well, the kept corpus of the 33 targets was 8.8 MB (1.9 MB
# with edges alone) for the same edges.
#   scripts/fuzz-corpus.sh [target ...]        (default: every target with a campaign corpus)
# Inputs that hold 64 bytes or more of an upstream file from ../shared/conformance/ (seeds and
# what the fuzzer grew from them) are left out: the project keeps only inputs it made itself;
# fuzz.sh seeds every run from the upstream files where they are.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SOPSKIT_FUZZ_DIR:-$root/build-fuzz}"
conformance="$root/../shared/conformance"
[ -d "$build/seeds" ] || { echo "fuzz-corpus: run scripts/fuzz.sh first (no seeds in $build/seeds)" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd "$build/corpus" && ls -d fuzz_* | sort)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for t in "${targets[@]}"; do
  out="$work/$t"
  mkdir -p "$out"
  # The seeds go in first so that merge keeps only what adds to them, then they are dropped.
  cp "$build/seeds/$t/"* "$out/" 2>/dev/null || true
  ls "$out" > "$work/$t.seeds"
  inputs=()
  [ -d "$build/corpus/$t" ] && inputs+=("$build/corpus/$t")
  [ -d "$root/fuzz/corpus/$t" ] && inputs+=("$root/fuzz/corpus/$t")
  len=65536
  [ "$t" = fuzz_key_ids ] && len=1048576
  "$build/fuzz/$t" -merge=1 -use_counters=0 -max_len="$len" -timeout=20 -rss_limit_mb=2048 "$out" "${inputs[@]}" \
    > "$work/$t.log" 2>&1 || { echo "fuzz-corpus: merge of $t failed (see below)" >&2; tail -5 "$work/$t.log" >&2; exit 1; }
  (cd "$out" && xargs -r rm -f < "$work/$t.seeds")
done

# Leave out inputs that carry upstream text.
python3 - "$work" "$conformance" "${targets[@]}" <<'PY'
import os, sys
work, conformance, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
W = 64
upstream = set()
for folder, _, files in os.walk(conformance):
    for name in files:
        data = open(os.path.join(folder, name), "rb").read()
        upstream.update(hash(data[i:i + W]) for i in range(len(data) - W + 1))
for t in targets:
    out = os.path.join(work, t)
    for name in os.listdir(out):
        path = os.path.join(out, name)
        data = open(path, "rb").read()
        if any(hash(data[i:i + W]) in upstream for i in range(len(data) - W + 1)):
            os.remove(path)
PY

printf '%-26s %8s %10s\n' target inputs bytes
for t in "${targets[@]}"; do
  rm -rf "$root/fuzz/corpus/$t"
  mkdir -p "$root/fuzz/corpus/$t"
  cp "$work/$t/"* "$root/fuzz/corpus/$t/" 2>/dev/null || true
  printf '%-26s %8s %10s\n' "$t" "$(ls "$root/fuzz/corpus/$t" | wc -l)" "$(du -sb "$root/fuzz/corpus/$t" | cut -f1)"
done
