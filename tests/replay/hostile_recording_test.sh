#!/usr/bin/env bash
# Crafted recordings with valid checksums: an event count of 0xFFFFFFFF or
# 5,000,000 in a 28-byte block, a zstd block that expands to 200 MB; a
# recording whose file header has one flipped byte. Every
# reader (replay --info/--json/--summary, flowtopd --replay) must name the
# damage, exit 1 (or keep serving, for flowtopd), and stay small: counts and
# sizes from a file are bounded by the bytes present. They used to die of
# std::bad_alloc or take hundreds of MB.
set -uo pipefail
TOOL=$(readlink -f "$1")      # flowtop-recording
CRAFT=$(readlink -f "$2")     # craft_recording
FLOWTOPD=$(readlink -f "$3")  # flowtopd
FLOWTOP=$(readlink -f "$4")   # flowtop (the TUI's replay, --batch)
DIR=$(mktemp -d "${TEST_TMPDIR:-/tmp}/hostile.XXXXXX")
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
LIMIT_KB=150000  # peak RSS allowed for one reader

# measure OUT ERR CMD...: runs CMD; prints "RC MAXRSS_KB".
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "w") as o, open(err, "w") as e:
    try:
        rc = subprocess.run(cmd, stdout=o, stderr=e, timeout=60).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

for kind in huge_count count_5m zstd_bomb; do
  "$CRAFT" "$kind" "$DIR/$kind.ftr" || { fail "craft $kind"; continue; }
  for mode in --info --json --summary; do
    read -r rc rss < <(measure "$DIR/out" "$DIR/err" "$TOOL" replay "$DIR/$kind.ftr" "$mode")
    what="$kind replay $mode"
    if [ "$rc" != 1 ]; then
      fail "$what: exit $rc (want 1): $(tail -n 2 "$DIR/err")"
    elif ! grep -q "damage" "$DIR/err" "$DIR/out"; then
      fail "$what: stderr does not name the damage: $(cat "$DIR/err")"
    elif [ "$rss" -gt "$LIMIT_KB" ]; then
      fail "$what: peak RSS ${rss} KB > ${LIMIT_KB} KB"
    else
      pass "$what: exit 1, ${rss} KB, $(grep -h -m1 "damage" "$DIR/err" "$DIR/out" | head -1)"
    fi
  done
done

# flowtopd --replay: keeps serving (the damage is a loss, said on stderr),
# stays small.
for kind in huge_count zstd_bomb; do
  mkfifo "$DIR/$kind.fifo"
  "$FLOWTOPD" --replay "$DIR/$kind.ftr" --replay-speed max --no-enrich \
    --listen 127.0.0.1:0 >"$DIR/$kind.fifo" 2>"$DIR/$kind.derr" &
  pid=$!
  exec 7<"$DIR/$kind.fifo"
  if ! read -r -t 30 -u 7 line; then
    fail "flowtopd --replay $kind did not start: $(cat "$DIR/$kind.derr")"
    exec 7<&-; continue
  fi
  cat <&7 >/dev/null & exec 7<&-
  # The damage line comes once the source reached it (no polling: follow).
  if ! grep -q -m1 "flowtopd: damaged recording: .*$kind.ftr: " \
      < <(timeout 20 tail -n +1 -f "$DIR/$kind.derr"); then
    fail "flowtopd --replay $kind: no damage line on stderr: $(cat "$DIR/$kind.derr")"
  fi
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid"; rc=$?
  if [ "$rc" != 0 ]; then
    fail "flowtopd --replay $kind: exit $rc: $(cat "$DIR/$kind.derr")"
  elif [ "${rss:-0}" -gt "$LIMIT_KB" ]; then
    fail "flowtopd --replay $kind: peak RSS ${rss} KB"
  else
    pass "flowtopd --replay $kind: served, ${rss} KB, $(grep -m1 damaged "$DIR/$kind.derr")"
  fi
done

# One flipped byte in the file header: every mode recovers the 500 events
# from the blocks and says on stderr that the header was damaged (it used to
# say "file header damaged" and stop, losing the whole file).
"$CRAFT" good "$DIR/good.ftr" || fail "craft good"
python3 - "$DIR/good.ftr" "$DIR/header.ftr" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[18] ^= 0x20  # inside the header message (the node name)
open(sys.argv[2], "wb").write(data)
PY
header_line="file header damaged.*node 'r1'"
for mode in --info --json --summary; do
  "$TOOL" replay "$DIR/header.ftr" "$mode" >"$DIR/hout" 2>"$DIR/herr"; rc=$?
  what="header flip replay $mode"
  if [ "$rc" != 1 ]; then
    fail "$what: exit $rc (want 1: damage): $(cat "$DIR/herr")"
  elif ! grep -q "$header_line" "$DIR/herr" "$DIR/hout"; then
    fail "$what: the header damage is not named: $(cat "$DIR/herr")"
  else
    pass "$what: $(grep -h -m1 "header damaged" "$DIR/herr" "$DIR/hout" | cut -c1-100)"
  fi
