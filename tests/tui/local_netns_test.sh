#!/bin/bash
# Local mode against the real kernel: in a fresh network namespace a client
# process keeps a TCP connection to a server; flowtop (local mode, --batch)
# must list the flow with the client's process name and its traffic, and
# the same in the interactive view inside tmux.
set -uo pipefail
FLOWTOP=$(realpath "$1") NETNS_SH=$(realpath "$2")
source "$NETNS_SH"
netns_create || { echo "FAIL: cannot create a network namespace (needs root)"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

TMP=$(mktemp -d /tmp/flowtop-local.XXXXXX)
trap 'rm -rf "$TMP"; netns_cleanup' EXIT
# Accounting on before the flow starts (it applies to new flows only).
netns_exec sysctl -q -w net.netfilter.nf_conntrack_acct=1 || fail "cannot enable nf_conntrack_acct"
# A client binary with a name of its own, so attribution is unambiguous.
cp "$(command -v python3)" "$TMP/ftclient"
netns_spawn python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080)); s.listen(8)
c, _ = s.accept()
while True:
    data = c.recv(65536)
    if not data: break
    c.sendall(data * 2)
'
sleep 0.3  # the listener binds; a failed connect below would say so anyway
netns_spawn "$TMP/ftclient" -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 8080))
while True:
    s.sendall(b"x" * 5000); s.recv(65536); time.sleep(0.1)
'

out=$(netns_exec "$FLOWTOP" --batch --count 3 -t 0.5 --filter 'dport 8080' -n -G 2>&1)
rc=$?
[ $rc -eq 0 ] || fail "flowtop --batch exit code $rc: $out"
last=$(awk '/^flowtop /{frame=""} {frame=frame $0 "\n"} END{printf "%s", frame}' <<<"$out")
echo "$last"
grep -q "ftclient" <<<"$last" || fail "the client process is not shown"
grep -q "ESTABLISHED" <<<"$last" || fail "the TCP state is not shown"
grep -q "127.0.0.1" <<<"$last" || fail "the numeric address is not shown (-n)"
grep -Eq "flows 1/" <<<"$last" || fail "the filter should keep exactly the one flow"
grep -Eq "[0-9.]+[kM]B +[0-9.]+[kM]?B/s" <<<"$last" || fail "no bytes and rate shown"

# JSON: the process and counters are there.
json=$(netns_exec "$FLOWTOP" --json --count 2 -t 0.5 --filter 'dport 8080' -n -G 2>/dev/null | tail -1)
grep -q '"name":"ftclient"' <<<"$json" || fail "--json lacks the process: $json"
grep -q '"dstPort":8080' <<<"$json" || fail "--json lacks the port: $json"
grep -q '"bytes":"[1-9]' <<<"$json" || fail "--json has no byte counters: $json"

# The sysctl notice belongs on stderr, once, not inside the frame on stdout
# (--batch used to print it as a line of every frame).
# Both switched off: whether the flowtops above left acct on depends on
# which of them exited last (the last one restores what it turned on).
netns_exec sysctl -q -w net.netfilter.nf_conntrack_acct=0 || fail "cannot reset nf_conntrack_acct"
netns_exec sysctl -q -w net.netfilter.nf_conntrack_timestamp=0 || fail "cannot reset nf_conntrack_timestamp"
netns_exec "$FLOWTOP" --batch --count 2 -t 0.3 -n -G >"$TMP/notice.out" 2>"$TMP/notice.err"
if grep -q "turned on" "$TMP/notice.out"; then
  fail "--batch prints the sysctl notice on stdout: $(grep "turned on" "$TMP/notice.out" | head -2)"
fi
n=$(grep -c "^flowtop: turned on net.netfilter.nf_conntrack_acct and net.netfilter.nf_conntrack_timestamp" "$TMP/notice.err")
[ "$n" = 1 ] || fail "--batch: the sysctl notice is on stderr $n times (want 1): $(cat "$TMP/notice.err")"

