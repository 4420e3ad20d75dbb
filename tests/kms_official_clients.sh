#!/usr/bin/env bash
# Official clients against `sopskit kms-emulator`: the AWS SDK v3 (KMS + STS, web identity), Google's
# @google-cloud/kms (REST transport) and google-auth-library, Azure's @azure/keyvault-keys with
# @azure/identity, and node-vault each do encrypt/decrypt round trips over HTTPS, trusting the
# emulator's certificate through NODE_EXTRA_CA_CERTS. Skips (exit 77) without node/npm or registry.
# Usage: kms_official_clients.sh PATH/TO/sopskit
set -euo pipefail
sopskit="$1"
here="$(cd "$(dirname "$0")" && pwd)"
skip() { echo "SKIP: $*"; exit 77; }

command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"

packages=(@aws-sdk/client-kms@3.1164.0 @aws-sdk/client-sts@3.1174.0 @google-cloud/kms@5.7.0 google-auth-library@10.9.1
          @azure/identity@4.13.1 @azure/keyvault-keys@4.10.2 node-vault@0.12.0)
cache="${SOPSKIT_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sopskit-npm}"
mkdir -p "$cache"
stamp="$cache/.sopskit-kms-clients"
if [ "$(cat "$stamp" 2>/dev/null)" != "${packages[*]}" ]; then
  echo "installing ${packages[*]} into $cache"
  [ -f "$cache/package.json" ] || echo '{"private":true}' > "$cache/package.json"
  # npm's own download cache beside the packages, not in the user's home.
  if ! (cd "$cache" && npm_config_cache="$cache/.npm-cache" timeout 300 npm install --no-audit --no-fund --silent "${packages[@]}" >/dev/null 2>&1); then
    skip "could not install the npm packages (no registry access?)"
  fi
  echo "${packages[*]}" > "$stamp"
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Test identities: a GCP service account key and an Azure client certificate.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/sa.pem" 2>/dev/null
openssl pkey -in "$work/sa.pem" -pubout -out "$work/sa.pub.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/az.key" -out "$work/az.crt" -days 2 -subj /CN=sopskit-test 2>/dev/null
cat "$work/az.key" "$work/az.crt" > "$work/az.pem"

WORK="$work" node -e '
const fs = require("fs"), w = process.env.WORK;
const state = {
  token_ttl_seconds: 3600,
  aws: { account: "111122223333", credentials: { AKIDSOPSKITTEST00001: "sopskit/test/secret/0000000000000000000000" },
         aliases: { "alias/sops": "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555" },
         web_identity_tokens: ["oidc-ci-token"] },
  gcp: { service_accounts: { "sops@test-project.iam.gserviceaccount.com": { public_key_pem: fs.readFileSync(w + "/sa.pub.pem", "utf8") } },
         refresh_tokens: { "gcp-refresh-token": { client_id: "gcp-client", client_secret: "gcp-client-secret" } },
         workload_identity_pools: { "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/oidc":
                                    { subject_tokens: ["oidc-ci-token"], subject: "principal://ci" } },
         impersonation: { "sops@test-project.iam.gserviceaccount.com": ["principal://ci"] } },
  azure: { clients: { "00000000-0000-0000-0000-00000000c11e": { tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", secret: "azure-test-secret",
                                                               certificate_pem: fs.readFileSync(w + "/az.crt", "utf8") } } },
  vault: { tokens: { "hvs.sopskit-test": { namespace: "" } } },
};
fs.writeFileSync(w + "/state.json", JSON.stringify(state, null, 2), { mode: 0o600 });
'

"$sopskit" kms-emulator --state "$work/state.json" --cert-out "$work/ca.pem" --ready-file "$work/ready" --log "$work/calls.log" >/dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
[ -s "$work/ready" ] || { echo "FAIL: the emulator did not start"; exit 1; }
url="$(cat "$work/ready")"
echo "emulator at $url"

status=0
NODE_PATH="$cache/node_modules" NODE_EXTRA_CA_CERTS="$work/ca.pem" EMU_URL="$url" WORK="$work" \
  timeout 120 node "$here/kms_official_clients.cjs" || status=$?

echo "--- emulator log"
cat "$work/calls.log"
for secret in sopskit/test/secret/0000000000000000000000 azure-test-secret hvs.sopskit-test gcp-refresh-token gcp-client-secret ya29.emu oidc-ci-token; do
  if grep -qF "$secret" "$work/calls.log"; then echo "FAIL: a secret leaked into the log"; status=1; fi
done
exit $status
