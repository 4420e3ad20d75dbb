#!/usr/bin/env bash
# The whole test suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc):
# any memory error, leak or undefined behaviour fails the test that triggered it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SOPSKIT_SANITIZE_DIR:-$root/build-sanitize}"
"$root/scripts/install-deps.sh"
# -O1 with line tables only: about half the build time of -O2 -g on CI's two cores, and the
# sanitizers' reports still name file and line.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DSOPSKIT_SANITIZE=ON -DSOPSKIT_BUILD_BENCH=OFF >/dev/null
cmake --build "$build"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
