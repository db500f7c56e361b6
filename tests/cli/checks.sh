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
