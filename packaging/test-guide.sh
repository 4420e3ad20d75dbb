#!/usr/bin/env bash
# Runs every ```sh block of the guides, in order, in one shell, with the built sopskit on the
# PATH, a private GnuPG home and a local sshd as the Git host, so the guides cannot rot.
set -euo pipefail
sopskit="$1"
src="$(cd "$(dirname "$0")/.." && pwd)"
for tool in gpg kubectl /usr/sbin/sshd ssh-keygen; do
  command -v "$tool" >/dev/null || { echo "skipping the guide test: $tool is not installed"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
done
work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
sshd_pid=""
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/bin"
ln -s "$sopskit" "$work/bin/sopskit"
ln -s "$src/scripts/rotate-fleet.sh" "$work/bin/rotate-fleet.sh"
export PATH="$work/bin:$PATH" SOPSKIT="$sopskit"

port=$((30000 + $$ % 20000))
ssh-keygen -q -t ecdsa -N '' -f "$work/host_ecdsa"
printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\nUsePAM no\n' "$port" "$work/host_ecdsa" "$work/sshd.pid" > "$work/sshd_config"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>/dev/null &
sshd_pid=$!
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
export GIT_HOST="127.0.0.1:$port"

script="$work/guide.sh"
echo 'set -euo pipefail' > "$script"
for guide in multi-tenancy key-rotation; do
  awk '/^```sh$/ {on=1; next} /^```$/ {on=0} on {print}' "$src/docs/$guide.md" >> "$script"
done
cd "$work"
bash "$script"
echo "guides: every command ran"
echo "1 passed, 0 failed"
