# Helpers for shell tests that start flowtopd (the real program over the fake
# source). Source it; it expects to run from the runfiles root.
FLOWTOPD=${FLOWTOPD:-tests/service/fake_flowtopd}
PROBE=${PROBE:-tests/service/flowtop_probe}
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/flowtopd.XXXXXX")
DAEMON_PIDS=()
FAILURES=0

cleanup_daemons() {
  for pid in "${DAEMON_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup_daemons EXIT

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }

# start_daemon NAME ARGS...: starts flowtopd, waits (blocking read, no
# polling) for its "listening on" line; sets PORT and PID. Returns 1 (and
# prints the daemon's stderr) when it exits instead.
start_daemon() {
  local name=$1; shift
  local fifo="$WORK/$name.fifo"
  mkfifo "$fifo"
  "$FLOWTOPD" "$@" >"$fifo" 2>"$WORK/$name.err" &
  PID=$!
  DAEMON_PIDS+=("$PID")
  local line=""
  exec 7<"$fifo"
  if ! read -r -t 30 -u 7 line; then
    echo "flowtopd $name did not start: $(cat "$WORK/$name.err")"
    return 1
  fi
  PORT=${line##*:}
  # Keep draining stdout so the daemon never blocks on it.
  cat <&7 >"$WORK/$name.out" &
  exec 7<&-
  return 0
}

# expect_probe WHAT EXPECTED_PREFIX PROBE_ARGS...
expect_probe() {
  local what=$1 want=$2; shift 2
  local got
  got=$("$PROBE" "$@" 2>"$WORK/probe.err" | head -n 1)
  if [[ "$got" == "$want"* ]]; then pass "$what"; else
    fail "$what: expected '$want...', got '$got' ($(tail -n 2 "$WORK/probe.err"))"; fi
}
