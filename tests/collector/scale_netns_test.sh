#!/usr/bin/env bash
# Router scale against the real kernel: 100,000 UDP flows in a fresh network
# namespace. `flowtop --json --count 1` must print exactly the kernel's flows
# (the same set of tuples as `conntrack -L`, not just as many), and
# flowtopd's GetStatus must agree with `conntrack -C` once it has loaded.
# Among 100,000 flows about one pair shares a conntrack id (32-bit hashes):
# a path keyed by conntrack id alone loses one of them, silently.
#
# nf_conntrack_max is host-wide: raised only if too small, and restored on
# every exit path. The UDP timeout is the namespace's own.
set -uo pipefail
FLOWTOP=$PWD/tui/flowtop
FLOWTOPD=$PWD/service/flowtopd
PROBE=$PWD/tests/service/flowtop_probe
source tests/netns/netns.sh
N=${SCALE_FLOWS:-100000}
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/scale-netns.XXXXXX")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

MAX=/proc/sys/net/netfilter/nf_conntrack_max
max_before=""
restore() {
  [ -n "$max_before" ] && echo "$max_before" >"$MAX"
  netns_cleanup
  rm -rf "$WORK"
}
netns_create || { echo "FAIL: no network namespace (needs root)"; exit 1; }
# After netns_create, which sets its own EXIT trap (restore calls it too).
trap restore EXIT
trap 'exit 1' INT TERM HUP
command -v conntrack >/dev/null || { echo "FAIL: conntrack is missing (apt-get install conntrack)"; exit 1; }
if [ "$(cat $MAX)" -lt $((N + 50000)) ]; then
  max_before=$(cat $MAX)
  echo $((N + 50000)) >"$MAX"
fi
netns_exec sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
  net.netfilter.nf_conntrack_udp_timeout_stream=3600

# N flows: one datagram each to distinct (address, port) pairs.
netns_exec python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($N):
    s.sendto(b'x', ('127.%d.%d.%d' % (1 + (i >> 16), (i >> 8) & 255, 1 + (i & 127)), 1024 + i % 50000))
" || fail "the load generator failed"

# The kernel's flows as "src sport dst dport" lines.
kernel_flows() {
  netns_exec conntrack -L -p udp 2>/dev/null | awk '{
    s=""; d=""; sp=""; dp="";
    for (i = 1; i <= NF; i++) {
      if (s == "" && $i ~ /^src=/) s = substr($i, 5);
      else if (d == "" && $i ~ /^dst=/) d = substr($i, 5);
      else if (sp == "" && $i ~ /^sport=/) sp = substr($i, 7);
      else if (dp == "" && $i ~ /^dport=/) dp = substr($i, 7);
    }
    print s, sp, d, dp }' | sort
}
kernel_flows >"$WORK/kernel.before"
echo "kernel: $(wc -l <"$WORK/kernel.before") UDP flows"
[ "$(wc -l <"$WORK/kernel.before")" -ge "$N" ] || fail "the kernel holds fewer than $N flows"

# flowtop --json --count 1: the first snapshot, complete.
netns_exec "$FLOWTOP" -4 -U -n -G --json --count 1 >"$WORK/json" 2>"$WORK/json.err" \
  || fail "flowtop --json failed: $(tail -n 3 "$WORK/json.err")"
python3 - "$WORK/json" >"$WORK/ours" <<'PY' || fail "cannot read flowtop's JSON"
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)["original"]
    # Addresses are text in every JSON (docs/api.md).
    print(o["srcAddr"], o.get("srcPort", 0), o["dstAddr"], o.get("dstPort", 0))
PY
sort -o "$WORK/ours" "$WORK/ours"
kernel_flows >"$WORK/kernel.after"
echo "flowtop --json: $(wc -l <"$WORK/ours") flows"
# Idle flows: the kernel's table did not change during the run.
cmp -s "$WORK/kernel.before" "$WORK/kernel.after" || fail "the kernel's flows changed during the run"
if ! cmp -s "$WORK/kernel.before" "$WORK/ours"; then
  fail "flowtop --json differs from conntrack -L: missing $(comm -23 "$WORK/kernel.before" "$WORK/ours" | wc -l), extra $(comm -13 "$WORK/kernel.before" "$WORK/ours" | wc -l)"
  comm -3 "$WORK/kernel.before" "$WORK/ours" | head -n 5
fi

# flowtopd: GetStatus, once loaded, agrees with conntrack -C. --no-dns (as
# flowtop's -n above): PTR queries to a resolver on 127.0.0.53 would be flows
# of their own in this table.
mkfifo "$WORK/out"
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name scale --no-dns >"$WORK/out" 2>"$WORK/err" &
NETNS_PIDS+=("$!")
exec 7<"$WORK/out"
if read -r -t 60 -u 7 line; then
  port=${line##*:}
  cat <&7 >/dev/null &
  # The probes' gRPC connections to flowtopd are not tracked: otherwise each
  # probe adds a TCP flow whose event reaches flowtopd at its own moment, so
  # GetStatus and a later `conntrack -C` would count different tables. With
  # them untracked the table holds the idle UDP flows alone and both must
  # agree exactly. (Raw priority runs before conntrack; the namespace's own.)
  netns_exec nft -f - <<NFT || fail "cannot exempt flowtopd's port $port from conntrack"
table inet scale_notrack {
  chain pre { type filter hook prerouting priority raw; tcp dport $port notrack; tcp sport $port notrack; }
  chain out { type filter hook output priority raw; tcp dport $port notrack; tcp sport $port notrack; }
}
NFT
  status=""
  for _ in $(seq 600); do
    status=$($NETNS_EXEC "$PROBE" --connect "127.0.0.1:$port" status 2>/dev/null)
    case "$status" in *loading=0*) break ;; esac
    sleep 0.2
  done
  count=$(netns_exec conntrack -C)
  echo "flowtopd: $status; conntrack -C: $count"
  [ "$count" = "$(wc -l <"$WORK/kernel.before")" ] \
    || fail "conntrack -C says $count, not the $(wc -l <"$WORK/kernel.before") idle UDP flows (did the probes make flows?)"
  flows=$(sed -n 's/.* flows=\([0-9]*\).*/\1/p' <<<"$status")
  [ "$flows" = "$count" ] || fail "GetStatus flows=$flows, conntrack -C says $count"
  grep -q "conntrack_count=$count " <<<"$status" || fail "GetStatus conntrack_count differs from conntrack -C: $status"
else
  fail "flowtopd did not start: $(cat "$WORK/err")"
fi

[ $failures -eq 0 ] && echo PASS
exit $((failures > 0))
