#!/bin/bash
# The TUI's empty table in a namespace where conntrack tracks nothing (no
# firewall rules), in a real terminal (tmux): the screen says why and what
# to do (the one-line form of --check's hint) instead of a bare "no flows
# yet"; once tracking is turned on (the hint's own nft command, run while
# flowtop keeps running) and a connection is made, the flow is shown and the
# hint is gone.
set -uo pipefail
FLOWTOP=$(realpath "$1") NETNS_SH=$(realpath "$2")
source "$NETNS_SH"
netns_create || { echo "FAIL: cannot create a network namespace (needs root)"; exit 1; }
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

TMP=$(mktemp -d /tmp/flowtop-hint.XXXXXX)
SOCK="$TMP/tmux"
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; rm -rf "$TMP"; netns_cleanup' EXIT
# netns_create turns tracking on; this test wants a namespace without rules.
netns_exec nft delete table inet flowtop_test || fail "cannot remove the helper's table"

screen() { tmux -S "$SOCK" capture-pane -p -t t; }
# await WHAT TEST: polls the screen until TEST (a function of the screen
# text) holds; the deadline is generous, the machine may be loaded.
await() {
  local what=$1 test=$2
  for _ in $(seq 600); do
    $test "$(screen)" && return 0
    sleep 0.1
  done
  fail "$what; the screen:"
  screen
  return 1
}
shows_hint() { grep -q "no flows yet: conntrack tracks nothing in this namespace" <<<"$1" &&
  grep -q "restart with 'flowtop --enable-conntrack'" <<<"$1"; }
shows_flow_without_hint() { grep -qE "127\.0\.0\.1 +8080" <<<"$1" &&
  ! grep -q "no flows yet" <<<"$1"; }

# A wide terminal: the hint is one line of about 150 columns.
tmux -S "$SOCK" new-session -d -s t -x 200 -y 30 \
  "LANG=C.UTF-8 TERM=screen $NETNS_EXEC $FLOWTOP -n -G -t 0.5; echo EXITED rc=\$?; sleep 60"
await "the empty table never showed the conntrack hint" shows_hint

# Tracking on, as the hint's --check gives it, while flowtop runs; then a
# connection that stays open.
cmd=$(netns_exec "$FLOWTOP" --check -n 2>&1 | grep -o "nft add table inet conntrack_on.*")
[ -n "$cmd" ] || fail "--check gave no nft command"
netns_exec sh -c "$cmd" || fail "the hint's command failed: $cmd"
netns_spawn python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080)); s.listen(8)
c, _ = s.accept(); time.sleep(3600)
'
netns_spawn python3 -c '
import socket, time
for _ in range(600):
    try:
        s = socket.create_connection(("127.0.0.1", 8080)); break
    except OSError:
        time.sleep(0.1)
time.sleep(3600)
'
await "the flow never replaced the hint" shows_flow_without_hint

tmux -S "$SOCK" send-keys -t t q
exited() { grep -q "EXITED rc=0" <<<"$1"; }
await "q did not end flowtop with status 0" exited

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "PASS: the empty table names the conntrack hint, and the flow replaces it"
