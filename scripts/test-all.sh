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
# at full speed; the ASan+UBSan suites start as soon as their own build is done, with the TSan
# build still going beside them at nice 19. Each build's output goes to a log that is printed
# whole when it fails.
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
# Where the time went, printed last (CI shows the end of the output): each stage's wall time and
# the slowest tests of each suite (ctest's cost data; the gtest shards' JSON reports).
# With each stage, the CPU the whole machine spent in it (/proc/stat: user, niced and system
# time of every process, PostgreSQL's and the browser's included): the niced part is mostly the
# sanitizer builds beside the Release suites. Busy CPU well under 2 x wall on 2 cores means the
# stage waited (sockets, servers starting, sleeps) rather than computed.
cpu_ticks() { awk '/^cpu / { print $2, $3, $4 }' /proc/stat; }
read -r cpu_user cpu_nice cpu_sys < <(cpu_ticks)
hz=$(getconf CLK_TCK)
timings=()
stage_start=$started
stage_done() {
  local now user nice sys
  now=$(date +%s)
  read -r user nice sys < <(cpu_ticks)
  timings+=("$(printf '%5d s  %s; CPU busy %d s (user %d, niced %d, system %d)' \
    $((now - stage_start)) "$1" $(((user + nice + sys - cpu_user - cpu_nice - cpu_sys) / hz)) \
    $(((user - cpu_user) / hz)) $(((nice - cpu_nice) / hz)) $(((sys - cpu_sys) / hz)))")
  stage_start=$now
  cpu_user=$user cpu_nice=$nice cpu_sys=$sys
}
slowest() {  # ctest's last run: name, runs, seconds
  [ -f "$1/Testing/Temporary/CTestCostData.txt" ] || return 0
  echo "  slowest in $1:"
  awk '/^---/ { exit } { print }' "$1/Testing/Temporary/CTestCostData.txt" | sort -k3 -g -r | head -8 |
    awk '{printf "    %7.1f s  %s\n", $3, $1}'
}
# What failed, printed at the very end so that a log cut in the middle still names it: each
# failing gtest case with the lines that say why, and any sanitizer report's first line.
failures() {
  local dir log
  for dir in "$release" "${FUZZ_BUILD:-build-fuzz}" "${TSAN_BUILD:-build-tsan}"; do
    for log in "$dir"/Testing/Temporary/LastTest*.log; do
      [ -f "$log" ] || continue
      grep -qE '^\[  FAILED  \]|: Failure$|ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|\*\*\*Exception' "$log" ||
        continue
      echo "make test: what failed in $log:"
      grep -E -A4 ': Failure$' "$log" | head -60 | sed 's/^/    /'
      grep -E '^\[  FAILED  \]|ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|\*\*\*Exception' "$log" |
        sort -u | head -30 | sed 's/^/    /'
    done
  done
}
summary() {
  echo "make test: where the time went (wall, $(nproc) cores):"
  printf '  %s\n' "${timings[@]}"
  printf '  %5d s  in all\n' $(($(date +%s) - started))
  slowest "$release"
  slowest "${FUZZ_BUILD:-build-fuzz}"
  for bin in unit_tests_threads http_tests; do  # the TSan shards' JSON reports, each suite's together
    set -- "${TSAN_BUILD:-build-tsan}/tests/$bin".shard*.json
    [ -f "$1" ] || continue
    echo "  slowest in ${TSAN_BUILD:-build-tsan}/tests/$bin (TSan, $# shards):"
    python3 - "$@" <<'PY' || true
import json, sys
shards = [json.load(open(f)) for f in sys.argv[1:]]
print("    shards' wall: " + ", ".join(d.get("time", "?") for d in shards))
tests = [(float(t.get("time", "0s").rstrip("s")), s["name"] + "." + t["name"])
         for d in shards for s in d.get("testsuites", []) for t in s.get("testsuite", [])]
for secs, name in sorted(tests, reverse=True)[:8]:
    print(f"    {secs:7.1f} s  {name}")
PY
  done
  failures
}

# The sanitizer builds, one after the other, niced, in the background, in a session of their own
# (setsid) so that a failure or an interrupt can stop the whole build (make, cmake, ninja and the
# compilers) by its process group. Each writes its status to a file when it ends: the ASan+UBSan
# suites start as soon as their build is done, while the TSan build goes on beside them at nice 19
# (those suites wait on PostgreSQL and start a process per test; the build takes what they leave).
#
# A session of its own is also a scheduling group of its own where the kernel groups tasks by
# session (CONFIG_SCHED_AUTOGROUP, on in Debian's kernels and on the CI machines): the kernel then
# shares the CPU fairly between the groups, whatever each task's nice value, and a build at nice
# 19 took half of the CPU from the Release suites (their ctest took 1,124 s beside the builds
# against 395 s alone, on 2 cores). So the group itself is niced as well (/proc/self/autogroup;
# without autogroup the file is absent and the tasks' nice values do it).
setsid bash -c '
  make=$1 dir=$2
  shift 2
  echo 19 2>/dev/null >/proc/self/autogroup || true
  nice -n 19 "$make" --no-print-directory build-asan "$@" >"$dir/asan-build.log" 2>&1
  rc=$?
  echo $rc >"$dir/asan-build.rc"
  [ $rc -eq 0 ] || exit 1
  nice -n 19 "$make" --no-print-directory build-tsan "$@" >"$dir/tsan-build.log" 2>&1
  rc=$?
  echo $rc >"$dir/tsan-build.rc"
  [ $rc -eq 0 ] || exit 2
' test-all-builds "$make" "$logdir" "${vars[@]}" &
builds=$!
stop_builds() { kill -- -"$builds" 2>/dev/null || true; }
trap 'stop_builds; exit 130' INT TERM
trap 'stop_builds; summary' EXIT
# Waits until the build whose status file is $1 ends; prints its log and fails if it failed.
wait_build() {
  while [ ! -f "$logdir/$1.rc" ]; do
    if ! kill -0 "$builds" 2>/dev/null && [ ! -f "$logdir/$1.rc" ]; then
      stamp "the sanitizer builds stopped before $1 ended"
      return 1
    fi
    sleep 1
  done
  if [ "$(cat "$logdir/$1.rc")" != 0 ]; then
    stamp "$1 FAILED:"
    cat "$logdir/$1.log"
    return 1
  fi
}

stamp "Release ctest (sanitizer builds meanwhile at nice 19; logs in $logdir)"
ctest --test-dir "$release" --output-on-failure -j"$jobs"
release_rc=$?
stamp "Release ctest finished (status $release_rc)"
stage_done "Release ctest (sanitizer builds beside it at nice 19)"
[ "$release_rc" -eq 0 ] || exit 1

wait_build asan-build || exit 1
stamp "ASan build finished"
stage_done "the rest of the ASan build"

"$make" --no-print-directory run-asan "${vars[@]}" || exit 1
stamp "ASan+UBSan and fuzz suites finished"
stage_done "ASan+UBSan unit tests and fuzz targets (TSan build beside them at nice 19)"

wait_build tsan-build || exit 1
wait "$builds"
stamp "TSan build finished"
stage_done "the rest of the TSan build"
"$make" --no-print-directory run-tsan "${vars[@]}" || exit 1
stamp "ThreadSanitizer suites finished; every stage passed"
stage_done "ThreadSanitizer unit and HTTP suites"
rm -rf "$logdir"
