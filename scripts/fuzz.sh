#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a while.
#   scripts/fuzz.sh [seconds per target] [target ...]      (default 30 s, every target)
# Seed corpora come from ../shared/conformance/ (upstream sops fixtures, age CCTV vectors)
# and from files this script makes with sopskit itself; the corpora and any crash files stay
# in the build folder ($SOPSKIT_FUZZ_DIR, default ./build-fuzz); the minimized corpus kept in the
# repository (fuzz/corpus/TARGET, made by scripts/fuzz-corpus.sh) is read as well, so short runs
# start where the long campaigns ended. Exits non-zero on a crash and prints, per target, the
# executions run, the coverage reached (edges, features), the CPU time and the corpus size.
# Environment:
#   SOPSKIT_FUZZ_SEED   mutation seed (CI: 1; default 0, a new random seed per run)
#   SOPSKIT_FUZZ_RUNS   stop a target after this many executions (default: time only)
#   SOPSKIT_FUZZ_JOBS   targets fuzzed at once (default 1; a campaign: $(nproc))
#   SOPSKIT_FUZZ_MAX_LEN  longest input in bytes (default 65536; libFuzzer's own default, 4096,
#                       keeps a long run fast once the corpus holds large inputs)
#   SOPSKIT_FUZZ_FAST   1: fuzz with UBSan-only targets (about 3x the executions per second,
#                       built in $SOPSKIT_FUZZ_DIR-fast), then replay each corpus under ASan
#   SOPSKIT_FUZZ_CPU_SECONDS  stop a target once it has used this much CPU time (a campaign's
#                       bar is CPU time, which a loaded machine's wall clock overstates)
#   SOPSKIT_FUZZ_VALUE_PROFILE  1: -use_value_profile=1 (comparisons guide the mutations)
#   SOPSKIT_CLI         the sopskit used to make seeds
# The long campaign (docs/security.md): each target to 10 M executions or 30 CPU-minutes,
# whichever comes first, with value profiles, on every core:
#   SOPSKIT_FUZZ_RUNS=10000000 SOPSKIT_FUZZ_CPU_SECONDS=1800 SOPSKIT_FUZZ_VALUE_PROFILE=1 \
#     SOPSKIT_FUZZ_JOBS=$(nproc) scripts/fuzz.sh 100000
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-30}"
shift || true
build="${SOPSKIT_FUZZ_DIR:-$root/build-fuzz}"
# 0: a new random seed per run (campaigns). CI passes a fixed seed so its short run replays the
# same mutations every time: a red CI means a regression, not a new find by chance.
seed="${SOPSKIT_FUZZ_SEED:-0}"
runs="${SOPSKIT_FUZZ_RUNS:--1}"
jobs="${SOPSKIT_FUZZ_JOBS:-1}"
fast="${SOPSKIT_FUZZ_FAST:-0}"
max_len="${SOPSKIT_FUZZ_MAX_LEN:-65536}"
cpu_limit="${SOPSKIT_FUZZ_CPU_SECONDS:-0}"
value_profile="${SOPSKIT_FUZZ_VALUE_PROFILE:-0}"
conformance="$root/../shared/conformance"

"$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1" -DSOPSKIT_FUZZ=ON >/dev/null
# Only the fuzz targets are built here; seeds are made with the regular build's sopskit when
# there is one (CI has just built it), else with a sanitized one built here.
cmake --build "$build" --target sopskit_fuzzers >/dev/null
fuzzers="$build/fuzz"
if [ "$fast" = 1 ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build-fast" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1" -DSOPSKIT_FUZZ=ON -DSOPSKIT_FUZZ_WITHOUT_ASAN=ON >/dev/null
  cmake --build "$build-fast" --target sopskit_fuzzers >/dev/null
  fuzzers="$build-fast/fuzz"
fi
sopskit="${SOPSKIT_CLI:-$root/build/cli/sopskit}"
if [ ! -x "$sopskit" ]; then
  cmake --build "$build" --target sopskit >/dev/null
  sopskit="$build/cli/sopskit"
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd "$build/fuzz" && ls fuzz_* | grep -v '\.' | sort)
fi

