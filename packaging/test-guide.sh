#!/usr/bin/env bash
# Runs every ```sh block of the guides, in order, in one shell, with the built sopskit on the
# PATH, a private GnuPG home and a local sshd as the Git host, so the guides cannot rot.
set -euo pipefail
sopskit="$1"
src="$(cd "$(dirname "$0")/.." && pwd)"
# A missing tool is a visible skip: exit 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE).
for tool in gpg kubectl /usr/sbin/sshd ssh-keygen python3; do
  command -v "$tool" >/dev/null || { echo "skipping the guide test: $tool is not installed"; exit 77; }
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

# A port the kernel hands out (bind to 0, read it back); sshd then reports it listens there,
# and dies loudly if someone took the port in between.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ssh-keygen -q -t ecdsa -N '' -f "$work/host_ecdsa"
printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\nUsePAM no\n' "$port" "$work/host_ecdsa" "$work/sshd.pid" > "$work/sshd_config"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
mkfifo "$work/sshd.log"
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
# Reads sshd's own log until it says it listens (or exits: end of the pipe).
exec 3<"$work/sshd.log"
listening=""
while IFS= read -r -t 30 line <&3; do
  case "$line" in *"Server listening on 127.0.0.1 port $port"*) listening=1; break ;; esac
  echo "sshd: $line" >&2
done
[ -n "$listening" ] || { echo "sshd did not start on 127.0.0.1:$port" >&2; exit 1; }
cat <&3 >/dev/null &  # keep draining sshd's log so it never blocks on a full pipe
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
