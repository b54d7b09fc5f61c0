#!/usr/bin/env bash
# `flowtop replay FILE --ipfix` gives the same IPFIX messages every run: two
# back-fills of the same recording to a UDP receiver (socat, in a private
# network namespace) produce byte-identical datagrams, and nfcapd accepts
# them with no sequence errors.
set -uo pipefail
source tests/netns/netns.sh
FLOWTOP=$PWD/tui/flowtop
FILE=$PWD/tests/replay/fixtures/kernel_ns.ftr
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/ipfix-replay.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
for tool in socat nfcapd nfdump od; do
  command -v $tool >/dev/null || fail "$tool is missing: run tools/setup.sh --test"
done
netns_create || fail "no network namespace"

run_once() {  # run_once N: every datagram, one hex line each, in $WORK/run.N
  $NETNS_EXEC socat -u UDP-RECV:4739,bind=127.0.0.1 SYSTEM:'od -An -v -tx1 | tr -d " \n"; echo' \
    >"$WORK/run.$1" 2>&1 &
  local rx=$!
  NETNS_PIDS+=("$rx")
  sleep 0.3
  $NETNS_EXEC "$FLOWTOP" replay "$FILE" --ipfix 127.0.0.1:4739 2>"$WORK/replay.$1.err" \
    || fail "replay --ipfix: $(cat "$WORK/replay.$1.err")"
  sleep 0.5
  kill "$rx"; wait "$rx" 2>/dev/null
}
# socat's UDP-RECV hands each datagram to a new SYSTEM child; collect them.
run_once 1
run_once 2
[ -s "$WORK/run.1" ] || fail "no datagram received"
cmp -s "$WORK/run.1" "$WORK/run.2" || fail "two back-fills differ: $(diff "$WORK/run.1" "$WORK/run.2" | head)"
grep -q "24 records in" "$WORK/replay.1.err" || fail "unexpected record count: $(cat "$WORK/replay.1.err")"

mkdir "$WORK/nf"
$NETNS_EXEC nfcapd -w "$WORK/nf" -b 127.0.0.1 -p 4739 >"$WORK/nfcapd.log" 2>&1 &
nf=$!
NETNS_PIDS+=("$nf")
sleep 0.5
$NETNS_EXEC "$FLOWTOP" replay "$FILE" --ipfix 127.0.0.1:4739 2>/dev/null || fail "replay to nfcapd"
sleep 0.5
kill -TERM "$nf"; wait "$nf" 2>/dev/null
grep -q "Flows: 24,.*Sequence Errors: 0, Bad Packets: 0" "$WORK/nfcapd.log" \
  || fail "nfcapd: $(cat "$WORK/nfcapd.log")"
[ "$(nfdump -R "$WORK/nf" -q -o csv | grep -c .)" -ge 24 ] || fail "nfdump shows fewer than 24 records"
echo "PASS: the same $(wc -l <"$WORK/run.1") datagram line(s) on both runs; nfcapd stored 24 flows"
