#!/bin/bash
# --check and --enable-conntrack against the real kernel, in a fresh network
# namespace:
#  - no netfilter rules (conntrack tracks nothing): --check says so with the
#    command to run and exits 1 (flowtop and flowtopd); the TUI's empty
#    table shows the one-line hint instead of a bare "no flows yet";
#  - with a rule that uses conntrack: --check exits 0;
#  - without CAP_NET_ADMIN: --check names the capability and exits 1;
#  - --enable-conntrack with no rules: flows appear, and the nftables table
#    is gone after a normal exit, SIGTERM, a start-up error and SIGKILL.
set -uo pipefail
FLOWTOP=$(realpath "$1") FLOWTOPD=$(realpath "$2") NETNS_SH=$(realpath "$3")
source "$NETNS_SH"
netns_create || { echo "FAIL: cannot create a network namespace (needs root)"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# netns_create turns tracking on; this test wants a namespace without rules.
netns_exec nft delete table inet flowtop_test || fail "cannot remove the helper's table"
tables() { netns_exec nft list tables 2>&1; }
no_flowtop_table() {  # WHAT: the --enable-conntrack table is gone
  local t
  for _ in $(seq 50); do
    t=$(tables); grep -q flowtop_conntrack <<<"$t" || return 0; sleep 0.1
  done
  fail "nftables table left behind after $1: $t"
}

# 1. No rules: conntrack tracks nothing; --check says what to do, exit 1.
out=$(netns_exec "$FLOWTOP" --check -n 2>&1); rc=$?
[ $rc = 1 ] || fail "flowtop --check without tracking: exit $rc: $out"
grep -q "FAIL  conntrack       not tracking" <<<"$out" || fail "no conntrack FAIL line: $out"
grep -q "flowtop --enable-conntrack" <<<"$out" || fail "hint lacks --enable-conntrack: $out"
grep -q "nft add table inet conntrack_on" <<<"$out" || fail "hint lacks the nft command: $out"
grep -q "ok    capabilities" <<<"$out" || fail "root lacks capabilities? $out"
out=$(netns_exec "$FLOWTOPD" --check -n 2>&1); rc=$?
[ $rc = 1 ] || fail "flowtopd --check without tracking: exit $rc"
grep -q "flowtopd --enable-conntrack" <<<"$out" || fail "flowtopd hint: $out"
# The TUI's empty table carries the one-line hint.
out=$(netns_exec "$FLOWTOP" --batch --count 1 -n -G 2>&1); rc=$?
[ $rc = 0 ] || fail "flowtop --batch: exit $rc: $out"
grep -q "no flows yet: conntrack tracks nothing in this namespace" <<<"$out" ||
  fail "empty table without the hint: $out"
# The command the hint gives, run as given, turns tracking on.
cmd=$(netns_exec "$FLOWTOP" --check -n 2>&1 | grep -o "nft add table inet conntrack_on.*")
netns_exec sh -c "$cmd" || fail "the hint's command failed: $cmd"
out=$(netns_exec "$FLOWTOP" --check -n 2>&1); rc=$?
[ $rc = 0 ] || fail "flowtop --check with tracking: exit $rc: $out"
grep -q "ok    conntrack       tracking" <<<"$out" || fail "conntrack not ok with a rule: $out"
out=$(netns_exec "$FLOWTOP" --batch --count 1 -n -G 2>&1)
grep -q "no flows yet: conntrack" <<<"$out" && fail "hint shown although tracking is on: $out"

# 2. Without privileges: the capability is named, exit 1.
out=$(netns_exec setpriv --inh-caps=-all --bounding-set=-net_admin "$FLOWTOP" --check -n 2>&1); rc=$?
[ $rc = 1 ] || fail "unprivileged --check: exit $rc: $out"
grep -q "FAIL  capabilities" <<<"$out" || fail "unprivileged --check: $out"
grep -q "needs CAP_NET_ADMIN" <<<"$out" || fail "unprivileged hint: $out"
netns_exec nft delete table inet conntrack_on || fail "cannot remove the hint's table"

# 3. --enable-conntrack in a namespace with no rules: flows appear.
netns_spawn python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.recv(100); c.close()
'
netns_spawn python3 -c '
import socket, time
while True:
    try:
        c = socket.create_connection(("127.0.0.1", 8080)); c.sendall(b"x"); c.close()
    except OSError:
        pass
    time.sleep(0.1)
'
out=$(netns_exec "$FLOWTOP" --enable-conntrack --batch --count 4 -t 0.5 -n -G --filter 'dport 8080' 2>&1); rc=$?
[ $rc = 0 ] || fail "flowtop --enable-conntrack: exit $rc: $out"
grep -qE "127\.0\.0\.1 +8080" <<<"$out" || fail "no flow to port 8080 with --enable-conntrack: $out"
no_flowtop_table "a normal exit"

# flowtopd: the table while it runs; gone after SIGTERM.
start_flowtopd() {  # ARGS: starts flowtopd in the namespace; sets PID, OUT
  OUT=$(mktemp)
  netns_spawn "$FLOWTOPD" --enable-conntrack -n -G --no-process "$@" >"$OUT" 2>&1
  PID=$NETNS_LAST_PID
}
start_flowtopd --listen 127.0.0.1:0
for _ in $(seq 100); do grep -q "listening on" "$OUT" && break; sleep 0.1; done
grep -q "listening on" "$OUT" || fail "flowtopd did not start: $(cat "$OUT")"
grep -q "flowtop_conntrack_" <<<"$(tables)" || fail "no table while flowtopd runs: $(tables)"
kill -TERM "$PID"; wait "$PID" 2>/dev/null
grep -q "flowtopd: stopped" "$OUT" || fail "flowtopd did not stop cleanly: $(cat "$OUT")"
no_flowtop_table "SIGTERM"

# A start-up error after the table was made (the port is taken).
netns_spawn python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 9799)); s.listen(1); time.sleep(3600)'
sleep 0.3
start_flowtopd --listen 127.0.0.1:9799
wait "$PID" 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "flowtopd on a taken port: exit $rc: $(cat "$OUT")"
no_flowtop_table "a start-up error"

# SIGKILL: no handler runs; the kernel drops the table with its owner.
start_flowtopd --listen 127.0.0.1:0
for _ in $(seq 100); do grep -q "listening on" "$OUT" && break; sleep 0.1; done
grep -q "flowtop_conntrack_" <<<"$(tables)" || fail "no table before SIGKILL"
kill -KILL "$PID"; wait "$PID" 2>/dev/null
no_flowtop_table "SIGKILL"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "PASS: --check and --enable-conntrack in a namespace with and without tracking"
