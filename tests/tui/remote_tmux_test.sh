#!/bin/bash
# Remote mode end to end: two flowtopd (nodes r1 and r2) serve a network
# namespace where a client keeps a TCP connection; flowtop --connect watches
# both plus an endpoint where nothing listens. Checked without a terminal
# (--batch) and in tmux: node column, merge, disconnected endpoint, keys
# (filter, sort, TAB, help, quit), and an endpoint going away.
set -uo pipefail
FLOWTOP=$(realpath "$1") FLOWTOPD=$(realpath "$2") NETNS_SH=$(realpath "$3")
source "$NETNS_SH"
netns_create || { echo "FAIL: cannot create a network namespace (needs root)"; exit 1; }
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed"; exit 1; }
failures=0
TMP=$(mktemp -d /tmp/flowtop-remote.XXXXXX)
SOCK="$TMP/tmux"
T() { tmux -S "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"; netns_cleanup' EXIT
fail() {
  echo "FAIL: $*"; failures=$((failures + 1))
  T capture-pane -p -t t 2>/dev/null
  [ $failures -lt 5 ] || exit 1
}
# Polls capture-pane (tmux has no event for "the screen shows X").
expect_screen() {
  local deadline=$((SECONDS + 15))
  while [ $SECONDS -lt $deadline ]; do
    T capture-pane -p -t t | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  fail "screen never showed '$1' ($2)"
}
wait_port() {  # wait_port FILE: the port flowtopd printed for --listen :0
  local deadline=$((SECONDS + 15)) port
  while [ $SECONDS -lt $deadline ]; do
    port=$(grep -Eo '127\.0\.0\.1:[0-9]+' "$1" 2>/dev/null | head -1 | cut -d: -f2)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  echo "FAIL: flowtopd printed no port in $1:" >&2; cat "$1" >&2
  return 1
}

netns_exec sysctl -q -w net.netfilter.nf_conntrack_acct=1
cp "$(command -v python3)" "$TMP/ftclient"
netns_spawn python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080)); s.listen(8)
c, _ = s.accept()
while True:
    d = c.recv(65536)
    if not d: break
    c.sendall(d)
'
netns_spawn bash -c "exec $FLOWTOPD --listen 127.0.0.1:0 --node-name r1 >$TMP/r1.out 2>&1"
netns_spawn bash -c "exec $FLOWTOPD --listen 127.0.0.1:0 --node-name r2 >$TMP/r2.out 2>&1"
R2_PID=$NETNS_LAST_PID
P1=$(wait_port "$TMP/r1.out") || exit 1
P2=$(wait_port "$TMP/r2.out") || exit 1
sleep 0.3
netns_spawn "$TMP/ftclient" -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 8080))
while True:
    s.sendall(b"y" * 3000); s.recv(65536); time.sleep(0.1)
'

# --batch against one endpoint.
out=$(netns_exec "$FLOWTOP" --connect "127.0.0.1:$P1" --batch --count 3 -t 0.5 -n -G --filter 'dport 8080' 2>&1)
[ $? -eq 0 ] || fail "--batch --connect exit code: $out"
last=$(awk '/^flowtop /{frame=""} {frame=frame $0 "\n"} END{printf "%s", frame}' <<<"$out")
echo "$last"
grep -q "ESTABLISHED" <<<"$last" || fail "remote --batch lacks the flow"
grep -Eq "8080(/[^ ]*)? +[0-9.]+[kM]B" <<<"$last" || fail "remote --batch lacks the counters"

# The TUI over three endpoints, one of them dead.
T new-session -d -s t -x 160 -y 30 \
  "LANG=C.UTF-8 TERM=screen $NETNS_EXEC $FLOWTOP --connect 127.0.0.1:$P1,127.0.0.1:$P2 --connect 127.0.0.1:1 -n -G; echo EXITED rc=\$?; sleep 30"
expect_screen "3 endpoints" "title"
expect_screen "NODE" "node column with several endpoints"
expect_screen "2/3 connected" "two endpoints up"
# It says why (it used to say only "not connected yet (retrying)").
expect_screen "127.0.0.1:1 disconnected: failed to connect to all addresses" "the dead endpoint is named with why"
expect_screen "r1 " "flows of r1"
expect_screen "r2 " "flows of r2"
expect_screen "8080" "the flow to the server"
T send-keys -t t / C-u 'node r2 and dport 8080' Enter
expect_screen "filter: node r2 and dport 8080" "filter on a node"
screen=$(T capture-pane -p -t t)
grep -q "^r1 " <<<"$screen" && fail "r1 rows shown under 'node r2'"
T send-keys -t t '<' '<' '<'
expect_screen "sort ADDRESS asc" "< moves across the columns (RATE, BYTES, PORT, ADDRESS)"
expect_screen "ADDRESS^" "sort mark"
T send-keys -t t Tab
expect_screen "Processes" "TAB"
T send-keys -t t Tab '?'
expect_screen "press q, Esc or ? to return" "help"
T send-keys -t t q
# r2 goes away: the status line says so, r1 keeps working.
kill "$R2_PID"
expect_screen "1/3 connected" "r2 lost"
T send-keys -t t q
expect_screen "EXITED rc=0" "q quits"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "remote checks passed"
