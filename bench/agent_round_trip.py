#!/usr/bin/env python3
"""The private-key step of a PGP decrypt alone: one connection to gpg-agent's socket and one
PKDECRYPT of a message's session key (ECDH keys), as a decrypt that runs no gpg process would
do it. The floor of that route, beside `gpg -d` and `age -d` in bench/startup.sh.
Usage: agent_round_trip.py SOCKET KEYGRIP MESSAGE.gpg RUNS; prints startup_agent_pkdecrypt_ms."""
import socket
import statistics
import sys
import time


def first_packet(data):
    """The body of the first OpenPGP packet (old or new header format, definite length)."""
    ctb = data[0]
    if ctb & 0x40:  # new format
        first = data[1]
        if first < 192:
            return data[2:2 + first]
        if first < 224:
            n = ((first - 192) << 8) + data[2] + 192
            return data[3:3 + n]
        n = int.from_bytes(data[2:6], "big")
        return data[6:6 + n]
    size = [1, 2, 4][ctb & 3]
    n = int.from_bytes(data[1:1 + size], "big")
    return data[1 + size:1 + size + n]


def ecdh_ciphertext(pkesk):
    """PKESK v3 to an ECDH key: the ephemeral point (MPI) and the wrapped session key."""
    if pkesk[0] != 3 or pkesk[9] != 18:
        sys.exit("agent_round_trip: the message's first packet is no v3 PKESK to an ECDH key")
    bits = int.from_bytes(pkesk[10:12], "big")
    point = pkesk[12:12 + (bits + 7) // 8]
    rest = pkesk[12 + len(point):]
    return point, rest[1:1 + rest[0]]


def escaped(data):
    """Assuan's D line: %, CR and LF percent-escaped."""
    out = bytearray()
    for c in data:
        out += b"%%%02X" % c if c in (0x25, 0x0A, 0x0D) else bytes([c])
    return bytes(out)


def once(path, grip, ciphertext):
    start = time.perf_counter_ns()
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(path)
    lines = conn.makefile("rb", buffering=0)

    def answer():
        while True:
            line = lines.readline()
            if line.startswith(b"S ") or line.startswith(b"#"):
                continue
            if line.startswith(b"ERR") or not line:
                sys.exit(f"agent_round_trip: the agent answered {line!r}")
            return line

    answer()  # the greeting
    conn.sendall(b"SETKEY " + grip + b"\n")
    answer()
    conn.sendall(b"PKDECRYPT\n")
    if not answer().startswith(b"INQUIRE CIPHERTEXT"):
        sys.exit("agent_round_trip: no INQUIRE CIPHERTEXT")
    conn.sendall(b"D " + escaped(ciphertext) + b"\nEND\n")
    while not answer().startswith(b"OK"):
        pass
    conn.close()
    return (time.perf_counter_ns() - start) / 1e6


def main():
    path, grip, message, runs = sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
    point, wrapped = ecdh_ciphertext(first_packet(open(message, "rb").read()))
    ciphertext = (b"(7:enc-val(4:ecdh(1:s%d:" % len(wrapped) + wrapped + b")(1:e%d:" % len(point) + point + b")))")
    once(path, grip, ciphertext)  # warm-up
    samples = [once(path, grip, ciphertext) for _ in range(runs)]
    print(f"startup_agent_pkdecrypt_ms={statistics.median(samples):.2f}")


main()
