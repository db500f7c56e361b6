# The checks the CLI test scripts share (sourced; they set TMP first).
passed=0
failed=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
expect_rc() {  # expect_rc NAME WANT CMD...
  local name=$1 want=$2
  shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then check "$name" 0; else
    check "$name (exit $rc, wanted $want: $(head -c 300 "$TMP/err"))" 1; fi
}
# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The port a `weijian serve --port 0` prints to OUT-FILE ("serving on http://127.0.0.1:PORT/"),
# waiting up to a minute for it; empty when it never came.
served_port() {
  local port=""
  for _ in $(seq 1 240); do
    port=$(sed -n 's|.*serving on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.25
  done
  echo "$port"
}