# --- seed corpora ----------------------------------------------------------------------------
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
seed() {  # seed TARGET FILE...: copies files into a target's seed folder
  local target="$1"; shift
  mkdir -p "$seeds/$target"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$seeds/$target/$(basename "$f")-$(sha1sum < "$f" | cut -c1-8)"; done
  return 0
}
prefixed() {  # prefixed TARGET BYTE FILE...: the encrypted-file target reads a format byte first
  local target="$1" byte="$2"; shift 2
  mkdir -p "$seeds/$target"
  for f in "$@"; do [ -f "$f" ] && { printf "\\x$byte"; cat "$f"; } > "$seeds/$target/$byte-$(basename "$f")"; done
  return 0
}
sops_res="$conformance/sops/functional-tests/res"
seed fuzz_store_yaml "$conformance"/sops/*.yaml "$sops_res"/*.yaml
seed fuzz_store_json "$conformance"/sops/*.json "$sops_res"/*.json
seed fuzz_store_dotenv "$sops_res"/*.env
seed fuzz_store_ini "$conformance"/sops/*.ini "$sops_res"/*.ini
seed fuzz_store_binary "$conformance"/sops/*.txt
# The YAML fast path: a mode byte (rules, indent, timestamps, 0x40 and 0x80 decryption;
# yaml_fast_fuzzer.cpp), then YAML in and around its subset.
prefixed fuzz_yaml_fast 00 "$conformance"/sops/*.yaml "$sops_res"/*.yaml
prefixed fuzz_yaml_fast 40 "$conformance"/sops/*.yaml "$sops_res"/*.yaml
prefixed fuzz_yaml_fast 80 "$conformance"/sops/*.yaml "$sops_res"/*.yaml
mkdir -p "$seeds/fuzz_yaml_fast"
printf '\x00app0:\n    name: service-0\n    password: p4ssw0rd-0-xx\n    port: 1000\n    enabled: true\n    tags:\n        - a0\n        - b0\n' > "$seeds/fuzz_yaml_fast/small-values"
printf '\x21a: 1\nb:\n  c_unencrypted: x\n  l:\n  - -3.5\n  -\n    k: v\n    m:\n  - - q\n  -   d: 2001-12-14\ntrue: ~\n1.50: .inf\nk:\n- a:b, c[d]\n' > "$seeds/fuzz_yaml_fast/shapes"
printf '\x02a: 1\na: 2\n' > "$seeds/fuzz_yaml_fast/duplicate"
prefixed fuzz_encrypted_file 00 "$conformance"/sops/example.yaml "$sops_res"/*.yaml
prefixed fuzz_encrypted_file 01 "$conformance"/sops/example.json "$sops_res"/*.json
prefixed fuzz_encrypted_file 02 "$sops_res"/*.env
prefixed fuzz_encrypted_file 03 "$conformance"/sops/example.ini "$sops_res"/*.ini
prefixed fuzz_encrypted_file 04 "$conformance"/sops/example.txt
mkdir -p "$seeds/fuzz_envelope"
{ grep -ho 'ENC\[AES256_GCM,[^]]*\]' "$conformance"/sops/example.yaml "$sops_res"/*.yaml 2>/dev/null || true; } | head -50 |
  while IFS= read -r env; do printf '%s' "$env" > "$seeds/fuzz_envelope/$(printf '%s' "$env" | sha1sum | cut -c1-12)"; done
mkdir -p "$seeds/fuzz_age"
for f in "$conformance"/age-cctv/*; do
  [ -f "$f" ] && [ "$(basename "$f")" != README.md ] || continue  # (no upstream files beside a worktree)
  awk 'body {print; next} /^$/ {body=1}' "$f" > "$seeds/fuzz_age/$(basename "$f")"
done

# Hybrid (post-quantum) age: a format byte, then a recipient, an identity, a file, ML-KEM bytes.
mkdir -p "$seeds/fuzz_age_hybrid"
for f in "$conformance"/age-cctv/*hybrid*; do
  [ -f "$f" ] || continue
  { printf '\x02'; awk 'body {print; next} /^$/ {body=1}' "$f"; } > "$seeds/fuzz_age_hybrid/$(basename "$f")"
done
pq_work="$(mktemp -d)"
"$sopskit" keygen age --pq --output "$pq_work/key.txt" 2>"$pq_work/pub" >/dev/null
{ printf '\x00'; sed -n 's/^public key: //p' "$pq_work/pub" | tr -d '\n'; } > "$seeds/fuzz_age_hybrid/recipient"
{ printf '\x01'; cat "$pq_work/key.txt"; } > "$seeds/fuzz_age_hybrid/keys"
{ printf '\x03'; head -c 1088 /dev/zero; } > "$seeds/fuzz_age_hybrid/mlkem"
rm -rf "$pq_work"

# Files made by sopskit itself: a config, a decryption Secret, a ResourceList, kustomizations.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
mkdir -p "$seeds/fuzz_config" "$seeds/fuzz_decryption_secret" "$seeds/fuzz_resource_list" "$seeds/fuzz_kustomization"
cat > "$seeds/fuzz_config/rules" <<YAML
creation_rules:
  - path_regex: clusters/prod/.*\.yaml\$
    encrypted_regex: ^(data|stringData)\$
    age: $recipient
  - path_regex: .*
    key_groups:
      - age: [$recipient]
        pgp: [FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4]
    shamir_threshold: 1
stores:
  yaml:
    indent: 4
YAML
"$sopskit" keygen age --name sops-age --namespace flux-system 2>/dev/null > "$seeds/fuzz_decryption_secret/age-secret" || true
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n' > "$work/secret.yaml"
SOPS_AGE_RECIPIENTS="$recipient" "$sopskit" encrypt --age "$recipient" --encrypted-regex '^(data|stringData)$' "$work/secret.yaml" > "$work/secret.enc.yaml"
{ printf 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n'; sed 's/^/  /; 1s/^  /- /' "$work/secret.enc.yaml" | sed '2,$s/^/ /;1!s/^ //'; } > "$seeds/fuzz_resource_list/list"
seed fuzz_resource_list "$work/secret.enc.yaml"
# The splitter's first byte picks the piece size; then a stream with every kind of line it sorts.
mkdir -p "$seeds/fuzz_manifest_splitter"
{ printf '\x07---\n'; cat "$work/secret.enc.yaml"; printf -- '---\r\n# c\nk: v\n---\n'; cat "$work/secret.yaml"; } > "$seeds/fuzz_manifest_splitter/stream"
printf '\x02a: 1\n---\nb: |\n  ---\n...\n%%YAML 1.2\n--- !tag\nc: 2\n---' > "$seeds/fuzz_manifest_splitter/directives"
printf 'resources:\n- secret.yaml\nsecretGenerator:\n- name: app\n  files:\n  - key.env=secrets/key.env\n  envs:\n  - app.env\npatches:\n- path: patch.yaml\n' > "$seeds/fuzz_kustomization/generator"
printf 'resources:\n- ../base\n- ../../../etc\n' > "$seeds/fuzz_kustomization/escape"
# The build step: kustomizations with spec fields to merge and references to check.
mkdir -p "$seeds/fuzz_flux_build"
cp "$seeds/fuzz_kustomization/generator" "$seeds/fuzz_kustomization/escape" "$seeds/fuzz_flux_build/"
printf 'resources: [base, ../x, /etc, abs/etc, github.com/o/r?ref=v1, file:///srv]\nimages:\n- name: nginx\n  newName: n\n  digest: sha256:11\nconfigMapGenerator:\n- name: c\n  files: [k=up/x]\n' > "$seeds/fuzz_flux_build/references"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${a}\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: enabled\ndata:\n  n: ${n:=1}\n' > "$seeds/fuzz_flux_build/resource"
# postBuild substitution: a leading flag byte (1: strict), then a manifest using each operator.
mkdir -p "$seeds/fuzz_envsubst"
printf '\000data:\n  a: ${a} ${#a} ${a^^} ${a,} ${a:1:3} ${a#*/} ${a##*.} ${a%%.*} ${a%%%%/*}\n  b: ${a/o/0} ${a//o/0} ${a/#h/H} ${a/%%t/T} ${b:=x${n}} $${a} $a\n' > "$seeds/fuzz_envsubst/operators"
printf '\001apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec:\n  path: ./apps\n  postBuild:\n    substitute:\n      n: "1"\n    substituteFrom:\n    - kind: Secret\n      name: s\n      optional: true\n' > "$seeds/fuzz_envsubst/kustomization"
# Notation trust policies: a valid one with x509 identities and overrides, and a broken one.
mkdir -p "$seeds/fuzz_notation_trust_policy"
printf '{"version":"1.0","trustPolicies":[{"name":"prod","registryScopes":["registry.example.com/app","localhost:5000/x_y"],"signatureVerification":{"level":"strict","override":{"revocation":"log"},"verifyTimestamp":"afterCertExpiry"},"trustStores":["ca:prod","tsa:ts"],"trustedIdentities":["x509.subject:C=US, ST=WA, O=Org\\\\, Inc., OU=a\\\\2b","x509.subject:C=US,S=WA,O=Other"]},{"name":"skip","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}' > "$seeds/fuzz_notation_trust_policy/policy"
printf '{"version":"1.0","trustPolicies":[{"name":"\\ud83d\\ude00","registryScopes":[1],"signatureVerification":null}],"x":[[[{}]]]}' > "$seeds/fuzz_notation_trust_policy/broken"

# Key service requests (byte 0: 0 decrypt, 1 encrypt): an age and a kms key with a context.
mkdir -p "$seeds/fuzz_keyservice_request"
printf '\x00\x0a\x0b\x32\x09\x0a\x07age1abc\x12\x03enc' > "$seeds/fuzz_keyservice_request/age-decrypt"
printf '\x01\x0a\x14\x0a\x12\x0a\x03arn\x1a\x08\x0a\x01k\x12\x03val\x22\x01p\x12\x01x' > "$seeds/fuzz_keyservice_request/kms-encrypt"

# SSH keys made by ssh-keygen (each kind and format age reads), and plugin protocol exchanges.
mkdir -p "$seeds/fuzz_ssh_key" "$seeds/fuzz_age_plugin_wire"
if command -v ssh-keygen >/dev/null; then
  for spec in "ed25519 k1" "rsa k2 -b 2048" "rsa k3 -b 2048 -m PEM" "ed25519 k4 -N secret"; do
    set -- $spec
    type="$1" name="$2"; shift 2
    HOME="$work" ssh-keygen -q -t "$type" -N '' "$@" -C fuzz -f "$work/$name" </dev/null >/dev/null 2>&1 || true
    if [ -f "$work/$name" ]; then cp "$work/$name" "$work/$name.pub" "$seeds/fuzz_ssh_key/"; fi
  done
fi
printf -- '-> recipient-stanza 0 X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAA\n-> labels postquantum\n\n-> done\n\n' > "$seeds/fuzz_age_plugin_wire/wrap"
printf -- '-> msg\naGVsbG8\n-> request-secret\nUElO\n-> file-key 0\nAAAAAAAAAAAAAAAAAAAAAA\n-> error internal\nbm8\n-> done\n\n' > "$seeds/fuzz_age_plugin_wire/unwrap"
printf 'age1sopskittest1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq' > "$seeds/fuzz_age_plugin_wire/recipient"

mkdir -p "$seeds/fuzz_audit"
printf 'apiVersion: v1\nkind: Secret\nstringData:\n  password: x\n  age.agekey: y\n' > "$seeds/fuzz_audit/plain-secret"
printf 'secretGenerator:\n- name: s\n  files: [k=creds/d.txt]\n  envs: [c.env]\n  literals: [a=b]\n\n====\nkind: Secret\ndata:\n  k: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n  j: v\nsops:\n  age:\n  - recipient: age1qqqq\n    enc: x\n  mac_only_encrypted: true\n  encrypted_regex: ^k$\n  lastmodified: "2024-01-01T00:00:00Z"\n  mac: m\n  version: 3.9.0\n\n====\n{"kind":"Secret","data":{"a":"b"}}\n====\ncreation_rules:\n- path_regex: .*\n  age: age1zzzz\n\n====\nK=v\n====\nAGE-SECRET-KEY-1XYZ\n' > "$seeds/fuzz_audit/repository"
printf 'a.yaml\0b/c.json\0\0d\n' > "$seeds/fuzz_audit/ls-files"
mkdir -p "$seeds/fuzz_command_words"
printf '%s' "vim -u NONE" > "$seeds/fuzz_command_words/plain"
printf '%s' "'/opt/my editor' \"--flag with \\\"space\\\"\" it\\'s ; touch x # comment" > "$seeds/fuzz_command_words/quotes"
printf 'code --wait\t"" \x1b[2J\r\n' > "$seeds/fuzz_command_words/controls"
mkdir -p "$seeds/fuzz_gpg_status"
printf '[GNUPG:] ENC_TO 8DF172C08BBD52A6 18 0\n[GNUPG:] KEY_CONSIDERED FD89274F4BAEF1230DC26DB49C7902BF1A8F135D 0\n[GNUPG:] DECRYPTION_KEY E2949AEE09809601877C22528DF172C08BBD52A6 FD89274F4BAEF1230DC26DB49C7902BF1A8F135D u\n[GNUPG:] BEGIN_DECRYPTION\n[GNUPG:] DECRYPTION_INFO 2 9 0\n[GNUPG:] PLAINTEXT 62 1796294121 \n[GNUPG:] PLAINTEXT_LENGTH 32\n[GNUPG:] DECRYPTION_OKAY\n[GNUPG:] GOODMDC\n[GNUPG:] END_DECRYPTION\n' > "$seeds/fuzz_gpg_status/decrypted"
printf '[GNUPG:] ENC_TO 8DF172C08BBD52A6 18 0\n[GNUPG:] NO_SECKEY 8DF172C08BBD52A6\n[GNUPG:] BEGIN_DECRYPTION\n[GNUPG:] DECRYPTION_FAILED\n[GNUPG:] END_DECRYPTION\n' > "$seeds/fuzz_gpg_status/no-seckey"
printf '[GNUPG:] ERROR pkdecrypt_failed 67108963\r\n[GNUPG:] BAD_PASSPHRASE 69CCA406370A2F30\n[GNUPG:] DECRYPTION_FAILED\n' > "$seeds/fuzz_gpg_status/cancelled"
printf '[GNUPG:] KEY_CONSIDERED 5DA4D87B539C22C8119198F9A4713290019944A4 3\n[GNUPG:] INV_RECP 0 5DA4D87B539C22C8119198F9A4713290019944A4\n[GNUPG:] FAILURE encrypt 53\n' > "$seeds/fuzz_gpg_status/refused"
# gpg-agent's side of the agent client's exchanges (greeting, PKDECRYPT with its inquiry,
# KEYINFO), a PKDECRYPT answer alone and a redirect file.
mkdir -p "$seeds/fuzz_gpg_agent_answer"
printf 'OK Pleased to meet you, process 4242\nS INQUIRE_MAXLEN 4096\nINQUIRE CIPHERTEXT\nS PADDING 0\nD (5:value33:@%%0A%%25%%0D0123456789abcdef0123456789abc)\nOK\n' > "$seeds/fuzz_gpg_agent_answer/pkdecrypt"
printf '# comment\nOK\nS KEYINFO 0123456789ABCDEF0123456789ABCDEF01234567 D - - 1 P - - -\nOK\nERR 67108891 Not found <GPG Agent>\n' > "$seeds/fuzz_gpg_agent_answer/keyinfo"
printf '(5:value3:abc)\0' > "$seeds/fuzz_gpg_agent_answer/value"
printf '%%Assuan%%\nsocket=${XDG_RUNTIME_DIR}/gnupg/S.gpg-agent\n' > "$seeds/fuzz_gpg_agent_answer/redirect"
# OpenPGP messages made by gpg in a throw-away home: Curve25519 and RSA recipients, armored
# and binary, each compression; the keys as gpg exports them; and the packets inside
# decrypted data (literal, compressed).
mkdir -p "$seeds/fuzz_openpgp_message"
if command -v gpg >/dev/null; then
  gh="$work/gnupg"
  mkdir -m 700 "$gh"
  g() { GNUPGHOME="$gh" gpg --batch --quiet --trust-model always --passphrase '' --pinentry-mode loopback "$@" </dev/null >/dev/null 2>&1 || true; }
  g --quick-gen-key 'fuzz <fuzz@x>' ed25519 cert,sign never
  fp="$(GNUPGHOME="$gh" gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}' || true)"
  if [ -n "$fp" ]; then
    g --quick-add-key "$fp" cv25519 encr never
    g --quick-add-key "$fp" rsa2048 encr never
    head -c 32 /dev/urandom > "$work/data-key"
    for sub in $(GNUPGHOME="$gh" gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^sub/ {s=1} /^fpr/ && s {print $10}'); do
      for opts in "" "--compress-algo none" "--compress-algo zip" "--compress-algo zlib" "--armor" "--sign --armor"; do
        name="$(printf '%s' "$sub" | cut -c1-8)$(printf '%s' "$opts" | tr -c 'a-z' '-')"
        GNUPGHOME="$gh" gpg --batch --quiet --trust-model always --pinentry-mode loopback --passphrase '' $opts \
          --encrypt --recipient "$sub!" --output "$seeds/fuzz_openpgp_message/$name" "$work/data-key" >/dev/null 2>&1 || true
      done
    done
    GNUPGHOME="$gh" gpg --export --output "$seeds/fuzz_openpgp_message/public-keys" >/dev/null 2>&1 || true
    # The keybox, after the key ID of each subkey (fuzz_openpgp_keybox's input).
    mkdir -p "$seeds/fuzz_openpgp_keybox"
    for id in $(GNUPGHOME="$gh" gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^(pub|sub)/ {print $5}'); do
      { printf "$(printf '%s' "$id" | sed 's/../\\x&/g')"; cat "$gh/pubring.kbx"; } > "$seeds/fuzz_openpgp_keybox/kbx-$id" || true
    done
    # The key files gpg wrote for these keys (fuzz_gpg_key_file's input).
    mkdir -p "$seeds/fuzz_gpg_key_file"
    for f in "$gh"/private-keys-v1.d/*.key; do [ -f "$f" ] && cp "$f" "$seeds/fuzz_gpg_key_file/$(basename "$f")"; done
    gpgconf --homedir "$gh" --kill all >/dev/null 2>&1 || true
  fi
fi
# Key files and S-expressions in every atom form, made here (values are not real keys).
mkdir -p "$seeds/fuzz_gpg_key_file"
printf 'Created: 20260101T000000\nConfirm: yes\nKey: (private-key (ecc (curve Curve25519)(flags djb-tweak)(q\n  #4001020304#)\n (d #0A0B0C#)\n ))\n' > "$seeds/fuzz_gpg_key_file/confirm"
printf '(11:private-key(3:rsa(1:n3:\x00\xc1\x01)(1:e1:\x03)(1:d1:\x07)(1:p1:\x0b)(1:q1:\x0d)(1:u1:\x05)))' > "$seeds/fuzz_gpg_key_file/legacy-rsa"
printf '# note\nKey: (protected-private-key (ecc (curve "Curve25519")(q |QAEC|)(protected openpgp-s2k3-ocb-aes ((sha1 8:saltsalt "20971520")#00#)3:abc)))\n' > "$seeds/fuzz_gpg_key_file/protected"
printf '(x "a\\x41\\101\\n\\\n" 2#6162# 1|YQ==| [hint]z)' > "$seeds/fuzz_gpg_key_file/atoms"
printf '\xcb\x26b\x00\x00\x00\x00\x00KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK' > "$seeds/fuzz_openpgp_message/literal"
printf '\xa3\x02\x78\x9c\x3b\xad\x96\xc4\x00\x02\xde\x04\x00\x00\xce\xe6\x0a\xb4' > "$seeds/fuzz_openpgp_message/compressed"
# KMS answers: a case byte, then NUL-separated answers (status byte 00=200 03=400 04=401 07=429,
# header lines, a blank line, the body), as kms_responses_fuzzer.cpp reads them.
mkdir -p "$seeds/fuzz_kms_responses"
kms_seed() { printf "$2" > "$seeds/fuzz_kms_responses/$1"; }
sts='\x00\n<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>'
key32='KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio='
kms_seed aws-wrap "\\x00$sts\\x00\\x00\\n{\"CiphertextBlob\":\"AQID\",\"KeyId\":\"arn:aws:kms:us-east-1:111122223333:key/k\"}"
kms_seed aws-unwrap "\\x01$sts\\x00\\x03x-amzn-errortype: ThrottlingException:\\n\\n{\"__type\":\"ThrottlingException\"}\\x00\\x00\\n{\"Plaintext\":\"$key32\"}"
gtok='\x00\n{"access_token":"ya29.x","expires_in":3600,"token_type":"Bearer"}'
kms_seed gcp-wrap "\\x02$gtok\\x00\\x00\\n{\"name\":\"projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1\",\"ciphertext\":\"AQID\"}"
kms_seed gcp-unwrap "\\x03$gtok\\x00\\x04\\n{\"error\":{\"code\":401,\"status\":\"UNAUTHENTICATED\"}}\\x00$gtok\\x00\\x00\\n{\"plaintext\":\"$key32\"}"
chal='\x04www-authenticate: Bearer authorization="https://login.test/tenant", resource="https://vault.azure.net"\n\n{"error":{"code":"Unauthorized"}}'
atok='\x00\n{"access_token":"eyJ.x.y","expires_in":3600,"token_type":"Bearer"}'
kms_seed azure-wrap "\\x04$chal\\x00$atok\\x00\\x00\\n{\"key\":{\"kid\":\"https://v.vault.azure.net/keys/k/1\"}}\\x00\\x00\\n{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"value\":\"AQID\"}"
kms_seed azure-unwrap "\\x05$chal\\x00$atok\\x00\\x07retry-after: 0\\n\\n{}\\x00\\x00\\n{\"kid\":\"https://v.vault.azure.net/keys/k/1\",\"value\":\"KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio\"}"
kms_seed vault-wrap "\\x06\\x00\\n{\"data\":{\"ciphertext\":\"vault:v1:AQID\"}}"
kms_seed vault-unwrap "\\x07\\x05\\n{\"errors\":[\"permission denied\"]}\\x00\\x00\\n{\"data\":{\"plaintext\":\"$key32\"}}"
kms_seed flux-aws '\x08aws_access_key_id: AKID\naws_secret_access_key: secret\naws_session_token: token\n'
kms_seed flux-azure '\x08{"tenantId":"t","clientId":"c","clientSecret":"s"}'
kms_seed aws-ini '\x09[default]\nregion = us-east-1\n[profile ci]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\ncredential_process = /bin/true\n'
kms_seed sts-xml '\x0a<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>'
kms_seed challenge '\x0bBearer authorization="https://login.microsoftonline.com/72f988bf", resource="https://vault.azure.net"'

# Credential documents (kms_credentials_fuzzer.cpp): a case byte, then the text.
mkdir -p "$seeds/fuzz_kms_credentials"
cred_seed() { printf "$2" > "$seeds/fuzz_kms_credentials/$1"; }
cred_seed sso-config '\x00[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://x.awsapps.com/start\n'
cred_seed sso-cache '\x01{"accessToken":"t","expiresAt":"2030-01-01T00:00:00Z","region":"us-east-1"}'
cred_seed role-creds '\x02{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"t","expiration":1900000000000}}'
cred_seed process '\x03{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"2030-01-01T00:00:00Z"}'
cred_seed google-url '\x04https://sts.us-east1.rep.googleapis.com:443/v1/token'
cred_seed az '\x05{"accessToken":"eyJ","expires_on":1700003600,"expiresOn":"2023-11-14 23:13:20.000000","tokenType":"Bearer"}'
cred_seed external-account '\x06{"type":"external_account","audience":"//iam.googleapis.com/x","subject_token_type":"urn:ietf:params:oauth:token-type:jwt","token_url":"https://sts.googleapis.com/v1/token","service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@b.iam.gserviceaccount.com:generateAccessToken","credential_source":{"file":"/nonexistent"}}\x00{"access_token":"ya29","expires_in":3600,"accessToken":"ya29","expireTime":"2030-01-01T00:00:00Z"}'
cred_seed impersonated '\x06{"type":"impersonated_service_account","service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@b:generateAccessToken","source_credentials":{"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r"}}\x00{"access_token":"ya29","expires_in":3600,"accessToken":"ya29","expireTime":"2030-01-01T00:00:00Z"}'
# HuaweiCloud KMS: a case byte (00 wrap, 01 unwrap: NUL-separated answers, each a status byte
# 00=200 01=400 02=401 04=429 then the body; 05/06 the same with IAM's project list first;
# 02 key id, 03 credentials file, 04 Authorization), as hckms_fuzzer.cpp reads them.
mkdir -p "$seeds/fuzz_hckms"
hc_seed() { printf "$2" > "$seeds/fuzz_hckms/$1"; }
hc_seed wrap '\x00\x00{"key_id":"0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c","cipher_text":"AQID"}'
hc_seed unwrap "\\x01\\x04{\"error\":{\"error_code\":\"APIGW.0308\",\"error_msg\":\"throttled\"}}\\x00\\x00{\"plain_text\":\"$key32\"}"
hc_seed iam-project '\x05\x00{"projects":[{"id":"0a1b2c3d","name":"tr-west-1"}]}\x00\x00{"key_id":"k","cipher_text":"AQID"}'
hc_seed refused '\x01\x02{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}'
hc_seed key-id '\x02tr-west-1:0b5f1e1c-1d2e-4f3a-8b9c-0d1e2f3a4b5c'
hc_seed key-id-hostile '\x02evil.example:443/x:0b5f1e1c'
hc_seed credentials '\x03[basic]\nak = AK\nsk = SK\nproject_id = p\nsecurity_token = "t"\n'
hc_seed securitykey '\x03{"credential":{"access":"A","secret":"S","securitytoken":"t","expires_at":"2030-01-01T00:00:00.000000Z"}}'
hc_seed projects '\x03{"projects":[{"id":"0a1b2c3d","name":"tr-west-1"}]}'
hc_seed authorization '\x04SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624'

# Workload identity: a case byte (00 ServiceAccount, 01 Vault login config, 02 annotation, 03 token).
mkdir -p "$seeds/fuzz_workload_identity"
wi_seed() { printf "$2" > "$seeds/fuzz_workload_identity/$1"; }
wi_seed sa '\x00apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: tenant\n  namespace: apps\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/r\n'
wi_seed vault-cm '\x01kind: ConfigMap\ndata:\n  config.yaml: |\n    instances:\n      - address: https://vault.example.com:8200\n        loginPath: auth/kubernetes/login\n'
wi_seed arn '\x02arn:aws-us-gov:iam::111122223333:role/a/b'
wi_seed provider '\x02projects/123/locations/global/workloadIdentityPools/p/providers/x'
wi_seed email '\x02sops@p.iam.gserviceaccount.com'
wi_seed token '\x03eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczp0ZW5hbnQifQ.c2ln'

# Key identifiers from file metadata: a case byte (00 ARN, 01 GCP id, 02 Azure URL, 03 challenge,
# 04 Vault URI, 05 age recipient, 06 PGP fingerprint, 07 host), then the string (key_ids_fuzzer.cpp).
mkdir -p "$seeds/fuzz_key_ids"
id_seed() { printf "$2" > "$seeds/fuzz_key_ids/$1"; }
id_seed arn '\x00arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
id_seed arn-iso '\x00arn:aws-iso-b:kms:us-isob-east-1:111122223333:alias/sops'
id_seed arn-hostile '\x00arn:aws:kms:x@127.0.0.1:9/#:111122223333:key/abc'
id_seed gcp '\x01projects/p/locations/global/keyRings/r/cryptoKeys/k'
id_seed azure '\x02https://v.vault.azure.net/keys/sops/0123456789abcdef0123456789abcdef'
id_seed azure-cn '\x02https://v.vault.azure.cn:443/keys/sops'
id_seed challenge '\x03Bearer authorization="https://login.microsoftonline.com/72f988bf", resource="https://vault.azure.net"'
id_seed vault '\x04https://vault.example.com:8200/v1/ns1/transit/keys/sops/'
id_seed vault-v6 '\x04http://[::1]:8200/v1/transit/keys/k'
id_seed age '\x05age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p,age1x'
id_seed pgp '\x06FBC7 B9E2 A4F9 289A C0C1  D4FA 8B17 1ECD 2151 6D59'
id_seed host '\x07127.0.0.1:65535'

# --- run -------------------------------------------------------------------------------------
cpu_seconds() {  # cpu_seconds PID: user + system CPU time of a running process, whole seconds
  awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0
}
run_limited() {  # run_limited COMMAND...: runs it, interrupted (libFuzzer then prints its final
  # stats) once it has used $cpu_limit CPU seconds; prints the CPU seconds used on fd 3
  "$@" & local pid=$! used=0
  while kill -0 "$pid" 2>/dev/null; do
    used=$(cpu_seconds "$pid")
    if [ "$cpu_limit" -gt 0 ] && [ "$used" -ge "$cpu_limit" ]; then kill -INT "$pid"; break; fi
    sleep 2
  done
  local status=0
  wait "$pid" || status=$?
  # The exact figure: this subshell's only child has ended, and `times` adds it up.
  # (`times` in a pipeline would run in a subshell of its own, with no children: a file instead)
  times > "$build/$t.times"
  used=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print int(u[1] * 60 + u[2] + s[1] * 60 + s[2]) }' "$build/$t.times")
  echo "$used" >&3
  # An interrupt at the CPU limit is the planned end, not a finding.
  [ "$status" = 0 ] || { [ "$cpu_limit" -gt 0 ] && [ "$used" -ge "$cpu_limit" ] && grep -q 'run interrupted' "$log"; }
}
fuzz_one() {  # fuzz_one TARGET START: runs it and writes its table row to $build/TARGET.result
  local t="$1" corpus="$build/corpus/$1" log="$build/$1.log" result execs cov ft cpu
  mkdir -p "$corpus" "$build/crashes/$t" "$seeds/$t"
  local kept=()
  [ -d "$root/fuzz/corpus/$t" ] && kept=("$root/fuzz/corpus/$t")
  # Key identifiers crashed by their length: that target always gets inputs up to 1 MiB.
  # (-len_control=0: long inputs from the start, not after hours of growth)
  local len="$max_len" len_control=100
  [ "$t" = fuzz_key_ids ] && len=1048576 len_control=0
  if run_limited "$fuzzers/$t" "$corpus" "$seeds/$t" "${kept[@]}" -max_total_time="$seconds" -runs="$runs" -seed="$seed" \
       -max_len="$len" -len_control="$len_control" -use_value_profile="$value_profile" -timeout=20 -rss_limit_mb=2048 \
       -artifact_prefix="$build/crashes/$t/" -print_final_stats=1 >"$log" 2>&1 3>"$build/$t.cpu"; then
    result=ok
    # What the UBSan-only target found is run once more under ASan, which it could not see.
    if [ "$fast" = 1 ]; then
      if "$build/fuzz/$t" "$corpus" -runs=0 -max_len="$len" -timeout=20 -rss_limit_mb=2048 \
           -artifact_prefix="$build/crashes/$t/" >"$log.asan" 2>&1; then
        result="ok (corpus replayed under ASan)"
      else
        result="CRASH on the ASan replay (see $log.asan and $build/crashes/$t/)"
      fi
    fi
  else
    result="CRASH (see $log and $build/crashes/$t/)"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o ' cov: [0-9]*' "$log" | tail -1 | tr -dc 0-9)
  ft=$(grep -o ' ft: [0-9]*' "$log" | tail -1 | tr -dc 0-9)
  cpu=$(cat "$build/$t.cpu" 2>/dev/null)
  printf '%-26s %12s %7s %7s %6s %8s %6s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${cpu:-?}" \
    "$(ls "$corpus" | wc -l)" "$((SECONDS - $2))" "$result" > "$build/$t.result"
}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  rm -f "$build/$t.result"
  fuzz_one "$t" "$SECONDS" &
done
wait
printf '%-26s %12s %7s %7s %6s %8s %6s %s\n' target executions edges features cpu_s corpus secs result
failed=0
for t in "${targets[@]}"; do
  cat "$build/$t.result" 2>/dev/null || { printf '%-26s %12s %7s %7s %6s %8s %6s %s\n' "$t" ? ? ? ? ? ? "did not run"; failed=1; }
  grep -q ' ok\( (corpus replayed under ASan)\)\?$' "$build/$t.result" 2>/dev/null || failed=1
done
exit $failed
