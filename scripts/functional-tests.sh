#!/usr/bin/env bash
# Runs sops' own functional test suite (../shared/conformance/sops/functional-tests, read-only)
# against the sopskit already built in ./build (or $SOPSKIT_BUILD_DIR); it does not build
# sopskit. The suite is copied to a temporary folder with ./sops pointing at sopskit, the public
# test keys go into a private GNUPGHOME, HOME and TMPDIR are private too, and
# `sopskit kms-emulator` serves Vault KV (v1 on kv/, v2 on secret/) over plain HTTP on a loopback
# port for the two `publish` tests (VAULT_ADDR, VAULT_TOKEN). cargo builds the suite offline from
# Debian's Rust crates. Prints "N passed, N failed[, N skipped]" and exits non-zero on a failure.
#   scripts/functional-tests.sh [cargo test filter]
# Environment: SOPSKIT_FUNCTIONAL_TESTS (the suite's folder), SOPSKIT_FUNCTIONAL_TARGET (cargo's
# target folder, kept between runs; default $build/functional-tests-target).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SOPSKIT_BUILD_DIR:-$root/build}"
suite="${SOPSKIT_FUNCTIONAL_TESTS:-${SOPSKIT_CONFORMANCE_DIR:-$root/../shared/conformance}/sops/functional-tests}"
keys="$(dirname "$suite")/pgp/sops_functional_tests_key.asc"
sopskit="$build/cli/sopskit"

"$root/scripts/install-deps.sh" cargo librust-serde-dev librust-serde-json-dev librust-serde-yaml-dev \
  librust-serde-derive-dev librust-tempfile-dev librust-lazy-static-dev

if [ ! -d "$suite" ]; then
  echo "functional tests: $suite not found" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -x "$sopskit" ]; then
  echo "functional tests: $sopskit not built (run scripts/build.sh first)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sopskit-functional.XXXXXX")"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cp -r "$suite" "$work/suite"
chmod -R u+w "$work/suite"
# Run as `sops`, as upstream's CI does: sopskit then answers --version as sops would.
ln -s "$sopskit" "$work/suite/sops"
mkdir -m 700 "$work/gnupg" "$work/home" "$work/tmp"
export GNUPGHOME="$work/gnupg" HOME="$work/home" TMPDIR="$work/tmp"
gpg --batch --quiet --import "$keys" 2>/dev/null
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE SOPS_AGE_RECIPIENTS SOPS_PGP_FP SOPS_KMS_ARN SOPS_CONFIG SOPS_DECRYPTION_ORDER || true

# The Vault KV server for the publish tests: plain HTTP on a free loopback port.
"$sopskit" kms-emulator --state "$work/emulator.json" --log "$work/emulator.log" --vault-kv-listen 127.0.0.1:0 \
  --vault-kv-ready-file "$work/vault.url" --ready-file "$work/emulator.url" >/dev/null &
emulator_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/vault.url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { echo "functional tests: the KMS emulator did not start" >&2; exit 1; }
  sleep 0.05
done
VAULT_ADDR="$(cat "$work/vault.url")"
VAULT_TOKEN="$(python3 -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1]))["vault"]["tokens"])))' "$work/emulator.json")"
export VAULT_ADDR VAULT_TOKEN

# Debian's cargo and rustc, which read Debian's crates; a rustup proxy earlier in PATH would want
# a toolchain of its own.
cargo=/usr/bin/cargo
export CARGO_TARGET_DIR="${SOPSKIT_FUNCTIONAL_TARGET:-$build/functional-tests-target}"
export CARGO_HOME="$work/cargo-home"
log="$work/cargo.log"
set +e
(cd "$work/suite" && RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc "$cargo" test --offline -- --test-threads=1 "$@") >"$log" 2>&1
rc=$?
set -e
cat "$log"

# cargo prints one "test result:" line per test binary; add them up.
read -r passed failed ignored < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i
    } } END { print p + 0, f + 0, g + 0 }' "$log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # cargo itself failed (build error)
echo "functional: $passed passed, $failed failed, $ignored skipped"
[ "$rc" -eq 0 ]
