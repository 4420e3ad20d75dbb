#!/usr/bin/env python3
"""Writes the bytes sops 3.13.2 writes for dotenv, binary and INI files, for the test suite.

The contents come from upstream's fixtures (../shared/conformance/sops: format.enc.env,
example.txt and example.ini, opened here with their .datakey files and Python's AES-GCM, their
MAC checked), plus a few dotenv and INI entries of our own that exercise more of the stores'
rules. The layouts follow sops' store code, not sopskit:
- dotenv (stores/dotenv/store.go): one "KEY=value" line per entry, a newline inside a value
  written as the two characters \\n, comments as "#text"; the metadata flattened into the same
  list, each key prefixed "sops_", nested maps joined with "__map_" and lists with "__list_<i>"
  (stores/flatten.go), in the order of the metadata tree whose maps goToSops sorts by name;
- binary (stores/json/store.go, BinaryStore): the plaintext is the file's bytes, stored as the
  single value "data"; encrypted, it is the JSON store's output: {"data": ..., "sops": {...}}
  indented with a tab (json.Indent, ": " after keys), strings escaped as Go's json.Marshal
  does, and a final newline;
- INI (stores/ini/store.go over gopkg.in/ini.v1's writeToBuffer): a section's leading comment
  written "; text" above its header, keys padded to the longest key of the section and " = ",
  values quoted as go-ini does (in triple double quotes for newlines or backquotes, `v` for
  # or ;, "v" for surrounding blanks), a blank line between sections; the metadata as a last [sops] section,
  flattened without prefix, newlines written \\n.
Values are encrypted as sops.go's Tree.Encrypt does: AES-256-GCM, 32-byte IV, additional data =
the path's keys joined by ":" plus ":" (":" alone for a top-level comment), comments typed
"comment" and not hashed, the MAC = SHA-512 over the other values in order, upper-case hex,
encrypted with lastmodified as additional data.

Written here: <name>.plain (what `sops decrypt` writes), <name>.enc (what `sops encrypt` writes
with the data key, IVs and metadata of layout.json). The test re-encrypts <name>.plain with that
key, the IVs found in <name>.enc and layout.json's metadata, and compares byte for byte.
Running again draws a new data key and IVs; commit the results with the script.
Run: testdata/store-layouts/generate.py [conformance-dir] (needs age, python3-cryptography).
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

here = os.path.dirname(os.path.abspath(__file__))
LASTMODIFIED = "2026-12-01T12:00:00Z"
# The recipient of testdata/sops-vectors/age-key.txt (the enc block below really opens with it).
RECIPIENT_KEYFILE = os.path.join(here, "..", "sops-vectors", "age-key.txt")
ENVELOPE = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")

b64 = lambda b: base64.b64encode(b).decode()


def open_envelope(key, text, aad):
    m = ENVELOPE.match(text)
    data, iv, tag, typ = (base64.b64decode(m.group(i)) if i < 4 else m.group(i) for i in range(1, 5))
    return AESGCM(key).decrypt(iv, data + tag, aad.encode()), typ


def seal(key, plain, aad, typ="str", iv=None):
    iv = iv or os.urandom(32)
    sealed = AESGCM(key).encrypt(iv, plain, aad.encode())
    return f"ENC[AES256_GCM,data:{b64(sealed[:-16])},iv:{b64(iv)},tag:{b64(sealed[-16:])},type:{typ}]"


def check_mac(key, leaves, lastmodified, mac_envelope):
    mac, _ = open_envelope(key, mac_envelope, lastmodified)
    assert mac.decode() == hashlib.sha512(b"".join(leaves)).hexdigest().upper(), "upstream MAC does not match"


def upstream_dotenv(conf):
    path = os.path.join(conf, "functional-tests/res/format.enc.env")
    key = bytes.fromhex(open(path + ".datakey").read().strip())
    entries, meta = [], {}
    for line in open(path, "rb").read().split(b"\n"):
        if not line:
            continue
        k, _, v = line.decode().partition("=")
        if k.startswith("sops_"):
            meta[k[5:]] = v
            continue
        plain, _ = open_envelope(key, v, k + ":")
        entries.append((k, plain.decode()))
    check_mac(key, [v.encode() for _, v in entries], meta["lastmodified"], meta["mac"])
    return entries


def upstream_binary(conf):
    path = os.path.join(conf, "example.txt")
    key = bytes.fromhex(open(path + ".datakey").read().strip())
    doc = json.load(open(path))
    plain, _ = open_envelope(key, doc["data"], "data:")
    check_mac(key, [plain], doc["sops"]["lastmodified"], doc["sops"]["mac"])
    return plain


def upstream_ini(conf):
    # example.ini, read as go-ini reads it: "[section]", "key = value" (trimmed), and comment
    # lines (";" or "#") before a section header kept as that section's comment.
    path = os.path.join(conf, "example.ini")
    key = bytes.fromhex(open(path + ".datakey").read().strip())
    sections, meta, pending, leaves = [], {}, [], []
    for line in open(path).read().split("\n"):
        line = line.strip()
        if not line:
            continue
        if line[0] in ";#":
            pending.append(line.lstrip(";# "))
        elif line.startswith("["):
            sections.append((line[1:-1], [("#", c) for c in pending]))
            pending = []
        else:
            k, _, v = line.partition("=")
            k, v = k.strip(), v.strip()
            name, items = sections[-1]
            if name == "sops":
                meta[k] = v
            elif k.endswith("_unencrypted"):
                items.append((k, v))
            else:
                items.append((k, open_envelope(key, v, f"{name}:{k}:")[0].decode()))
    sections = [(n, [(k, open_envelope(key, v, n + ":")[0].decode() if k == "#" else v) for k, v in items])
                for n, items in sections if n != "sops"]
    check_mac(key, [v.encode() for _, items in sections for k, v in items if k != "#"], meta["lastmodified"], meta["mac"])
    return sections


def go_json_string(s):
    # encoding/json's Marshal: HTML-safe escapes, \n \r \t, other controls as \u00XX.
    out = '"'
    for ch in s:
        c = ord(ch)
        if ch in '"\\':
            out += "\\" + ch
        elif ch == "\n":
            out += "\\n"
        elif ch == "\r":
            out += "\\r"
        elif ch == "\t":
            out += "\\t"
        elif c < 0x20 or ch in "<>&" or c in (0x2028, 0x2029):
            out += "\\u%04x" % c
        else:
            out += ch
    return out + '"'


def go_json_indent(value, depth=0):
    pad, inner = "\t" * depth, "\t" * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{go_json_string(k)}: {go_json_indent(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + go_json_indent(v, depth + 1) for v in value) + "\n" + pad + "]"
    return go_json_string(value)


def metadata(key, mac_hex, layout):
    # goToSops: every map sorted by name; one key group -> the flat "age" list.
    mac = seal(key, mac_hex.encode(), LASTMODIFIED, iv=base64.b64decode(layout["mac_iv"]))
    return {
        "age": [{"enc": layout["age_enc"], "recipient": layout["recipient"]}],
        "lastmodified": LASTMODIFIED,
        "mac": mac,
        "unencrypted_suffix": "_unencrypted",
        "version": "3.13.2",
    }


def flatten(prefix, value, out):
    # stores/flatten.go: map keys joined with "__map_", list entries with "__list_<i>".
    if isinstance(value, dict):
        children = [((k if prefix == "" else prefix + "__map_" + k), v) for k, v in value.items()]
    elif isinstance(value, list):
        children = [(prefix + "__list_" + str(i), v) for i, v in enumerate(value)]
    else:
        out.append((prefix, value))
        return
    for k, v in children:
        flatten(k, v, out)


def write_dotenv(entries, key, layout):
    # Our own lines beside upstream's: a comment (encrypted, additional data ":"), a value with
    # newlines, one with "=" in it, an empty one, a key left readable by the default suffix.
    entries = [("#", " database settings")] + entries + [
        ("CERT", "line one\nline two\n"), ("URL", "postgres://u:p@h/db?a=b"), ("EMPTY", ""), ("NOTE_unencrypted", "kept as is")]
    plain_lines, enc_lines, leaves = [], [], []
    for k, v in entries:
        if k == "#":
            plain_lines.append("#" + v)
            enc_lines.append("#" + seal(key, v.encode(), ":", "comment"))
            continue
        line_value = v.replace("\n", "\\n")
        plain_lines.append(f"{k}={line_value}")
        leaves.append(v.encode())
        if k.endswith("_unencrypted"):
            enc_lines.append(f"{k}={line_value}")
        else:
            # sops keeps an empty string empty (its cipher returns "" for it).
            enc_lines.append(f"{k}=" + (seal(key, v.encode(), k + ":").replace("\n", "\\n") if v else ""))
    md = []
    flatten("", metadata(key, hashlib.sha512(b"".join(leaves)).hexdigest().upper(), layout), md)
    enc_lines += [f"sops_{k}=" + str(v).replace("\n", "\\n") for k, v in md]
    open(os.path.join(here, "dotenv.plain"), "w").write("".join(l + "\n" for l in plain_lines))
    open(os.path.join(here, "dotenv.enc"), "w").write("".join(l + "\n" for l in enc_lines))


def ini_value(v):
    # go-ini's writeToBuffer: newlines or backquotes -> """v""", "#" or ";" -> `v`,
    # surrounding blanks -> "v".
    if "\n" in v or "`" in v:
        return '"""' + v + '"""'
    if "#" in v or ";" in v:
        return "`" + v + "`"
    if v.strip() != v:
        return '"' + v + '"'
    return v


def ini_text(sections):
    # go-ini's writeToBuffer with sops' encodeTree: a section's first comment is its comment,
    # written "; text" above the header; keys aligned on the longest one, " = "; a blank line
    # between sections (PrettySection), none after the last.
    out = []
    for i, (name, items) in enumerate(sections):
        if items and items[0][0] == "#":
            out.append("; " + items[0][1] if items[0][1][:1] not in ("#", ";") else items[0][1])
            items = items[1:]
        out.append(f"[{name}]")
        width = max((len(k) for k, _ in items), default=0)
        for k, v in items:
            out.append(k + " " * (width - len(k)) + " = " + ini_value(v))
        if i != len(sections) - 1:
            out.append("")
    return "".join(l + "\n" for l in out)


def write_ini(sections, key, layout):
    # Our own additions: a value with a comment character and one with surrounding blanks.
    sections = sections + [("extra", [("semicolon", "a;b"), ("padded", " x ")])]
    enc_sections, leaves = [], []
    for name, items in sections:
        enc_items = []
        for k, v in items:
            if k == "#":
                enc_items.append((k, seal(key, v.encode(), name + ":", "comment")))
                continue
            leaves.append(v.encode())
            enc_items.append((k, v if k.endswith("_unencrypted") else seal(key, v.encode(), f"{name}:{k}:")))
        enc_sections.append((name, enc_items))
    md = []
    flatten("", metadata(key, hashlib.sha512(b"".join(leaves)).hexdigest().upper(), layout), md)
    # MetadataFlattenBelowTop with EscapeNewlines: the [sops] section, newlines as \n.
    enc_sections.append(("sops", [(k, str(v).replace("\n", "\\n")) for k, v in md]))
    open(os.path.join(here, "ini.plain"), "w").write(ini_text(sections))
    open(os.path.join(here, "ini.enc"), "w").write(ini_text(enc_sections))


def write_binary(data, key, layout):
    open(os.path.join(here, "binary.plain"), "wb").write(data)
    doc = {"data": seal(key, data, "data:"), "sops": metadata(key, hashlib.sha512(data).hexdigest().upper(), layout)}
    open(os.path.join(here, "binary.enc"), "w").write(go_json_indent(doc) + "\n")


def main():
    conf = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "conformance", "sops")
    if not os.path.isdir(conf):
        conf = "/work/shared/conformance/sops"
    key = os.urandom(32)
    recipient = subprocess.run(["age-keygen", "-y", RECIPIENT_KEYFILE], check=True, capture_output=True, text=True).stdout.strip()
    armored = subprocess.run(["age", "-a", "-r", recipient], input=key, check=True, capture_output=True).stdout.decode()
    layout = {"data_key": key.hex(), "lastmodified": LASTMODIFIED, "mac_iv": b64(os.urandom(32)), "recipient": recipient,
              "age_enc": armored}
    write_dotenv(upstream_dotenv(conf), key, layout)
    write_binary(upstream_binary(conf), key, layout)
    write_ini(upstream_ini(conf), key, layout)
    with open(os.path.join(here, "layout.json"), "w") as f:
        json.dump(layout, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
