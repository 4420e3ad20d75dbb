#!/usr/bin/env bash
# Rotates every SOPS file under the given folders in one run and summarises the JSON report.
# Usage: rotate-fleet.sh [--add-age R] [--rm-age R] [--add-pgp FP] [--rm-pgp FP] FOLDER...
set -euo pipefail
sopskit="${SOPSKIT:-sopskit}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
"$sopskit" rotate -i --json "$@" > "$report" || status=$?
rotated=$(grep -c '"action":"rotated"' "$report" || true)
skipped=$(grep -c '"action":"skipped"' "$report" || true)
failed=$(grep -c '"result":"error"' "$report" || true)
echo "rotated: $rotated, skipped (not SOPS files): $skipped, failed: $failed"
grep '"result":"error"' "$report" >&2 || true
exit "$status"
