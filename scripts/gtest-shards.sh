#!/usr/bin/env bash
# Runs a googletest binary as N shards side by side (GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX) and
# fails when any shard fails. Used by `make test-tsan`, whose runs are CPU-bound and single-
# threaded for long stretches: two shards keep both cores busy. Each shard's output goes to a log
# next to the binary; a failing shard's log is printed whole.
# Usage: gtest-shards.sh N path/to/test_binary [gtest flags...]
set -uo pipefail
n=$1
bin=$2
shift 2
logs=()
pids=()
for ((i = 0; i < n; i++)); do
  log="$bin.shard$i.log"
  logs+=("$log")
  # The JSON report gives each test's time (scripts/test-all.sh prints the slowest).
  GTEST_TOTAL_SHARDS=$n GTEST_SHARD_INDEX=$i "$bin" --gtest_brief=1 \
    --gtest_output="json:$bin.shard$i.json" "$@" >"$log" 2>&1 &
  pids+=($!)
done
rc=0
for ((i = 0; i < n; i++)); do
  if wait "${pids[$i]}"; then
    echo "$(basename "$bin") shard $((i + 1))/$n: $(grep -E '^\[  PASSED  \]' "${logs[$i]}" | tail -1)"
  else
    rc=1
    echo "$(basename "$bin") shard $((i + 1))/$n FAILED; its log (${logs[$i]}):"
    cat "${logs[$i]}"
  fi
done
exit $rc
