#!/usr/bin/env python3
"""Writes SOPS files with an implementation independent of sopskit, once, for the test suite.

The envelope, additional data and MAC are built here from the format's rules with Python's
`cryptography` (AES-256-GCM) and hashlib; the data key is wrapped by the real `age` CLI. The
files let a clone without ../shared catch a changed AAD, MAC or envelope in sopskit.

Rules followed (sops 3.x, sops.go and aes/cipher.go):
- each leaf is encrypted as ENC[AES256_GCM,data:<b64>,iv:<b64 of 32 bytes>,tag:<b64>,type:<t>]
  with additional data = the map keys of its path joined by ":" plus a trailing ":"; list
  entries do not add their index, so every item of a list shares its parent's path;
- leaves whose path has a key ending in "_unencrypted" are left as they are;
- the MAC is SHA-512 over every leaf's bytes in document order (nulls skipped; bools "True"/
  "False"; ints in decimal), uppercase hex, encrypted as a str with additional data = the
  lastmodified text.

Run: testdata/sops-vectors/generate.py (needs age, age-keygen, python3-cryptography).
"""
import base64
import hashlib
import json
import os
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

here = os.path.dirname(os.path.abspath(__file__))
LASTMODIFIED = "2026-12-01T12:00:00Z"

# (path keys, value) in document order; lists are written by hand below.
DOC = [
    ("password", "hunter2"),
    ("port", 5432),
    ("debug", True),
    ("nothing", None),
    ("note_unencrypted", "readable"),
    ("db", [("user", "admin"), ("pass", "s3cr3t")]),
    ("hosts", ["alpha", "bravo", 7]),
]


def leaf_bytes(v):
    if isinstance(v, bool):
        return b"True" if v else b"False"
    if isinstance(v, int):
        return str(v).encode()
    return v.encode()


def leaf_type(v):
    return "bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "str"


def envelope(key, value, aad):
    iv = os.urandom(32)
    sealed = AESGCM(key).encrypt(iv, leaf_bytes(value), aad.encode())
    data, tag = sealed[:-16], sealed[-16:]
    b64 = lambda b: base64.b64encode(b).decode()
    return f"ENC[AES256_GCM,data:{b64(data)},iv:{b64(iv)},tag:{b64(tag)},type:{leaf_type(value)}]"


def main():
    key = os.urandom(32)
    mac = hashlib.sha512()
    lines, plain = [], {}
    for name, value in DOC:
        readable = name.endswith("_unencrypted")
        seal = (lambda v, aad: v if readable else envelope(key, v, aad))
        if value is None:
            lines.append(f"{name}: null")
            plain[name] = None
        elif isinstance(value, list) and value and isinstance(value[0], tuple):
            lines.append(f"{name}:")
            plain[name] = {}
            for k, v in value:
                mac.update(leaf_bytes(v))
                lines.append(f"    {k}: {seal(v, f'{name}:{k}:')}")
                plain[name][k] = v
        elif isinstance(value, list):
            lines.append(f"{name}:")
            plain[name] = list(value)
            for v in value:
                mac.update(leaf_bytes(v))
                lines.append(f"    - {seal(v, f'{name}:')}")
        else:
            mac.update(leaf_bytes(value))
            lines.append(f"{name}: {seal(value, f'{name}:')}")
            plain[name] = value
    keyfile = os.path.join(here, "age-key.txt")
    if not os.path.exists(keyfile):
        subprocess.run(["age-keygen", "-o", keyfile], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", keyfile], check=True, capture_output=True, text=True).stdout.strip()
    armored = subprocess.run(["age", "-a", "-r", recipient], input=key, check=True, capture_output=True).stdout.decode()
    lines.append("sops:")
    lines.append("    age:")
    lines.append("        - recipient: " + recipient)
    lines.append("          enc: |")
    lines += ["            " + l for l in armored.strip().split("\n")]
    lines.append(f'    lastmodified: "{LASTMODIFIED}"')
    lines.append("    mac: " + envelope(key, mac.hexdigest().upper(), LASTMODIFIED))
    lines.append("    unencrypted_suffix: _unencrypted")
    lines.append("    version: 3.13.2")
    with open(os.path.join(here, "values.enc.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(here, "values.expected.json"), "w") as f:
        json.dump(plain, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
