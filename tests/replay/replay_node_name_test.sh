#!/bin/bash
# flowtopd --replay FILE --node-name NAME serves the recording under NAME
# (two replays of one file are told apart in `flowtop --connect a,b`), and
# the TUI measures a replayed node's ages against the stream's time, not the
# wall clock (the recording is from 2023: wall-clock ages would be years).
set -u
FLOWTOPD="$1"; FLOWTOP="$2"; SOURCE="$(readlink -f "$3")"
WORK="${TEST_TMPDIR:-$(mktemp -d)}"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# start NAME ARGS...: starts flowtopd, waits (blocking read) for its port.
start() {
  local name=$1; shift
  mkfifo "$WORK/$name.fifo"
  "$FLOWTOPD" "$@" >"$WORK/$name.fifo" 2>"$WORK/$name.err" &
  PIDS+=($!)
  exec 7<"$WORK/$name.fifo"
  local line=""
  read -r -t 30 -u 7 line || fail "flowtopd $name did not start: $(cat "$WORK/$name.err")"
  cat <&7 >/dev/null &
  exec 7<&-
  PORT=${line##*:}
}

start a --replay "$SOURCE" --replay-speed max --listen 127.0.0.1:0 --node-name edge7 -G
PORT_A=$PORT
start b --replay "$SOURCE" --replay-speed max --listen 127.0.0.1:0 --node-name edge8 -G
PORT_B=$PORT

out=$(timeout 60 "$FLOWTOP" --connect "127.0.0.1:$PORT_A,127.0.0.1:$PORT_B" \
      --batch --count 1 -n --sort node --width 160 2>"$WORK/flowtop.err") ||
  fail "flowtop --connect: $(cat "$WORK/flowtop.err")"
rows=$(grep -E '^edge[78] ' <<<"$out")
grep -q '^edge7 ' <<<"$rows" || fail "no row of node edge7: $out"
grep -q '^edge8 ' <<<"$rows" || fail "no row of node edge8: $out"
grep -qE '^r1 ' <<<"$out" && fail "rows under the recorded node name r1: $out"
# AGE: seconds or minutes on the stream's clock; never days or years.
grep -qE ' [0-9]+s ' <<<"$rows" || fail "no age in seconds: $out"
grep -qE ' [0-9]+(d|y)' <<<"$rows" && fail "ages measured against the wall clock: $out"
echo "PASS: replayed nodes served as edge7 and edge8, ages on the stream's clock"
