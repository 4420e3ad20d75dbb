#!/usr/bin/env bash
# The seed workflow end to end on built-in sample data:
#   make a cluster key (GnuPG, no passphrase, in a private keyring), write a Flux git-credential
#   Secret auth.yaml, encrypt its data/stringData in place, show it, decrypt it.
# Then the same with an age key.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SOPSKIT_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" >/dev/null
sopskit="$build/cli/sopskit"

work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
cleanup() { gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. A GnuPG key for the cluster (as 'gpg --full-generate-key', no passphrase)"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "cluster0.example.com (flux secrets)" rsa4096 encr never 2>/dev/null
fp="$(gpg --batch --list-keys --with-colons | awk -F: '/^fpr:/ {print $10; exit}')"
echo "fingerprint: $fp"

step "2. The tenant's git credential Secret (as 'flux create secret git ... --export > auth.yaml')"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out identity 2>/dev/null
chmod 600 identity
pub="$(ssh-keygen -y -f identity 2>/dev/null || echo 'ecdsa-sha2-nistp384 (ssh-keygen not installed)')"
{
  echo "---"
  echo "apiVersion: v1"
  echo "kind: Secret"
  echo "metadata:"
  echo "  name: dev-team-auth"
  echo "  namespace: apps"
  echo "stringData:"
  echo "  identity: |"
  sed 's/^/    /' identity
  echo "  identity.pub: |"
  echo "    $pub"
  echo "  known_hosts: github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="
} > auth.yaml
rm -f identity
cat auth.yaml

step "3. sopskit --encrypt --encrypted-regex '^(data|stringData)\$' --pgp \$FP --in-place auth.yaml"
"$sopskit" --encrypt --encrypted-regex '^(data|stringData)$' --pgp "$fp" --in-place auth.yaml
cat auth.yaml

step "4. sopskit --decrypt auth.yaml (what the controller applies)"
"$sopskit" --decrypt auth.yaml

step "5. The same with an age key"
age-keygen -o age.key 2>/dev/null
recipient="$(age-keygen -y age.key)"
# Re-key through a pipe: the plaintext never touches the disk.
"$sopskit" decrypt auth.yaml |
  "$sopskit" encrypt --input-type yaml --age "$recipient" --encrypted-regex '^(data|stringData)$' - > auth.age.yaml
grep -A3 '^    age:' auth.age.yaml
SOPS_AGE_KEY_FILE=age.key "$sopskit" decrypt --extract '["metadata"]["name"]' auth.age.yaml
echo
echo "demo: all steps succeeded"
