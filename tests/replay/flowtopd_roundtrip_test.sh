#!/bin/bash
# Record from a flowtopd over gRPC, serve the result with flowtopd --replay,
# and query both daemons with the Node.js reflection client: they serve the
# same flows (counters, rates, enrichment included).
#
#   daemon A: flowtopd --replay SOURCE.ftr --replay-speed max
#   flowtop record --connect A -o B.ftr      (snapshot + follow over gRPC)
#   daemon B: flowtopd --replay B.ftr
#   node list_flows.js A  ==  node list_flows.js B
set -u
FLOWTOPD="$1"; TOOL="$2"; SOURCE="$(readlink -f "$3")"
WORK="${TEST_TMPDIR:-$(mktemp -d)}"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# node_modules is not a Bazel input (git-ignored): find the source tree
# through the runfiles symlink of our script, and the service's client there.
list_flows=$(readlink -f tests/replay/node/list_flows.js)
modules=$(dirname "$list_flows")/../../service/node/node_modules
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
[ -d "$modules/@grpc/grpc-js" ] || fail "$modules is missing; run: (cd tests/service/node && npm ci)"

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

start a --replay "$SOURCE" --replay-speed max --listen 127.0.0.1:0 --node-name rt
PORT_A=$PORT
# The stream is a snapshot of A's table followed by every later event, so the
# recording ends with A's final table whenever it connected.
"$TOOL" record --connect "127.0.0.1:$PORT_A" -o "$WORK/b.ftr" --duration 3s -z -q ||
  fail "record --connect failed"
"$TOOL" replay "$WORK/b.ftr" --info >"$WORK/b.info" || fail "b.ftr does not read: $(cat "$WORK/b.info")"
grep -q "source          connect:127.0.0.1:$PORT_A" "$WORK/b.info" || fail "b.ftr header: $(cat "$WORK/b.info")"
start b --replay "$WORK/b.ftr" --replay-speed max --listen 127.0.0.1:0 --node-name rt
PORT_B=$PORT

# Both daemons may still be replaying: wait until each applied its last event.
last_a=$("$TOOL" replay "$SOURCE" --info | sed -n 's/^events .*seq [0-9]*\.\.\([0-9]*\)).*/\1/p')
last_b=$(sed -n 's/^events .*seq [0-9]*\.\.\([0-9]*\)).*/\1/p' "$WORK/b.info")
[ -n "$last_a" ] && [ -n "$last_b" ] || fail "no last seq in --info"
node "$list_flows" "$modules" "127.0.0.1:$PORT_A" "$last_a" >"$WORK/a.flows" || fail "query A: $(cat "$WORK/a.flows")"
node "$list_flows" "$modules" "127.0.0.1:$PORT_B" "$last_b" >"$WORK/b.flows" || fail "query B: $(cat "$WORK/b.flows")"
head -1 "$WORK/a.flows" | grep -q "^source replay:$SOURCE" || fail "A's status: $(head -1 "$WORK/a.flows")"
head -1 "$WORK/b.flows" | grep -q "^source replay:$WORK/b.ftr" || fail "B's status: $(head -1 "$WORK/b.flows")"
n=$(sed -n 2p "$WORK/a.flows" | cut -d' ' -f2)
[ "$n" -gt 0 ] || fail "A serves no flows"
grep -q '"bytes_per_second"' "$WORK/a.flows" || fail "A's flows have no rates"
if ! diff <(tail -n +2 "$WORK/a.flows") <(tail -n +2 "$WORK/b.flows") >"$WORK/diff"; then
  fail "the replayed recording serves different flows: $(head -c 2000 "$WORK/diff")"
fi
echo "PASS: $n flows identical through record --connect and flowtopd --replay"