# The interactive view in a real terminal, inside the namespace.
if command -v tmux >/dev/null; then
  SOCK="$TMP/tmux"
  tmux -S "$SOCK" new-session -d -s t -x 140 -y 30 \
    "LANG=C.UTF-8 TERM=screen $NETNS_EXEC $FLOWTOP -n -G; sleep 30"
  seen=0
  for _ in $(seq 100); do
    tmux -S "$SOCK" capture-pane -p -t t | grep -q "ftclient" && { seen=1; break; }
    sleep 0.1
  done
  [ $seen -eq 1 ] || { fail "the interactive view never showed ftclient"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t q
  tmux -S "$SOCK" kill-server
else
  fail "tmux is not installed"
fi

# Record the namespace for two seconds, then show the recording: batch
# (ends with the recording) and the interactive view (flowtop replay FILE).
# The replay checks below need a recording that spans a second or more.
# Idle or steady flows send nothing but rate samples, whose first one the
# CPU budget may delay (collector/rate_schedule), so a connection made 3 s
# into a 4 s recording gives it a late event whatever the samples do.
( sleep 3; netns_exec python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8080)).close()' ) &
late=$!
netns_exec "$FLOWTOP" record -o "$TMP/rec.ftr" --duration 4s -q || fail "flowtop record failed"
wait "$late" || fail "the late connection during the recording failed"
out=$("$FLOWTOP" --replay "$TMP/rec.ftr" --batch -t 0.5 -n -G --filter 'dport 8080' 2>&1)
rc=$?
[ $rc -eq 0 ] || fail "--replay --batch exit code $rc: $out"
grep -q "replay: rec.ftr" <<<"$out" || fail "--replay title: $out"
grep -q "ESTABLISHED" <<<"$out" || fail "--replay shows no flow: $out"
if command -v tmux >/dev/null; then
  SOCK="$TMP/tmux2"
  tmux -S "$SOCK" new-session -d -s t -x 140 -y 30 \
    "LANG=C.UTF-8 TERM=screen $FLOWTOP replay $TMP/rec.ftr -n; echo EXITED rc=\$?; sleep 30"
  seen=0
  for _ in $(seq 100); do
    tmux -S "$SOCK" capture-pane -p -t t | grep -q "8080" && { seen=1; break; }
    sleep 0.1
  done
  [ $seen -eq 1 ] || { fail "flowtop replay FILE never showed the flow"; tmux -S "$SOCK" capture-pane -p -t t; }
  # Time travel: the status line shows "replay POS / LENGTH  xSPEED [PAUSED]".
  status_matches() {  # status_matches ERE: polls the screen for it
    for _ in $(seq 50); do
      tmux -S "$SOCK" capture-pane -p -t t | grep -qE -- "$1" && return 0
      sleep 0.1
    done
    return 1
  }
  status_matches "replay 00:00:0[0-9] / 00:00:0[1-9]  x1" \
    || { fail "no replay position in the status line"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t ' ' g
  status_matches "replay 00:00:00 / 00:00:0[1-9]  x1  PAUSED" \
    || { fail "space g did not pause at the start"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t ']' +
  status_matches "replay (00:00:0[1-9]) / \\1  x2  PAUSED" \
    || { fail "] + did not seek to the end at x2"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t g
  status_matches "replay 00:00:00 / 00:00:0[1-9]  x2  PAUSED" \
    || { fail "g did not go back to the start"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t t
  status_matches "seek to \\(" \
    || { fail "t opened no seek prompt"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t '100%' Enter
  status_matches "replay (00:00:0[1-9]) / \\1  x2  PAUSED" \
    || { fail "t 100% did not seek to the end"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t '?'
  status_matches "seek 10 s back / forward" \
    || { fail "the help does not list the replay keys"; tmux -S "$SOCK" capture-pane -p -t t; }
  tmux -S "$SOCK" send-keys -t t q
  tmux -S "$SOCK" send-keys -t t q
  for _ in $(seq 50); do
    tmux -S "$SOCK" capture-pane -p -t t | grep -q "EXITED rc=0" && break
    sleep 0.1
  done
  tmux -S "$SOCK" capture-pane -p -t t | grep -q "EXITED rc=0" || fail "q did not end the replay view with 0"
  tmux -S "$SOCK" kill-server
fi

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "local mode checks passed"
