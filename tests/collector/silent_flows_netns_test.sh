#!/usr/bin/env bash
# Flows the kernel sends no events for, against the real kernel. A flow gets
# conntrack's event extension only if events were on for it when it began
# (nf_conntrack_events=2, the default, turns them on only while some process
# on the host listens): a router's flows from before flowtop started may
# never have an UPDATE or a DESTROY. Flows made here while the namespace's
# nf_conntrack_events is 0 are such flows whoever listens later (other tests
# on the host included). flowtopd starts after them; then they are deleted
# (conntrack -D: no event either), and GetStatus must come down to
# conntrack -C: the rate dumps find them gone.
set -uo pipefail
FLOWTOPD=$PWD/service/flowtopd
PROBE=$PWD/tests/service/flowtop_probe
source tests/netns/netns.sh
N=40
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/silent-netns.XXXXXX")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
restore() {
  netns_cleanup
  rm -rf "$WORK"
}
netns_create || { echo "FAIL: no network namespace (needs root)"; exit 1; }
trap restore EXIT
trap 'exit 1' INT TERM HUP
command -v conntrack >/dev/null || { echo "FAIL: conntrack is missing (apt-get install conntrack)"; exit 1; }

netns_exec sysctl -qw net.netfilter.nf_conntrack_events=0 \
  net.netfilter.nf_conntrack_udp_timeout=3600 \
  net.netfilter.nf_conntrack_udp_timeout_stream=3600 || fail "cannot set the namespace's sysctls"
netns_exec python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($N):
    s.sendto(b'x', ('127.0.0.1', 30000 + i))
" || fail "the load generator failed"
netns_exec sysctl -qw net.netfilter.nf_conntrack_events=1
[ "$(netns_exec conntrack -C)" = "$N" ] || fail "the kernel holds $(netns_exec conntrack -C) flows, not $N"

# GetStatus "flows=F conntrack_count=C" once loaded; the probes' own gRPC
# connections are not tracked (see scale_netns_test.sh), so both count the
# UDP flows alone.
mkfifo "$WORK/out"
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name silent --no-dns -G --no-bpf >"$WORK/out" 2>"$WORK/err" &
NETNS_PIDS+=("$!")
exec 7<"$WORK/out"
if ! read -r -t 60 -u 7 line; then
  echo "FAIL: flowtopd did not start: $(cat "$WORK/err")"
  exit 1
fi
port=${line##*:}
cat <&7 >/dev/null &
netns_exec nft -f - <<NFT || fail "cannot exempt flowtopd's port $port from conntrack"
table inet silent_notrack {
  chain pre { type filter hook prerouting priority raw; tcp dport $port notrack; tcp sport $port notrack; }
  chain out { type filter hook output priority raw; tcp dport $port notrack; tcp sport $port notrack; }
}
NFT
status() { $NETNS_EXEC "$PROBE" --connect "127.0.0.1:$port" status 2>/dev/null; }
flows_of() { sed -n 's/.* flows=\([0-9]*\).*/\1/p' <<<"$1"; }
# Loaded: not loading, and the flows there (a GetStatus before the initial
# dump began says loading=0 too).
s=""
for _ in $(seq 300); do
  s=$(status)
  case "$s" in *loading=0*) [ "$(flows_of "$s")" -ge "$N" ] 2>/dev/null && break ;; esac
  sleep 0.2
done
echo "loaded: $s"
[ "$(flows_of "$s")" = "$N" ] || fail "flowtopd shows $(flows_of "$s") flows after loading, not the kernel's $N"

# The kernel forgets them without a word.
netns_exec conntrack -D -p udp >/dev/null 2>&1
count=$(netns_exec conntrack -C)
[ "$count" = 0 ] || fail "conntrack -D left $count flows"
for _ in $(seq 100); do
  s=$(status)
  [ "$(flows_of "$s")" = "$count" ] && break
  sleep 0.2
done
echo "after conntrack -D: $s; conntrack -C: $count"
[ "$(flows_of "$s")" = "$count" ] \
  || fail "flowtopd still shows $(flows_of "$s") flows 20 s after the kernel dropped them (it has $count)"

[ $failures -eq 0 ] && echo PASS
exit $((failures > 0))
