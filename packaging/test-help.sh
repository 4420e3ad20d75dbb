#!/usr/bin/env bash
# Every command has both `--help` and a man page, generated from the same definitions.
set -euo pipefail
sopskit="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$sopskit" manpage "$tmp"
"$sopskit" --help >/dev/null
count=0
for page in "$tmp"/sopskit-*.1; do
  cmd="$(basename "$page" .1)"
  args="${cmd#sopskit-}"
  # Resolve by asking the CLI: join pieces greedily with '-' where a subcommand name has one.
  path=""
  rest="$args"
  while [ -n "$rest" ]; do
    ok=""
    for ((len=${#rest}; len>0; len--)); do
      piece="${rest:0:len}"
      [ "${rest:len:1}" = "-" ] || [ $len -eq ${#rest} ] || continue
      if "$sopskit" $path $piece --help >/dev/null 2>&1; then ok="$piece"; break; fi
    done
    [ -n "$ok" ] || { echo "no --help for the command of $page"; exit 1; }
    path="$path $ok"
    rest="${rest:${#ok}}"; rest="${rest#-}"
  done
  grep -q '^\.SH OPTIONS' "$page" || { echo "$page has no OPTIONS section"; exit 1; }
  count=$((count + 1))
done
"$sopskit" completion bash | bash -n
echo "$count commands: each has --help and a man page"
echo "1 passed, 0 failed"
