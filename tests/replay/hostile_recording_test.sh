#!/usr/bin/env bash
# Crafted recordings with valid checksums: an event count of 0xFFFFFFFF or
# 5,000,000 in a 28-byte block, a zstd block that expands to 200 MB. Every
# reader (replay --info/--json/--summary, flowtopd --replay) must name the
# damage, exit 1 (or keep serving, for flowtopd), and stay small: counts and
# sizes from a file are bounded by the bytes present. They used to die of
# std::bad_alloc or take hundreds of MB.
set -uo pipefail
TOOL=$(readlink -f "$1")      # flowtop-recording
CRAFT=$(readlink -f "$2")     # craft_recording
FLOWTOPD=$(readlink -f "$3")  # flowtopd
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

echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
