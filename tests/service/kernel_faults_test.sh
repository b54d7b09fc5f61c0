#!/usr/bin/env bash
# The real flowtopd over the real kernel in a network namespace, under
# faults: a listener that cannot start must give its sysctls back (it used
# to segfault and leave them on), and two instances must not turn the
# counters off under each other (the last one to stop restores them).
set -uo pipefail
source tests/netns/netns.sh
FLOWTOPD=$PWD/service/flowtopd
PROBE=$PWD/tests/service/flowtop_probe
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/kernel-faults.XXXXXX")
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
die() { echo "FAIL: $*"; exit 1; }

netns_create || die "no network namespace"
sysctls() {
  $NETNS_EXEC cat /proc/sys/net/netfilter/nf_conntrack_acct \
    /proc/sys/net/netfilter/nf_conntrack_timestamp | tr '\n' ' '
}
$NETNS_EXEC sh -c 'echo 0 >/proc/sys/net/netfilter/nf_conntrack_acct;
  echo 0 >/proc/sys/net/netfilter/nf_conntrack_timestamp' || die "cannot set sysctls"
[ "$(sysctls)" = "0 0 " ] || die "sysctls are not 0 0: $(sysctls)"

# start NAME ARGS: flowtopd in the namespace; sets PID and PORT.
start() {
  local name=$1; shift
  mkfifo "$WORK/$name.out"
  $NETNS_EXEC "$FLOWTOPD" --no-enrich "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PID=$!
  NETNS_PIDS+=("$PID")
  exec 7<"$WORK/$name.out"
  local line
  read -r -t 30 -u 7 line || { exec 7<&-; return 1; }
  PORT=${line##*:}
  cat <&7 >/dev/null &
  exec 7<&-
}

# 1. The port is taken inside the namespace: exit 1, one line, sysctls back.
start holder --listen 127.0.0.1:0 || die "first flowtopd did not start: $(cat "$WORK/holder.err")"
holder=$PID
held=$PORT
[ "$(sysctls)" = "1 1 " ] || fail "flowtopd did not turn the sysctls on: $(sysctls)"
grep -q "turned on net.netfilter.nf_conntrack_acct and net.netfilter.nf_conntrack_timestamp" \
  "$WORK/holder.err" && pass "notice names both sysctls" \
  || fail "notice: $(cat "$WORK/holder.err")"
grep -q "^flowtopd: turned on" "$WORK/holder.err" \
  && pass "the notice starts with flowtopd:" || fail "notice prefix: $(cat "$WORK/holder.err")"
kill -TERM "$holder"; wait "$holder"
[ "$(sysctls)" = "0 0 " ] || fail "SIGTERM left the sysctls at $(sysctls)"

python_hold() {  # keeps 127.0.0.1:PORT busy in the namespace
  $NETNS_EXEC python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("held", flush=True); time.sleep(60)' "$1"
}
exec 5< <(python_hold "$held")
read -r -u 5 ready
$NETNS_EXEC timeout 30 "$FLOWTOPD" --no-enrich --listen "127.0.0.1:$held" \
  >"$WORK/busy.out" 2>"$WORK/busy.err"
rc=$?
[ $rc = 1 ] && pass "port in use: exit 1" || fail "port in use: exit $rc: $(cat "$WORK/busy.err")"
grep -q "cannot listen on 127.0.0.1:$held: address in use" "$WORK/busy.err" \
  && pass "port in use: says so" || fail "port in use: $(cat "$WORK/busy.err")"
[ "$(sysctls)" = "0 0 " ] && pass "port in use: sysctls restored" \
  || fail "port in use: sysctls left at $(sysctls)"

# 2. Two instances. Only timestamp is off: the notice names only it.
$NETNS_EXEC sh -c 'echo 1 >/proc/sys/net/netfilter/nf_conntrack_acct'
start a --listen 127.0.0.1:0 || die "flowtopd a did not start: $(cat "$WORK/a.err")"
a=$PID
grep -q "turned on net.netfilter.nf_conntrack_timestamp (" "$WORK/a.err" \
  && pass "notice names only the sysctl that was off" \
  || fail "notice with acct already on: $(cat "$WORK/a.err")"
$NETNS_EXEC sh -c 'echo 0 >/proc/sys/net/netfilter/nf_conntrack_acct'
kill -TERM "$a"; wait "$a"
[ "$(sysctls)" = "0 0 " ] || fail "after a: $(sysctls)"

start a --listen 127.0.0.1:0 || die "flowtopd a did not start: $(cat "$WORK/a.err")"
a=$PID
start b --listen 127.0.0.1:0 || die "flowtopd b did not start: $(cat "$WORK/b.err")"
b=$PID
b_port=$PORT
[ "$(sysctls)" = "1 1 " ] || fail "two instances: $(sysctls)"
kill -TERM "$a"; wait "$a"
[ "$(sysctls)" = "1 1 " ] && pass "stopping the instance that turned them on keeps them for the other" \
  || fail "stopping a turned the sysctls off under b: $(sysctls)"
status=$($NETNS_EXEC "$PROBE" --connect "127.0.0.1:$b_port" status)
[[ "$status" == "OK "* ]] || fail "b after a stopped: $status"
kill -TERM "$b"; wait "$b"
[ "$(sysctls)" = "0 0 " ] && pass "the last instance restores them" \
  || fail "after the last instance: $(sysctls)"

# A killed instance (no restore) leaves them on; the next last one restores.
start k --listen 127.0.0.1:0 || die "flowtopd k did not start"
kill -KILL "$PID"; wait "$PID" 2>/dev/null
[ "$(sysctls)" = "1 1 " ] || fail "after SIGKILL: $(sysctls)"
start n --listen 127.0.0.1:0 || die "flowtopd n did not start"
kill -TERM "$PID"; wait "$PID"
[ "$(sysctls)" = "0 0 " ] && pass "a killed instance's change is restored by the next" \
  || fail "after a SIGKILL and another run: $(sysctls)"

echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
