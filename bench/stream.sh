#!/usr/bin/env bash
# The controller at scale through the CLI: `sopskit decrypt-manifests` on a stream of N Secrets
# (default 100,000, about 130 MB) and on one of 1,000. Peak memory is set against the stream's
# size; CPU time (user + sys) per document against the 1,000-Secret stream's, which is
# throughput per core. The figures are the kernel's accounting of the finished process (wait4's
# rusage, what /usr/bin/time -v prints, to the microsecond). Prints key=value lines.
#   bench/stream.sh SOPSKIT SOPSKIT_BENCH_DECRYPTOR [N]
set -euo pipefail
sopskit="$1"
gen="$2"
n="${3:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$gen" stream "$work/large.yaml" "$work/large-keys.yaml" "$n" | sed 's/^stream_/stream_large_/'
"$gen" stream "$work/small.yaml" "$work/small-keys.yaml" 1000 | sed 's/^stream_/stream_small_/'

python3 - "$sopskit" "$work" "$n" <<'PY'
import os, statistics, subprocess, sys, time
sopskit, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

def run(name, docs):
    """One decrypt-manifests of work/NAME.yaml on stdin: (peak KiB, cpu s, wall s); checks the output."""
    out_path = f"{work}/{name}.out"
    with open(f"{work}/{name}.yaml", "rb") as stdin, open(out_path, "wb") as stdout:
        start = time.perf_counter()
        pid = os.posix_spawn(sopskit, [sopskit, "decrypt-manifests", "--decryption-secret", f"{work}/{name}-keys.yaml"],
                             os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, stdin.fileno(), 0),
                                                       (os.POSIX_SPAWN_DUP2, stdout.fileno(), 1)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"stream: decrypt-manifests of {docs} Secrets failed")
    # Counted by grep: the output read in here would raise this process's peak memory, which a
    # child's peak starts from.
    secrets = subprocess.run(["grep", "-c", "^kind: Secret$", out_path], capture_output=True, text=True).stdout.strip()
    left = subprocess.run(["grep", "-c", "ENC\\[", out_path], capture_output=True, text=True).stdout.strip()
    if secrets != str(docs) or left != "0":
        sys.exit(f"stream: decrypt-manifests did not decrypt all {docs} Secrets")
    os.unlink(out_path)
    return usage.ru_maxrss, usage.ru_utime + usage.ru_stime, wall

kb, cpu, wall = run("large", n)
print(f"stream_large_peak_kb={kb}\nstream_large_cpu_s={cpu:.3f}\nstream_large_wall_s={wall:.3f}")
small = sorted(run("small", 1000) for _ in range(7))  # tens of milliseconds each: the median of seven
kb, cpu, wall = small[3][0], statistics.median(r[1] for r in small), statistics.median(r[2] for r in small)
print(f"stream_small_peak_kb={kb}\nstream_small_cpu_s={cpu:.4f}\nstream_small_wall_s={wall:.4f}")
PY
