#!/usr/bin/env bash
# `make run-tsan`: the unit and HTTP suites of a ThreadSanitizer build, as gtest shards
# (GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX) from one queue, JOBS at a time. The runs are CPU-bound
# and single-threaded for long stretches, so JOBS processes keep JOBS cores busy; with more shards
# than cores, a core that finishes a short shard takes the next one instead of waiting for the
# other suite (one suite after the other, two shards each, left a core idle for up to a minute
# at the end of each suite).
#
# The HTTP shards each serve the demo store from a file of their own. It is built once, by
# `http_tests --write-demo-db` as the first job, and each HTTP shard starts from a copy of it
# (WEIJIAN_TEST_DEMO_DB; tests/http/server_env.cc); the unit shards run beside it until it is
# ready, then the HTTP shards (the longer ones) go first. DEMO_WRITER names the http_tests that
# writes it: `make test` passes the Release build's (the same sources, so the same demo and
# schema), which writes it in about 8 CPU s where this build's took about 60. Writing the demo
# runs on one thread; what TSan checks is the suites served from it.
#
# Each shard's output goes to a log next to its binary, with a JSON report of each test's time
# (scripts/test-all.sh prints the slowest); a failing job's log is printed whole.
# Usage: tsan-suites.sh BUILD_DIR UNIT_GTEST_FILTER HTTP_GTEST_FILTER
# JOBS (default 2), UNIT_SHARDS (default 2: the unit suite runs here only its threaded tests,
# about 80 s under TSan), HTTP_SHARDS (default 4).
set -uo pipefail
build=$1
unit_filter=$2
http_filter=$3
jobs=${JOBS:-2}
unit_shards=${UNIT_SHARDS:-2}
http_shards=${HTTP_SHARDS:-4}
unit=$build/tests/unit_tests_threads
http=$build/tests/http_tests
demo_writer=${DEMO_WRITER:-$http}
demo=$build/tests/http_tests.demo.db
rm -f "$build"/tests/*.shard*.json "$build"/tests/*.shard*.log "$demo" "$demo.log"

# Each pattern of the unit filter must name a test of unit_tests_threads: a suite whose source is
# not among its sources (WEIJIAN_THREADED_UNIT_SOURCES) would otherwise match nothing and never
# run here, silently.
missing=()
IFS=: read -ra patterns <<<"$unit_filter"
for p in "${patterns[@]}"; do
  [[ $p == -* ]] && continue
  "$unit" --gtest_list_tests --gtest_filter="$p" 2>/dev/null | grep -q '^  ' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tsan-suites: no test of $(basename "$unit") matches ${missing[*]}: put its source in" \
    "WEIJIAN_THREADED_UNIT_SOURCES (tests/CMakeLists.txt) or take it out of TSAN_UNIT_TESTS (Makefile)"
  exit 1
fi

# The queue, in order of preference: the demo store, the HTTP shards (which need it), the unit
# shards. A job is "demo", "http I" or "unit I".
queue=(demo)
for ((i = 0; i < http_shards; i++)); do queue+=("http $i"); done
for ((i = 0; i < unit_shards; i++)); do queue+=("unit $i"); done
demo_state=waiting  # waiting, running, done or failed
declare -A job_of log_of
rc=0

start() {  # starts job $1 in the background
  local kind index log
  read -r kind index <<<"$1"
  case $kind in
    demo)
      log=$demo.log
      "$demo_writer" --write-demo-db="$demo" >"$log" 2>&1 &
      demo_state=running
      ;;
    http | unit)
      local bin=$unit total=$unit_shards filter=$unit_filter
      if [ "$kind" = http ]; then bin=$http total=$http_shards filter=$http_filter; fi
      log=$bin.shard$index.log
      WEIJIAN_TEST_DEMO_DB=$demo GTEST_TOTAL_SHARDS=$total GTEST_SHARD_INDEX=$index "$bin" \
        --gtest_brief=1 --gtest_output="json:$bin.shard$index.json" --gtest_filter="$filter" \
        >"$log" 2>&1 &
      ;;
  esac
  job_of[$!]=$1
  log_of[$!]=$log
}

# The first job of the queue that can start now (its index in the queue), or nothing.
next() {
  local i
  for i in "${!queue[@]}"; do
    case ${queue[$i]} in
      http*) [ "$demo_state" = done ] && { echo "$i"; return; } ;;
      *) echo "$i"; return ;;
    esac
  done
}

running=0
while true; do
  while [ "$running" -lt "$jobs" ]; do
    i=$(next)
    [ -n "$i" ] || break
    start "${queue[$i]}"
    unset 'queue[i]'
    running=$((running + 1))
  done
  [ "$running" -gt 0 ] || break
  wait -n -p pid
  status=$?
  running=$((running - 1))
  job=${job_of[$pid]}
  read -r kind index <<<"$job"
  case $kind in
    demo) name="the demo store for the HTTP shards ($demo_writer --write-demo-db)" ;;
    http) name="$(basename "$http") shard $((index + 1))/$http_shards" ;;
    unit) name="$(basename "$unit") shard $((index + 1))/$unit_shards" ;;
  esac
  if [ "$status" -eq 0 ]; then
    if [ "$kind" = demo ]; then
      demo_state=done
      echo "$name: built"
    else
      echo "$name: $(grep -E '^\[  PASSED  \]' "${log_of[$pid]}" | tail -1)"
    fi
  else
    rc=1
    echo "$name FAILED; its log (${log_of[$pid]}):"
    cat "${log_of[$pid]}"
    if [ "$kind" = demo ]; then  # the HTTP shards cannot run
      demo_state=failed
      for i in "${!queue[@]}"; do [[ ${queue[$i]} == http* ]] && unset 'queue[i]'; done
    fi
  fi
done
rm -f "$demo"
exit $rc
