#!/usr/bin/env bash
# Times a batch encrypt and a batch rotate of N small age-keyed files, one sopskit run each
# (default 1000). Prints key=value lines.
set -euo pipefail
sopskit="$1"
n="${2:-1000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
mkdir "$work/fleet"
printf 'creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: %s\n' "$recipient" > "$work/.sops.yaml"
for i in $(seq 1 "$n"); do
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n    name: s%d\nstringData:\n    password: p%d\n' "$i" "$i" > "$work/fleet/s$i.yaml"
done
export SOPS_AGE_KEY_FILE="$work/key.txt"
cd "$work"
start=$(date +%s.%N)
"$sopskit" encrypt -i fleet
mid=$(date +%s.%N)
"$sopskit" rotate -i fleet
end=$(date +%s.%N)
echo "rotate_files=$n"
echo "batch_encrypt_s=$(echo "$mid - $start" | bc)"
echo "batch_rotate_s=$(echo "$end - $mid" | bc)"
