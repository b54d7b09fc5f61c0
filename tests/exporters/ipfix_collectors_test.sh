#!/usr/bin/env bash
# The real flowtopd exports IPFIX to real collectors, all inside a fresh
# network namespace with a DNAT rule and real traffic:
#   - nfdump's nfcapd stores it; `nfdump -o json` shows the same flows,
#     packets, bytes and NAT addresses as flowtopd's ListFlows;
#   - pmacct's nfacctd accepts the same stream (its print plugin writes the
#     flows with the same packet counts);
#   - tshark decodes every captured message with no malformed-packet or
#     warning-level expert info;
#   - GetStatus counts the records sent and none lost.
set -uo pipefail
source tests/netns/netns.sh
FLOWTOPD=$PWD/service/flowtopd
PROBE=$PWD/tests/exporters/export_probe
COMPARE=$PWD/tests/exporters/compare_nfdump.py
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/ipfix-collectors.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }

for tool in nfcapd nfdump nfacctd tshark socat conntrack python3 ping; do
  command -v $tool >/dev/null || fail "$tool is missing: run tools/setup.sh --test"
done
netns_create || fail "no network namespace"
NFCAPD_PORT=4739 NFACCTD_PORT=4740

# DNAT: 127.0.0.2:8080 is really 127.0.0.1:7777.
$NETNS_EXEC nft -f - <<'NFT' || fail "could not add the DNAT rule"
table ip nat_test {
  chain output { type nat hook output priority -100; tcp dport 8080 dnat to 127.0.0.1:7777; }
}
NFT

mkdir -p "$WORK/nfcapd"
$NETNS_EXEC nfcapd -w "$WORK/nfcapd" -b 127.0.0.1 -p $NFCAPD_PORT -t 3600 \
  >"$WORK/nfcapd.log" 2>&1 &
nfcapd_pid=$!
NETNS_PIDS+=("$nfcapd_pid")
cat >"$WORK/nfacctd.conf" <<CONF
nfacctd_ip: 127.0.0.1
nfacctd_port: $NFACCTD_PORT
plugins: print
aggregate: src_host, dst_host, src_port, dst_port, proto
print_output: csv
print_output_file: $WORK/nfacctd.csv
print_refresh_time: 1
print_output_file_append: true
CONF
$NETNS_EXEC nfacctd -f "$WORK/nfacctd.conf" >"$WORK/nfacctd.log" 2>&1 &
nfacctd_pid=$!
NETNS_PIDS+=("$nfacctd_pid")
# tshark on the namespace's loopback, the nfcapd port only.
$NETNS_EXEC tshark -i lo -f "udp port $NFCAPD_PORT" -w "$WORK/ipfix.pcap" \
  >"$WORK/tshark.log" 2>&1 &
tshark_pid=$!
NETNS_PIDS+=("$tshark_pid")
for _ in $(seq 100); do
  grep -q "Capturing on" "$WORK/tshark.log" && break
  sleep 0.1
done
grep -q "Capturing on" "$WORK/tshark.log" || fail "tshark did not start: $(cat "$WORK/tshark.log")"

mkfifo "$WORK/out"
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name ns1 --no-enrich \
  --ipfix 127.0.0.1:$NFCAPD_PORT --ipfix 127.0.0.1:$NFACCTD_PORT \
  >"$WORK/out" 2>"$WORK/err" &
daemon=$!
NETNS_PIDS+=("$daemon")
exec 7<"$WORK/out"
read -r -t 30 -u 7 line || fail "flowtopd did not start: $(cat "$WORK/err")"
port=${line##*:}
cat <&7 >/dev/null &

# Traffic: TCP through the DNAT with different sizes, UDP, ICMP.
$NETNS_EXEC socat TCP-LISTEN:7777,reuseaddr,fork SYSTEM:'cat' &
NETNS_PIDS+=("$!")
$NETNS_EXEC socat UDP-LISTEN:5353,reuseaddr,fork SYSTEM:'cat' &
NETNS_PIDS+=("$!")
sleep 0.3
for size in 100 5000 70000; do
  got=$(head -c $size /dev/zero | tr '\0' x | $NETNS_EXEC socat -t 2 - TCP:127.0.0.2:8080 | wc -c)
  [ "$got" = $size ] || fail "DNAT echo of $size bytes gave $got"
done
echo ping | $NETNS_EXEC socat -t 1 - UDP:127.0.0.1:5353 >/dev/null
$NETNS_EXEC ping -c 2 -i 0.2 -q 127.0.0.3 >/dev/null || fail "ping in the namespace failed"
# Let the counters settle (the acct counters reach flowtopd each --interval).
sleep 2.5
$NETNS_EXEC "$PROBE" 127.0.0.1:$port flows >"$WORK/flows.txt" || fail "ListFlows failed"
echo "ListFlows:"; cat "$WORK/flows.txt"
grep -c ' 8080 ' "$WORK/flows.txt" | grep -qx 3 || fail "ListFlows does not show the 3 DNAT flows"
# Nothing has ended yet, so nothing is exported and nothing lost.
status=$($NETNS_EXEC "$PROBE" 127.0.0.1:$port status) || fail "GetStatus failed"
echo "GetStatus: $status"
[[ "$status" == *" not_sent=0" ]] || fail "GetStatus reports export loss: $status"

# A clean stop exports every live flow; then the collectors write out.
kill -TERM "$daemon"; wait "$daemon"; rc=$?
[ $rc = 0 ] || fail "flowtopd exit $rc: $(cat "$WORK/err")"
sleep 2.5  # nfacctd's print plugin writes every second
kill -TERM "$nfcapd_pid" "$nfacctd_pid" "$tshark_pid"
wait "$nfcapd_pid" "$tshark_pid" 2>/dev/null
sleep 1

grep -q "Sequence Errors: 0" "$WORK/nfcapd.log" || fail "nfcapd: $(cat "$WORK/nfcapd.log")"
nfdump -R "$WORK/nfcapd" -o json >"$WORK/nfdump.json" 2>"$WORK/nfdump.err" \
  || fail "nfdump -R failed: $(cat "$WORK/nfdump.err")"
python3 "$COMPARE" "$WORK/flows.txt" "$WORK/nfdump.json" "$WORK/nfacctd.csv" \
  || fail "the collectors do not show what ListFlows showed"

tshark -r "$WORK/ipfix.pcap" -d udp.port==$NFCAPD_PORT,cflow -V >"$WORK/tshark.txt" 2>&1 \
  || fail "tshark could not read the capture"
messages=$(grep -c "Version: 10" "$WORK/tshark.txt")
[ "$messages" -ge 2 ] || fail "tshark saw $messages IPFIX messages"
if grep -iE "malformed|\[Expert Info \((Warning|Error)" "$WORK/tshark.txt"; then
  fail "tshark reports malformed IPFIX (see above)"
fi
grep -q "Post NAT Destination IPv4 Address: 127.0.0.1" "$WORK/tshark.txt" \
  || fail "tshark decodes no postNATDestinationIPv4Address"
grep -q "Not Sent Flows: 0" "$WORK/tshark.txt" \
  || fail "tshark decodes no reliability record"
echo "PASS: nfcapd/nfdump and nfacctd show ListFlows' flows, NAT and counts; tshark decodes $messages messages cleanly"
