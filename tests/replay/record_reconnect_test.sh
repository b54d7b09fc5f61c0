#!/bin/bash
# flowtop record --connect follows a flowtopd that goes away and comes back
# (the service's RemoteSource): the recording holds the outage as
# STATUS{connected: false} + LOST{CLIENT}, then STATUS{connected: true} and
# the restarted daemon's snapshot; stopping the recording adds no LOST, and
# the file reads back whole.
set -u
FLOWTOPD="$1"; TOOL="$2"; SOURCE="$(readlink -f "$3")"
WORK="${TEST_TMPDIR:-$(mktemp -d)}"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# start NAME ARGS...: starts flowtopd, waits (blocking read) for its port;
# sets PORT and DAEMON (its pid).
start() {
  local name=$1; shift
  mkfifo "$WORK/$name.fifo"
  "$FLOWTOPD" "$@" >"$WORK/$name.fifo" 2>"$WORK/$name.err" &
  DAEMON=$!
  PIDS+=($DAEMON)
  exec 7<"$WORK/$name.fifo"
  local line=""
  read -r -t 30 -u 7 line || fail "flowtopd $name did not start: $(cat "$WORK/$name.err")"
  cat <&7 >/dev/null &
  exec 7<&-
  PORT=${line##*:}
}

# wait_for WHAT COMMAND...: runs COMMAND until it succeeds (30 s at most).
wait_for() {
  local what=$1; shift
  for _ in $(seq 300); do
    "$@" && return 0
    sleep 0.1
  done
  fail "timed out waiting for $what"
}
json() { "$TOOL" replay "$WORK/r.ftr" --json 2>/dev/null; }
connects() { json | grep -c '"connected": *true'; }
# at_least N: the recording holds at least N connections.
at_least() { [ "$(connects)" -ge "$1" ]; }
has_lost_client() { json | grep -q '"source": *"CLIENT"'; }

start a --replay "$SOURCE" --replay-speed max --listen 127.0.0.1:0 --node-name rt
A_PORT=$PORT
"$TOOL" record --connect "127.0.0.1:$A_PORT" -o "$WORK/r.ftr" -q 2>"$WORK/record.err" &
RECORDER=$!
PIDS+=($RECORDER)
# Blocks are written every second: the first connection is in the file.
wait_for "the first connection in the recording" at_least 1

kill -TERM "$DAEMON"; wait "$DAEMON" 2>/dev/null
wait_for "the outage in the recording" has_lost_client
start a2 --replay "$SOURCE" --replay-speed max --listen "127.0.0.1:$A_PORT" --node-name rt
wait_for "the reconnection in the recording" at_least 2

kill -INT "$RECORDER"
wait "$RECORDER"; status=$?
[ "$status" -eq 0 ] || fail "record exited with $status: $(cat "$WORK/record.err")"

"$TOOL" replay "$WORK/r.ftr" --info >"$WORK/r.info" 2>&1 || fail "r.ftr does not read: $(cat "$WORK/r.info")"
grep -q "^damage *none" "$WORK/r.info" || fail "r.ftr is damaged: $(cat "$WORK/r.info")"
json >"$WORK/r.json" || fail "replay --json failed"
# Order: connected, ..., disconnected + LOST{CLIENT}, ..., connected, snapshot.
grep -o '"connected": *true\|"source": *"CLIENT"\|"type": *"SNAPSHOT_END"' "$WORK/r.json" |
  tr -d ' ' >"$WORK/order"
expected=$'"connected":true\n"type":"SNAPSHOT_END"\n"source":"CLIENT"\n"connected":true\n"type":"SNAPSHOT_END"'
[ "$(cat "$WORK/order")" = "$expected" ] ||
  fail "unexpected order of link events: $(tr '\n' ' ' <"$WORK/order")"
lost=$(grep -c '"source": *"CLIENT"' "$WORK/r.json")
[ "$lost" -eq 1 ] || fail "$lost LOST{CLIENT} events; want 1 (none for stopping)"
echo "PASS: recording survived a flowtopd restart ($(wc -l <"$WORK/r.json") events)"
