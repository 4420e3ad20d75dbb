#!/usr/bin/env bash
# Installs sopskit's build and test dependencies from Debian's packages (Debian 12).
# Idempotent: when everything is present it returns at once without touching apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libfyaml-dev libre2-dev libsodium-dev libssl-dev nlohmann-json3-dev libcli11-dev
  libgpgme-dev nettle-dev zlib1g-dev libssh-dev libcurl4-openssl-dev libcpp-httplib-dev openssh-server dpkg-dev file
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  age gnupg openssh-client openssl python3 bc time
)
# Peers the test suite drives, when the machine has none of its own: kubectl (kustomize builds,
# the guides) and node/npm (independent SOPS readers and the official KMS SDKs, from npm). A
# machine image may ship newer ones (Kubernetes' or NodeSource's packages, which conflict with
# Debian's), so Debian's are only added when the command is missing.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
# Scripts with needs of their own (fuzzing: clang; benchmarks: other YAML parsers) name them.
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "sopskit: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
