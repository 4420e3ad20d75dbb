"""Writes the two 10 MiB YAML shapes of the large-file rows: many small values (small.yaml, the
worst case: one envelope per ~10 bytes) and Secret-like 4 KiB base64 blobs (blobs.yaml).
    make_large_yaml.py FOLDER [MiB]"""
import base64
import os
import sys

work = sys.argv[1]
target = int(sys.argv[2] if len(sys.argv) > 2 else 10) * 1024 * 1024


def write(name, block):
    out, size, i = [], 0, 0
    while size < target:
        b = block(i)
        out.append(b)
        size += len(b)
        i += 1
    open(os.path.join(work, name), "w").write("".join(out))


write("small.yaml", lambda i: f"app{i}:\n    name: service-{i}\n    password: p4ssw0rd-{i}-{'x' * 40}\n"
      f"    port: {1000 + i % 50000}\n    enabled: true\n    tags:\n        - a{i}\n        - b{i}\n")
blob = base64.b64encode(os.urandom(3072)).decode()
write("blobs.yaml", lambda i: f"cert{i}: {blob}\n")
