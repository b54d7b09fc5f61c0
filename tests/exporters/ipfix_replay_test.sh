#!/usr/bin/env bash
# `flowtop replay FILE --ipfix` back-fills a recording, the same way every
# run: a recording of real DNAT traffic (flowtop record in a network
# namespace) is exported twice to a UDP receiver and the datagrams are
# byte-identical; exported once more to nfcapd, every record arrives with no
# sequence error and the NAT addresses survive.
set -uo pipefail
source tests/netns/netns.sh
FLOWTOP=$PWD/tui/flowtop
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/ipfix-replay.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
for tool in socat nfcapd nfdump conntrack python3; do
  command -v $tool >/dev/null || fail "$tool is missing: run tools/setup.sh --test"
done
netns_create || fail "no network namespace"

# A recording: DNAT'd TCP, some flows destroyed, the rest alive at the end.
$NETNS_EXEC nft -f - <<'NFT' || fail "could not add the DNAT rule"
table ip nat_test {
  chain output { type nat hook output priority -100; tcp dport 8080 dnat to 127.0.0.1:7777; }
}
NFT
$NETNS_EXEC socat TCP-LISTEN:7777,reuseaddr,fork SYSTEM:'cat' &
NETNS_PIDS+=("$!")
$NETNS_EXEC "$FLOWTOP" record -o "$WORK/rec.ftr" --node r1 --duration 4s -q \
  2>"$WORK/record.err" &
recorder=$!
NETNS_PIDS+=("$recorder")
sleep 1
for i in 1 2 3 4 5 6; do
  head -c $((i * 700)) /dev/zero | $NETNS_EXEC socat -t 1 - TCP:127.0.0.2:8080 >/dev/null \
    || fail "DNAT traffic failed"
done
$NETNS_EXEC conntrack -D -p tcp --orig-port-dst 8080 --orig-src 127.0.0.1 >/dev/null 2>&1 || true
for i in 7 8; do
  head -c $((i * 700)) /dev/zero | $NETNS_EXEC socat -t 1 - TCP:127.0.0.2:8080 >/dev/null
done
wait "$recorder" || fail "flowtop record failed: $(cat "$WORK/record.err")"

# A UDP receiver that writes each datagram as one hex line and exits once
# nothing has come for 1.5 s.
cat >"$WORK/rx.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4739))
print("ready", flush=True)
s.settimeout(20)
with open(sys.argv[1], "w") as out:
    try:
        while True:
            out.write(s.recv(65535).hex() + "\n")
            s.settimeout(1.5)
    except socket.timeout:
        pass
PY
run_once() {  # run_once N: every datagram as one hex line, in $WORK/run.N
  mkfifo "$WORK/rx.$1"
  $NETNS_EXEC python3 "$WORK/rx.py" "$WORK/run.$1" >"$WORK/rx.$1" &
  local rx=$!
  NETNS_PIDS+=("$rx")
  read -r -t 10 ready <"$WORK/rx.$1" || fail "the UDP receiver did not start"
  $NETNS_EXEC "$FLOWTOP" replay "$WORK/rec.ftr" --ipfix 127.0.0.1:4739 \
    2>"$WORK/replay.$1.err" || fail "replay --ipfix: $(cat "$WORK/replay.$1.err")"
  wait "$rx" || fail "the UDP receiver failed"
}
run_once 1
run_once 2
[ -s "$WORK/run.1" ] || fail "no datagram received"
echo "run 1: $(wc -l <"$WORK/run.1") datagrams, $(wc -c <"$WORK/run.1") hex bytes"
cmp -s "$WORK/run.1" "$WORK/run.2" || fail "two back-fills differ: $(diff "$WORK/run.1" "$WORK/run.2" | head -4)"
sent=$(sed -n 's/.*: \([0-9]*\) records in.*/\1/p' "$WORK/replay.1.err")
[ "${sent:-0}" -ge 16 ] || fail "expected at least 16 records (8 flows, 2 directions): $(cat "$WORK/replay.1.err")"

mkdir "$WORK/nf"
$NETNS_EXEC nfcapd -w "$WORK/nf" -b 127.0.0.1 -p 4739 >"$WORK/nfcapd.log" 2>&1 &
nf=$!
NETNS_PIDS+=("$nf")
sleep 0.5
$NETNS_EXEC "$FLOWTOP" replay "$WORK/rec.ftr" --ipfix 127.0.0.1:4739 2>/dev/null || fail "replay to nfcapd"
sleep 0.5
kill -TERM "$nf"; wait "$nf" 2>/dev/null
grep -q "Flows: $sent,.*Sequence Errors: 0, Bad Packets: 0" "$WORK/nfcapd.log" \
  || fail "nfcapd did not store the $sent records cleanly: $(cat "$WORK/nfcapd.log")"
nfdump -R "$WORK/nf" -o json >"$WORK/nfdump.json" || fail "nfdump failed"
python3 - "$WORK/nfdump.json" <<'PY' || fail "NAT addresses lost in the back-fill"
import json, sys
recs = [r for r in json.load(open(sys.argv[1])) if r.get("dst_port") == 8080]
assert len(recs) >= 8, recs
for r in recs:
    assert r.get("dst4_xlt_ip") == "127.0.0.1" and str(r.get("dst_xlt_port")) == "7777", r
print("ok: %d DNAT records carry 127.0.0.1:7777" % len(recs))
PY
echo "PASS: $sent records, byte-identical on two runs; nfcapd stored all with NAT"
