"""Turns the key=value lines of bench/run's steps into one Markdown table: each case with
sopskit's figure, the peer or floor measured in the same run, the ratio, the target and
whether it is met."""
import sys

v = {}
for line in open(sys.argv[1]):
    if "=" in line:
        k, _, val = line.strip().partition("=")
        v[k] = val

def f(key):
    return float(v[key])

rows = []
def row(case, ours, other, ratio, target, met):
    rows.append((case, ours, other, ratio, target, "met" if met else "MISSED"))

n_age = int(v["age_docs"])
floor_ms = n_age * (1000.0 / f("floor_x25519_ops")) + n_age * 2 * 64 / f("floor_aes_gcm_64b_bytes_per_s") * 1000
age_cold = f("age_cold_ms")
row(f"controller: {n_age} age Secrets, cold (2 cores)", f"{age_cold:.1f} ms", f"floor {floor_ms:.1f} ms (1 core)",
    f"{age_cold / floor_ms:.2f}x", "<= 2x floor", age_cold <= 2 * floor_ms)
age_warm = f("age_warm_ms")
row(f"controller: {n_age} age Secrets, warm (cache)", f"{age_warm:.1f} ms", f"cold {age_cold:.1f} ms",
    f"{age_cold / age_warm:.1f}x faster", "(no target)", True)
if "age_pq_cold_ms" in v:
    pq_cold = f("age_pq_cold_ms")
    row(f"controller: {n_age} age post-quantum (mlkem768x25519) Secrets, cold", f"{pq_cold:.1f} ms",
        f"X25519 {age_cold:.1f} ms", f"{pq_cold / age_cold:.2f}x", "(context)", True)

n_pgp = int(v["pgp_docs"])
pgp_cold_per = f("pgp_cold_ms") / n_pgp
gpg = f("pgp_gpg_d_ms")
row(f"controller: {n_pgp} PGP Secrets, cold, per file (2 cores)", f"{pgp_cold_per:.2f} ms", f"gpg -d {gpg:.2f} ms",
    f"{pgp_cold_per / gpg:.2f}x", "<= 1x gpg -d", pgp_cold_per <= gpg)
speedup = f("pgp_cold_ms") / f("pgp_warm_ms")
row(f"controller: {n_pgp} PGP Secrets, warm (cache)", f"{f('pgp_warm_ms'):.2f} ms", f"cold {f('pgp_cold_ms'):.1f} ms",
    f"{speedup:.0f}x faster", ">= 100x faster", speedup >= 100)
single = f("pgp_sopskit_file_ms")
row(f"PGP ({v['pgp_algorithm']}) one file, sequential", f"{single:.2f} ms", f"gpg -d {gpg:.2f} ms", f"{single / gpg:.2f}x",
    "(context)", True)

for shape, label in (("small", "many small values"), ("blobs", "Secret-like 4 KiB blobs")):
    mb = f(f"yaml_{shape}_bytes") / 1e6
    for step, parse_key in (("encrypt", "parse_plain"), ("decrypt", "parse_encrypted")):
        secs = f(f"yaml_{shape}_{step}_s")
        rate = mb / secs
        floor_rate = mb / f(f"yaml_{shape}_{parse_key}_s")
        mem = f(f"yaml_{shape}_{step}_peak_kb") * 1024 / f(f"yaml_{shape}_bytes")
        ok_rate = rate >= 50
        row(f"10 MiB YAML ({label}): {step}", f"{rate:.1f} MB/s", f"YAML parse alone {floor_rate:.1f} MB/s",
            f"{rate / floor_rate:.2f}x of parse", ">= 50 MB/s", ok_rate)
        row(f"10 MiB YAML ({label}): {step} peak memory", f"{mem:.1f}x file", "", "", "<= 10x file", mem <= 10)
    # The other parsers Debian packages, parse alone on the same plaintext: could one reach 50 MB/s?
    for parser, name in (("libyaml", "libyaml events"), ("yamlcpp", "yaml-cpp tree")):
        secs = v.get(f"yaml_{shape}_parse_plain_{parser}_s", "n/a")
        if secs not in ("n/a", ""):
            row(f"10 MiB YAML ({label}): {name}, parse alone", f"{mb / float(secs):.1f} MB/s", f"libfyaml {mb / f(f'yaml_{shape}_parse_plain_s'):.1f} MB/s",
                "", "(alternative)", True)

cli = f("cli_sopskit_decrypt_ms")
row("CLI decrypt of one small file (whole process)", f"{cli:.2f} ms", f"age -d {f('cli_age_decrypt_ms'):.2f} ms",
    f"{cli / f('cli_age_decrypt_ms'):.2f}x", "<= 5 ms", cli <= 5)
rot = f("batch_rotate_s")
row(f"batch rotate of {v['rotate_files']} small age files", f"{rot:.2f} s", f"batch encrypt {f('batch_encrypt_s'):.2f} s",
    "", "<= 3 s", rot <= 3)

head = ("case", "sopskit", "peer / floor (same run)", "ratio", "target", "result")
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
def line(r):
    return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(line(r))
missed = sum(r[5] == "MISSED" for r in rows)
print(f"\n{len(rows) - missed} of {len(rows)} rows met" + (f"; {missed} missed" if missed else ""))
