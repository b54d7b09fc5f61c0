#!/bin/bash
# flowtop record against the real kernel in a network namespace:
#   --count stops after N events; SIGINT and SIGTERM flush and close the
#   file cleanly (exit 0); SIGKILL leaves a file that reads back; -I keeps
#   only ICMP flows.
set -u
TOOL="$(readlink -f "$1")"
source tests/netns/netns.sh
netns_create || { echo "FAIL: no network namespace"; exit 1; }
DIR="${TEST_TMPDIR:-$(mktemp -d)}"
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

# Steady traffic for the whole test: new ICMP flows (each ping has its own
# id) and new UDP flows (each socat its own port).
netns_spawn sh -c 'while :; do ping -q -c 1 -W 1 127.0.0.1 >/dev/null; sleep 0.3; done'
netns_spawn sh -c 'while :; do echo x | socat -t 0.1 - UDP4:127.0.0.1:9 2>/dev/null; sleep 0.3; done'

# --count: a deterministic stop.
netns_exec "$TOOL" record -o "$DIR/count.ftr" --count 20 -q 2>"$DIR/count.err" ||
  fail "record --count: $(cat "$DIR/count.err")"
"$TOOL" replay "$DIR/count.ftr" --json >"$DIR/count.json" 2>"$DIR/count.jerr" ||
  fail "count.ftr: $(cat "$DIR/count.jerr")"
[ "$(wc -l <"$DIR/count.json")" = 20 ] || fail "count.ftr has $(wc -l <"$DIR/count.json") events"
grep -q '"protocol":"ICMP"' "$DIR/count.json" || fail "count.ftr: no ICMP flow recorded"
"$TOOL" replay "$DIR/count.ftr" --info | grep -q "source          kernel" || fail "count.ftr: source is not kernel"

# SIGINT and SIGTERM: clean flush and close, exit 0.
for sig in INT TERM; do
  netns_exec timeout --preserve-status -s "$sig" 3 "$TOOL" record -o "$DIR/$sig.ftr" 2>"$DIR/$sig.err"
  rc=$?
  [ "$rc" = 0 ] || fail "SIG$sig: exit $rc: $(cat "$DIR/$sig.err")"
  grep -q "flowtop record: .*(SIG$sig); [0-9]* events in" "$DIR/$sig.err" || fail "SIG$sig: $(cat "$DIR/$sig.err")"
  "$TOOL" replay "$DIR/$sig.ftr" --json >"$DIR/$sig.json" 2>"$DIR/$sig.jerr" ||
    fail "SIG$sig: the file does not read back: $(cat "$DIR/$sig.jerr")"
  [ -s "$DIR/$sig.jerr" ] && fail "SIG$sig: damage after a clean stop: $(cat "$DIR/$sig.jerr")"
  n=$(grep -c '"type":"NEW"\|"type":"SNAPSHOT"' "$DIR/$sig.json")
  [ "$n" -gt 0 ] || fail "SIG$sig: no flows recorded"
done

# SIGKILL: no chance to flush; every block written before reads back.
netns_exec timeout --preserve-status -s KILL 3 "$TOOL" record -o "$DIR/kill.ftr" -z 2>"$DIR/kill.err"
rc=$?
[ "$rc" = 137 ] || fail "SIGKILL: exit $rc, expected 137"
"$TOOL" replay "$DIR/kill.ftr" --json >"$DIR/kill.json" 2>"$DIR/kill.jerr"
rc=$?
[ "$rc" = 0 ] || fail "SIGKILL: replay exit $rc: $(cat "$DIR/kill.jerr")"
[ "$(wc -l <"$DIR/kill.json")" -gt 0 ] || fail "SIGKILL: nothing recovered"

# -I: only ICMP flows (the UDP traffic is filtered out, in the kernel dump too).
netns_exec "$TOOL" record -o "$DIR/icmp.ftr" -I --count 3 -q 2>"$DIR/icmp.err" ||
  fail "record -I: $(cat "$DIR/icmp.err")"
"$TOOL" replay "$DIR/icmp.ftr" --json >"$DIR/icmp.json"
grep -q '"protocol":"UDP"' "$DIR/icmp.json" && fail "-I recorded UDP flows"
grep -q '"protocol":"ICMP"' "$DIR/icmp.json" || fail "-I recorded no ICMP flow"

[ "$FAILED" = 0 ] && echo PASS
exit "$FAILED"
