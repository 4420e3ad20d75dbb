#!/usr/bin/env bash
# One-process throughput and peak memory of encrypting and decrypting a 10 MiB YAML file, in
# two shapes: many small values (the worst case: one envelope per ~10 bytes) and Secret-like
# 4 KiB base64 blobs, through the sopskit CLI (so the figures hold whatever the stores do
# inside). Beside each, every available YAML parser's own time on the same bytes (plaintext for
# encrypt, the encrypted file for decrypt). Also the whole-process time of decrypting one small
# file, with `age -d` of a small file as the peer. Prints key=value lines. RUNS (default 3):
# runs of each encrypt and decrypt, the fastest kept (as for the parsers).
set -euo pipefail
sopskit="$1"
floor="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
export SOPS_AGE_KEY_FILE="$work/key.txt"

python3 "$(dirname "$0")/make_large_yaml.py" "$work"

# RUNS runs of a command (default 3): the fastest wall time (to the microsecond: /usr/bin/time's
# 10 ms steps were a fifth of a 0.05 s row) and the median peak KiB; the last run's output
# stays in $work/out. The fastest, as for the parsers below: both sides of a ratio take the same
# statistic, the one a shared machine's noise moves least.
runs_of_each="${RUNS:-3}"
measure() {
  python3 - "$work/out" "$runs_of_each" "$@" <<'PY'
import os, statistics, sys, time
out, runs, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
walls, peaks = [], []
for _ in range(runs):
    with open(out, "wb") as sink:
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, sink.fileno(), 1)])
        _, status, usage = os.wait4(pid, 0)
        walls.append(time.perf_counter() - start)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"throughput: {argv[1]} failed")
    peaks.append(usage.ru_maxrss)
print(f"{min(walls):.4f} {int(statistics.median(peaks))}")
PY
}
# The fastest of three parse-alone runs; "n/a" without the parser.
floor_seconds() {  # FILE PARSER
  for _ in 1 2 3; do "$floor" "$1" "$2" | sed -n 's/^seconds=//p'; done | sort -n | head -1
}

for shape in small blobs; do
  plain="$work/$shape.yaml"
  read -r enc_s enc_kb < <(measure "$sopskit" encrypt --age "$recipient" "$plain")
  cp "$work/out" "$work/$shape.enc.yaml"
  read -r dec_s dec_kb < <(measure "$sopskit" decrypt "$work/$shape.enc.yaml")
  cmp -s "$work/out" "$plain" && same=yes || same=no
  echo "yaml_${shape}_bytes=$(stat -c %s "$plain")"
  echo "yaml_${shape}_encrypted_bytes=$(stat -c %s "$work/$shape.enc.yaml")"
  echo "yaml_${shape}_values=$(grep -o 'ENC\[AES256_GCM' "$work/$shape.enc.yaml" | wc -l)"
  echo "yaml_${shape}_encrypt_s=$enc_s"
  echo "yaml_${shape}_encrypt_peak_kb=$enc_kb"
  echo "yaml_${shape}_decrypt_s=$dec_s"
  echo "yaml_${shape}_decrypt_peak_kb=$dec_kb"
  echo "yaml_${shape}_round_trip_identical=$same"
  for parser in fyaml libyaml; do
    echo "yaml_${shape}_parse_plain_${parser}_s=$(floor_seconds "$plain" "$parser")"
    echo "yaml_${shape}_parse_encrypted_${parser}_s=$(floor_seconds "$work/$shape.enc.yaml" "$parser")"
  done
  # yaml-cpp builds its tree ten times slower than either event parser: plaintext once, for context.
  echo "yaml_${shape}_parse_plain_yamlcpp_s=$("$floor" "$plain" yamlcpp | sed -n 's/^seconds=//p')"
done

printf 'password: hunter2\n' > "$work/tiny.yaml"
"$sopskit" encrypt --age "$recipient" "$work/tiny.yaml" > "$work/tiny.enc.yaml"
printf 'hunter2' | age -r "$recipient" > "$work/tiny.age"
runs=50
time_loop() {  # average milliseconds of one run of the command
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null; done
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / $runs / 1000000" | bc
}
echo "cli_sopskit_decrypt_ms=$(time_loop "$sopskit" decrypt "$work/tiny.enc.yaml")"
echo "cli_age_decrypt_ms=$(time_loop age -d -i "$work/key.txt" "$work/tiny.age")"
