#!/usr/bin/env bash
# A real Prometheus scrapes the real flowtopd --metrics in a network
# namespace: `promtool check metrics` accepts the exposition, the scraped
# flow count equals GetStatus' flows, flows by protocol/state add up to it,
# and the kernel's conntrack statistics were read over netlink. Off
# loopback, --metrics follows the gRPC port's rules (refused without TLS or
# a token) and a token is enforced.
set -uo pipefail
source tests/netns/netns.sh
FLOWTOPD=$PWD/service/flowtopd
PROBE=$PWD/tests/exporters/export_probe
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/prometheus.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
for tool in prometheus promtool curl socat python3 conntrack bc; do
  command -v $tool >/dev/null || fail "$tool is missing: run tools/setup.sh --test"
done
netns_create || fail "no network namespace"

# Only UDP and ICMP flows are tracked (-U -I), so the scrapes' and gRPC
# calls' own TCP connections do not move the count between the two reads.
mkfifo "$WORK/out"
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name prom1 --no-enrich -U -I \
  --metrics 9464 >"$WORK/out" 2>"$WORK/err" &
daemon=$!
NETNS_PIDS+=("$daemon")
exec 7<"$WORK/out"
read -r -t 30 -u 7 line || fail "flowtopd did not start: $(cat "$WORK/err")"
port=${line##*:}
cat <&7 >/dev/null &

$NETNS_EXEC socat UDP-LISTEN:5353,reuseaddr,fork SYSTEM:'cat' &
NETNS_PIDS+=("$!")
sleep 0.3
for i in 1 2 3 4 5; do
  echo "q$i" | $NETNS_EXEC socat -t 0.5 - UDP:127.0.0.1:5353 >/dev/null
done
$NETNS_EXEC ping -c 1 -q 127.0.0.2 >/dev/null || fail "ping failed"

# Packets conntrack calls invalid (SYN|FIN|RST), so a kernel counter moves.
$NETNS_EXEC python3 - <<'PY' || fail "could not send the invalid TCP packets"
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for i in range(3):
    s.sendto(struct.pack("!HHIIBBHHH", 1000 + i, 7, 1, 0, 5 << 4, 0x07, 1024, 0, 0),
             ("127.0.0.1", 0))
PY
kernel_invalid=$($NETNS_EXEC conntrack -S | sed -n 's/.*invalid=\([0-9]*\).*/\1/p' | paste -sd+ | bc)

$NETNS_EXEC curl -sf http://127.0.0.1:9464/metrics >"$WORK/metrics.txt" || fail "GET /metrics failed"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1 \
  || fail "promtool check metrics: $(cat "$WORK/promtool.txt")"
grep -q '^flowtop_conntrack_stats_up 1$' "$WORK/metrics.txt" || fail "kernel statistics not read"
ours=$(sed -n 's/^flowtop_conntrack_invalid_total //p' "$WORK/metrics.txt")
echo "conntrack -S: invalid=$kernel_invalid; flowtop_conntrack_invalid_total=$ours"
[ "$kernel_invalid" -ge 3 ] || fail "conntrack -S counted $kernel_invalid invalid packets"
[ "$ours" = "$kernel_invalid" ] || fail "flowtop_conntrack_invalid_total=$ours, conntrack -S says $kernel_invalid"

cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: flowtopd
    static_configs:
      - targets: ['127.0.0.1:9464']
YML
$NETNS_EXEC prometheus --config.file="$WORK/prometheus.yml" \
  --storage.tsdb.path="$WORK/tsdb" --web.listen-address=127.0.0.1:9090 \
  >"$WORK/prometheus.log" 2>&1 &
NETNS_PIDS+=("$!")
query() {  # query PROMQL: prints the first sample's value, or nothing
  $NETNS_EXEC curl -sf --get --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
scraped=""
for _ in $(seq 60); do
  scraped=$(query 'flowtop_flows{job="flowtopd"}' 2>/dev/null)
  [ -n "$scraped" ] && break
  sleep 0.5
done
[ -n "$scraped" ] || fail "prometheus never scraped flowtopd: $(tail -5 "$WORK/prometheus.log")"
[ "$(query 'up{job="flowtopd"}')" = 1 ] || fail "prometheus reports the target down"
status=$($NETNS_EXEC "$PROBE" 127.0.0.1:$port status) || fail "GetStatus failed"
echo "prometheus: flowtop_flows=$scraped; GetStatus: $status"
[ "$status" = "flows=$scraped records=0 not_sent=0" ] || fail "scraped $scraped flows, GetStatus says $status"
[ "$scraped" -ge 6 ] || fail "expected at least 6 flows (5 UDP, 1 ICMP), scraped $scraped"
by_state=$(query 'sum(flowtop_flows_by_state{job="flowtopd"})')
[ "$by_state" = "$scraped" ] || fail "flows by state add up to $by_state, not $scraped"
kill -TERM "$daemon"; wait "$daemon" || fail "flowtopd exit $?: $(cat "$WORK/err")"

# Off loopback: refused without TLS or a token; with a token, enforced.
$NETNS_EXEC ip addr add 10.77.0.1/24 dev lo
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --no-enrich --metrics 10.77.0.1:9465 \
  >/dev/null 2>"$WORK/refused.err" && fail "flowtopd served metrics on 10.77.0.1 without TLS or token"
grep -q "refusing to listen on 10.77.0.1:9465" "$WORK/refused.err" || fail "refusal: $(cat "$WORK/refused.err")"
echo "tok-$$" >"$WORK/token"
mkfifo "$WORK/out2"
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --no-enrich --token-file "$WORK/token" \
  --metrics 10.77.0.1:9465 >"$WORK/out2" 2>"$WORK/err2" &
daemon=$!
NETNS_PIDS+=("$daemon")
exec 8<"$WORK/out2"
read -r -t 30 -u 8 line || fail "flowtopd with a token did not start: $(cat "$WORK/err2")"
code=$($NETNS_EXEC curl -s -o /dev/null -w '%{http_code}' http://10.77.0.1:9465/metrics)
[ "$code" = 401 ] || fail "no token: HTTP $code"
code=$($NETNS_EXEC curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer tok-$$" \
  http://10.77.0.1:9465/metrics)
[ "$code" = 200 ] || fail "with the token: HTTP $code"
kill -TERM "$daemon"; wait "$daemon"
echo "PASS: prometheus scraped flowtop_flows=$scraped = GetStatus; promtool accepts the metrics; exposure rules hold"