done
events=$(grep -c '"type":"NEW"\|"type":"UPDATE"\|"type":"DESTROY"\|"type":"COUNTERS"' \
  < <("$TOOL" replay "$DIR/header.ftr" --json 2>/dev/null))
want=$(grep -c '"type":"NEW"\|"type":"UPDATE"\|"type":"DESTROY"\|"type":"COUNTERS"' \
  < <("$TOOL" replay "$DIR/good.ftr" --json 2>/dev/null))
if [ "$events" != "$want" ] || [ "$want" = 0 ]; then
  fail "header flip --json: $events flow events recovered, the intact file has $want"
else
  pass "header flip --json: all $events flow events recovered"
fi
grep -q "^node  *r1 (recovered" < <("$TOOL" replay "$DIR/header.ftr" --info 2>/dev/null) ||
  fail "header flip --info: node not recovered from the events"
# The TUI's replay (batch output, the same source as the interactive view).
timeout 30 "$FLOWTOP" replay "$DIR/header.ftr" --batch --count 1 >"$DIR/tout" 2>"$DIR/terr"
if ! grep -q "$header_line" "$DIR/terr"; then
  fail "header flip flowtop replay (TUI source): not named on stderr: $(head -c 300 "$DIR/terr")"
else
  pass "header flip flowtop replay (TUI source): named on stderr"
fi
mkfifo "$DIR/header.fifo"
"$FLOWTOPD" --replay "$DIR/header.ftr" --replay-speed max --no-enrich \
  --listen 127.0.0.1:0 >"$DIR/header.fifo" 2>"$DIR/header.derr" &
pid=$!
exec 7<"$DIR/header.fifo"
if ! read -r -t 30 -u 7 line; then
  fail "flowtopd --replay header flip did not start: $(cat "$DIR/header.derr")"
else
  cat <&7 >/dev/null &
  if grep -q -m1 "flowtopd: damaged recording: .*$header_line" \
      < <(timeout 20 tail -n +1 -f "$DIR/header.derr"); then
    pass "flowtopd --replay header flip: named on stderr, served"
  else
    fail "flowtopd --replay header flip: no header line: $(cat "$DIR/header.derr")"
  fi
fi
exec 7<&-
kill -TERM "$pid"; wait "$pid"

# Rotation: a --max-size smaller than the keyframe each file starts with
# used to make thousands of files of keyframes, and --max-files deleted all
# but a few dozen events, exit 0, no warning. Now: one line, exit 1, and
# every event recorded until then is on disk.
"$CRAFT" many_flows "$DIR/many.ftr" || fail "craft many_flows"
timeout 60 "$TOOL" record --from "$DIR/many.ftr" -o "$DIR/rot.ftr" --max-size 64K \
  --max-files 50 -q >"$DIR/rout" 2>"$DIR/rerr"; rc=$?
files=$(ls "$DIR" | grep -c '^rot\.ftr')
if [ "$rc" != 1 ] || ! grep -q -- "--max-size 64K is too small.*use --max-size [0-9]*M or more" "$DIR/rerr"; then
  fail "record --max-size 64K with 4,000 flows: exit $rc, $files files: $(head -c 300 "$DIR/rerr")"
elif [ "$files" -gt 3 ]; then
  fail "record --max-size 64K with 4,000 flows: $files files before stopping"
else
  pass "record --max-size 64K with 4,000 flows: exit 1, $files files, $(cut -c1-90 "$DIR/rerr")"
fi
# Files deleted by --max-files are the user's choice, and said.
"$TOOL" record --from "$DIR/many.ftr" -o "$DIR/keep.ftr" --max-size 1M \
  --block-size 4K --keyframe-interval 100ms --max-files 1 -q >"$DIR/kout" 2>"$DIR/kerr"; rc=$?
if [ "$rc" != 0 ] || ! grep -q -- "--max-files 1 deleted the [0-9]* oldest file.* with [0-9]* of the 4000 events" "$DIR/kerr"; then
  fail "record --max-files 1: exit $rc, deletion not reported: $(cat "$DIR/kerr")"
else
  pass "record --max-files 1: $(cat "$DIR/kerr")"
fi

echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
