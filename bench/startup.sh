#!/usr/bin/env bash
# Start-up: the whole-process time of decrypting one small Secret (age, then PGP), beside
# `age -d` and `gpg --decrypt` of the same bytes and /bin/true, run in turn (A B C A B C ...)
# so a drift of the machine hits all alike. Medians of wall and CPU (user + sys) time, and the
# shared libraries the age decrypt maps. Prints key=value lines, as the other bench scripts.
# Usage: bench/startup.sh path/to/sopskit [runs]
set -euo pipefail
sopskit="$1"
runs="${2:-41}"
work="$(mktemp -d)"
trap 'gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export HOME="$work" SOPS_AGE_KEY_FILE="$work/key.txt"
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
cat > "$work/secret.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
    name: demo
type: Opaque
stringData:
    username: admin
    password: hunter2-very-secret
YAML
"$sopskit" encrypt --age "$recipient" --encrypted-regex '^(data|stringData)$' "$work/secret.yaml" > "$work/age.enc.yaml"
age -r "$recipient" -o "$work/secret.age" "$work/secret.yaml"

# PGP: a passphrase-less key in a private GnuPG home; the agent is started before timing.
pgp=no
setup_pgp() {
  export GNUPGHOME="$work/gnupg"
  mkdir -m 700 "$GNUPGHOME"
  local quiet=(--batch --pinentry-mode loopback --passphrase '')
  gpg "${quiet[@]}" --quick-gen-key 'bench <bench@example.invalid>' ed25519 default never >/dev/null 2>&1 || return 1
  fp="$(gpg --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')"
  gpg "${quiet[@]}" --quick-add-key "$fp" cv25519 encr never >/dev/null 2>&1 || return 1
  "$sopskit" encrypt --pgp "$fp" --encrypted-regex '^(data|stringData)$' "$work/secret.yaml" > "$work/pgp.enc.yaml" || return 1
  gpg --batch --yes --trust-model always -r "$fp" -o "$work/secret.gpg" -e "$work/secret.yaml" 2>/dev/null || return 1
  "$sopskit" decrypt "$work/pgp.enc.yaml" >/dev/null && gpg --batch -q -d "$work/secret.gpg" >/dev/null 2>&1
}
if command -v gpg >/dev/null && setup_pgp; then pgp=yes; else echo "startup: no PGP rows (gpg missing or key setup failed)" >&2; fi

python3 - "$runs" "$pgp" "$sopskit" "$work" <<'PY'
import os, statistics, sys, time
runs, pgp, sopskit, work = int(sys.argv[1]), sys.argv[2] == "yes", sys.argv[3], sys.argv[4]
cases = {
    "sopskit_age": [sopskit, "decrypt", f"{work}/age.enc.yaml"],
    "age": ["age", "-d", "-i", f"{work}/key.txt", f"{work}/secret.age"],
    "true": ["/bin/true"],
}
if pgp:
    cases["sopskit_pgp"] = [sopskit, "decrypt", f"{work}/pgp.enc.yaml"]
    cases["gpg"] = ["gpg", "--batch", "-q", "-d", f"{work}/secret.gpg"]
devnull = os.open(os.devnull, os.O_RDWR)

def once(argv):
    start = time.perf_counter_ns()
    # posix_spawn (vfork-like): a fork of this interpreter would add its own page-table copy.
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - start) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"startup: {' '.join(argv)} failed")
    return wall, (usage.ru_utime + usage.ru_stime) * 1e3

samples = {name: ([], []) for name in cases}
for name, argv in cases.items():  # one warm-up each
    once(argv)
for _ in range(runs):
    for name, argv in cases.items():
        wall, cpu = once(argv)
        samples[name][0].append(wall)
        samples[name][1].append(cpu)
for name, (wall, cpu) in samples.items():
    print(f"startup_{name}_wall_ms={statistics.median(wall):.2f}")
    print(f"startup_{name}_cpu_ms={statistics.median(cpu):.2f}")
PY

# What a PGP decrypt with a protected key adds: gpg-agent's private-key step alone, over its socket
# (an unprotected key's file is read by sopskit itself).
if [ "$pgp" = yes ]; then
  grip="$(gpg --with-keygrip --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^ssb/ {sub_=1} sub_ && /^grp/ {print $10; exit}')"
  python3 "$(dirname "$0")/agent_round_trip.py" "$(gpgconf --list-dirs agent-socket)" "$grip" "$work/secret.gpg" "$runs" ||
    echo "startup: no agent row" >&2
fi

# The shared objects an age decrypt maps (the dynamic loader's own list).
libs="$(LD_DEBUG=files "$sopskit" decrypt "$work/age.enc.yaml" 2>&1 >/dev/null |
  sed -n 's/.*file=\([^ ]*\) \[0\];  needed by.*/\1/p' | sort -u)"
echo "startup_sopskit_age_libraries=$(echo "$libs" | grep -c .)"
echo "startup_sopskit_age_library_names=$(echo "$libs" | tr '\n' ' ' | sed 's/ $//')"
