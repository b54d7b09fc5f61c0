#!/usr/bin/env bash
# Real kernel end to end: the real flowtopd (KernelSource) in a fresh network
# namespace, real TCP traffic inside it, a gRPC client (inside too) that must
# see the flow's NEW, UPDATE and DESTROY; GetStatus shows the kernel figures;
# SIGTERM restores the sysctls flowtopd turned on.
set -uo pipefail
source tests/netns/netns.sh
FLOWTOPD=$PWD/service/flowtopd
PROBE=$PWD/tests/service/flowtop_probe
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/kernel-e2e.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }

netns_create || fail "no network namespace"
for tool in socat conntrack; do
  command -v $tool >/dev/null || fail "$tool is missing (apt-get install socat conntrack)"
done
acct_before=$($NETNS_EXEC cat /proc/sys/net/netfilter/nf_conntrack_acct)

# flowtopd inside the namespace; its first stdout line gives the port.
mkfifo "$WORK/out"
$NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name ns1 >"$WORK/out" 2>"$WORK/err" &
daemon=$!
NETNS_PIDS+=("$daemon")
exec 7<"$WORK/out"
read -r -t 30 -u 7 line || fail "flowtopd did not start: $(cat "$WORK/err")"
port=${line##*:}
cat <&7 >/dev/null &
echo "flowtopd listening on 127.0.0.1:$port in the namespace"

# A TCP server inside the namespace.
$NETNS_EXEC socat TCP-LISTEN:7777,reuseaddr,fork SYSTEM:'cat' &
NETNS_PIDS+=("$!")

# The watcher: follows flows on port 7777.
mkfifo "$WORK/watch"
$NETNS_EXEC "$PROBE" --connect 127.0.0.1:$port watch 7777 >"$WORK/watch" 2>"$WORK/watch.err" &
watcher=$!
exec 8<"$WORK/watch"
read -r -t 30 -u 8 first || fail "watcher did not start: $(cat "$WORK/watch.err")"
[ "$first" = STREAMING ] || fail "watcher said '$first'"

# Traffic: one TCP exchange (NEW, UPDATEs as the handshake and close go by),
# then the kernel forgets the flow (DESTROY).
reply=$(echo hello | $NETNS_EXEC socat -t 2 - TCP:127.0.0.1:7777)
[ "$reply" = hello ] || fail "no echo over TCP inside the namespace: '$reply'"
$NETNS_EXEC conntrack -D -p tcp --orig-port-dst 7777 >/dev/null 2>&1 \
  || fail "conntrack -D found no flow for port 7777"

lines=()
while read -r -t 30 -u 8 l; do
  lines+=("$l")
  echo "watcher: $l"
  [ "$l" = "OK NEW UPDATE DESTROY" ] && break
done
wait "$watcher"; rc=$?
[ $rc = 0 ] || fail "watcher did not see NEW, UPDATE and DESTROY: ${lines[*]} $(cat "$WORK/watch.err")"
printf '%s\n' "${lines[@]}" | grep -q '^NEW ns1/' || fail "flow ids do not carry the node name"

status=$($NETNS_EXEC "$PROBE" --connect 127.0.0.1:$port status)
[[ "$status" == "OK node=ns1 source=kernel"* ]] || fail "GetStatus: $status"
echo "status: $status"

kill -TERM "$daemon"; wait "$daemon"; rc=$?
[ $rc = 0 ] || fail "flowtopd exit code $rc after SIGTERM: $(cat "$WORK/err")"
acct_after=$($NETNS_EXEC cat /proc/sys/net/netfilter/nf_conntrack_acct)
[ "$acct_after" = "$acct_before" ] || fail "nf_conntrack_acct left at $acct_after (was $acct_before)"
echo "PASS: NEW/UPDATE/DESTROY over gRPC from the real kernel; sysctls restored"
