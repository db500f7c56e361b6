#!/usr/bin/env bash
# `make test`: every suite, in three builds, on a machine of N cores (CI has 2).
#
#   1. the Release build (done by make before this script) and its ctest;
#   2. the clang ASan+UBSan build (unit tests, fuzz targets) and its ctest;
#   3. the GCC ThreadSanitizer build of the unit and HTTP suites, run in shards.
#
# The two sanitizer builds are pure CPU work, and the Release suites are not: they wait on
# sockets, on child servers starting and stopping, on PostgreSQL and on the browser. So the
# sanitizer builds start at the same time as the Release ctest, at the lowest CPU priority
# (nice 19): they take only the cycles the tests leave idle, and the tests keep the priority
# they would have alone. What is left of the builds after the Release suites finish then runs
# at full speed. Each build's output goes to a log that is printed whole when it fails.
#
# Usage: scripts/test-all.sh RELEASE_BUILD_DIR [MAKE_VARIABLE=VALUE...] (called by the Makefile,
# whose targets build-asan, run-asan, build-tsan and run-tsan it calls back with those variables).
# JOBS: ctest's parallelism (default 2).
set -uo pipefail
cd "$(dirname "$0")/.."
release=$1
shift
vars=("$@")
make=${MAKE:-make}
jobs=${JOBS:-2}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/weijian-test.XXXXXX")

started=$(date +%s)
stamp() { echo "[make test $(($(date +%s) - started)) s] $*"; }

# The sanitizer builds, one after the other, niced, in the background.
(
  nice -n 19 "$make" --no-print-directory build-asan "${vars[@]}" >"$logdir/asan-build.log" 2>&1 ||
    exit 1
  nice -n 19 "$make" --no-print-directory build-tsan "${vars[@]}" >"$logdir/tsan-build.log" 2>&1 ||
    exit 2
) &
builds=$!

stamp "Release ctest (sanitizer builds meanwhile at nice 19; logs in $logdir)"
ctest --test-dir "$release" --output-on-failure -j"$jobs"
release_rc=$?
stamp "Release ctest finished (status $release_rc)"

wait "$builds"
build_rc=$?
case $build_rc in
  0) stamp "sanitizer builds finished" ;;
  1) stamp "the ASan build FAILED:"; cat "$logdir/asan-build.log" ;;
  *) stamp "the TSan build FAILED:"; cat "$logdir/tsan-build.log" ;;
esac
[ "$release_rc" -eq 0 ] && [ "$build_rc" -eq 0 ] || exit 1

"$make" --no-print-directory run-asan "${vars[@]}" || exit 1
stamp "ASan+UBSan and fuzz suites finished"
"$make" --no-print-directory run-tsan "${vars[@]}" || exit 1
stamp "ThreadSanitizer suites finished; every stage passed"
rm -rf "$logdir"
