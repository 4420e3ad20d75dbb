#!/usr/bin/env bash
# The large-file rows measured by CPU time rather than elapsed time, so that they hold on a
# shared, loaded machine: encrypt and decrypt of the two 10 MiB shapes (make_large_yaml.py)
# beside the parse-alone floor of libfyaml and libyaml on the same input bytes (the plain file
# for encrypt, the encrypted one for decrypt), with peak memory. With a second sopskit (an older
# build) its figures are printed too; the "tree" figures are the new build with its YAML fast
# path turned off (SOPSKIT_YAML_FAST=0). LARGE_FILES_CALLGRIND=1 adds instruction counts
# (valgrind) on a 2 MiB sample: they do not depend on the load at all. Prints key=value lines.
#   bench/large_files.sh SOPSKIT YAML_FLOOR [OLD_SOPSKIT]
set -euo pipefail
sopskit="$1"
floor="$2"
old="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
export SOPS_AGE_KEY_FILE="$work/key.txt"
python3 "$(dirname "$0")/make_large_yaml.py" "$work"

cpu() {  # prints "cpu_seconds peak_kb" of the command (user + system time)
  /usr/bin/time -f "%U %S %M" -o "$work/t" "$@" > "$work/out"
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$work/t"
}
instructions() {  # instructions of the command, from callgrind
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
}

for shape in small blobs; do
  plain="$work/$shape.yaml"
  "$sopskit" encrypt --age "$recipient" "$plain" > "$work/$shape.enc.yaml"
  echo "large_${shape}_bytes=$(stat -c %s "$plain")"
  echo "large_${shape}_encrypted_bytes=$(stat -c %s "$work/$shape.enc.yaml")"
  for who in new tree ${old:+old}; do
    bin="$sopskit"; [ "$who" = old ] && bin="$old"
    fast=1; [ "$who" = tree ] && fast=0
    export SOPSKIT_YAML_FAST="$fast"
    read -r s kb < <(cpu "$bin" encrypt --age "$recipient" "$plain")
    echo "large_${shape}_${who}_encrypt_cpu_s=$s"; echo "large_${shape}_${who}_encrypt_peak_kb=$kb"
    read -r s kb < <(cpu "$bin" decrypt "$work/$shape.enc.yaml")
    cmp -s "$work/out" "$plain" || { echo "large_files: $who decrypt of $shape differs from the input" >&2; exit 1; }
    echo "large_${shape}_${who}_decrypt_cpu_s=$s"; echo "large_${shape}_${who}_decrypt_peak_kb=$kb"
  done
  unset SOPSKIT_YAML_FAST
  for parser in fyaml libyaml; do
    read -r s _ < <(cpu "$floor" "$plain" "$parser")
    echo "large_${shape}_floor_${parser}_plain_cpu_s=$s"
    read -r s _ < <(cpu "$floor" "$work/$shape.enc.yaml" "$parser")
    echo "large_${shape}_floor_${parser}_encrypted_cpu_s=$s"
  done
done

if [ "${LARGE_FILES_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
  mkdir "$work/2m"
  python3 "$(dirname "$0")/make_large_yaml.py" "$work/2m" 2
  plain="$work/2m/small.yaml"
  "$sopskit" encrypt --age "$recipient" "$plain" > "$work/2m/small.enc.yaml"
  for who in new ${old:+old}; do
    bin="$sopskit"; [ "$who" = old ] && bin="$old"
    echo "large_2m_small_${who}_encrypt_instructions=$(instructions "$bin" encrypt --age "$recipient" "$plain")"
    echo "large_2m_small_${who}_decrypt_instructions=$(instructions "$bin" decrypt "$work/2m/small.enc.yaml")"
  done
  for parser in fyaml libyaml; do
    echo "large_2m_small_floor_${parser}_plain_instructions=$(instructions "$floor" "$plain" "$parser")"
    echo "large_2m_small_floor_${parser}_encrypted_instructions=$(instructions "$floor" "$work/2m/small.enc.yaml" "$parser")"
  done
fi
