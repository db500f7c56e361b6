#!/usr/bin/env bash
# Fails when a C++ source is not formatted as .clang-format says (Google base, 100 columns).
# Fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i
set -u
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format is not installed (scripts/install-deps.sh installs it)"; exit 1; }
files=$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc' 2>/dev/null)
[ -n "$files" ] || files=$(find src tests bench -name '*.cc' -o -name '*.h')
bad=0
for f in $files; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f"
    bad=$((bad + 1))
  fi
done
total=$(echo "$files" | wc -w)
echo "$((total - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
