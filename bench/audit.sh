#!/usr/bin/env bash
# sopskit audit over a 10,000-file git repository: 2,000 encrypted Secrets (copies of one SOPS
# file), 2,000 ConfigMaps, 5,990 other files (source, text), 10 kustomizations with a
# secretGenerator, one .sops.yaml. Times `sopskit audit` (work tree) and `sopskit audit --staged`
# (the pre-commit path: exports the index first), best of 3 each. Prints key=value lines.
# Usage: bench/audit.sh path/to/sopskit [files]
set -euo pipefail
sopskit="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
files="${2:-10000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work" SOPS_AGE_KEY_FILE="$work/key.txt" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
: > "$work/gitconfig"
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
git init -q . && git config user.name bench && git config user.email bench@example.com
printf 'creation_rules:\n  - path_regex: .*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: %s\n  - path_regex: .*\\.env$\n    age: %s\n' "$recipient" "$recipient" > .sops.yaml
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: p\n  user: u\n' > seed.yaml
"$sopskit" encrypt -i seed.yaml
secrets=$((files / 5)); configmaps=$((files / 5)); gens=10
others=$((files - secrets - configmaps - 2 * gens - 1))
for ((i = 0; i < secrets; i++)); do d="apps/a$((i % 100))"; mkdir -p "$d"; cp seed.yaml "$d/secret-$i.yaml"; done
for ((i = 0; i < configmaps; i++)); do
  d="apps/a$((i % 100))"; printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\ndata:\n  mode: fast\n' "$i" > "$d/config-$i.yaml"
done
for ((i = 0; i < gens; i++)); do
  d="gen/g$i"; mkdir -p "$d"; printf 'K=v\n' > "$d/app.env"; "$sopskit" encrypt -i "$d/app.env"
  printf 'secretGenerator:\n  - name: app\n    envs: [app.env]\n' > "$d/kustomization.yaml"
done
for ((i = 0; i < others; i++)); do d="src/m$((i % 200))"; mkdir -p "$d"; printf 'int f%d() { return %d; }\n' "$i" "$i" > "$d/f$i.c"; done
rm seed.yaml
git add -A
count="$(git ls-files | wc -l)"
best() {  # best WALL seconds of 3 runs of sopskit audit ARGS
  local b=""
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N); "$sopskit" audit -q "$@" > /dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b="$t"; fi
  done
  printf '%.3f' "$b"
}
echo "audit_files=$count"
echo "audit_worktree_s=$(best)"
echo "audit_staged_s=$(best --staged)"
