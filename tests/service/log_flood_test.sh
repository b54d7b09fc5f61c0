#!/usr/bin/env bash
# A client that sends requests libprotobuf refuses to parse (a string that is
# not UTF-8) gets INVALID_ARGUMENT each time, and libprotobuf logs a line for
# each. flowtopd writes the first ten and then only counts, so 2,000 such
# requests cannot fill its stderr (they used to write 2,000 lines).
set -uo pipefail
source tests/service/daemon_lib.sh
cd "$WORK" || exit 1
FLOWTOPD="$OLDPWD/$FLOWTOPD"
PROBE="$OLDPWD/$PROBE"

start_daemon flood --listen 127.0.0.1:0 || exit 1
expect_probe "2000 non-UTF-8 requests -> INVALID_ARGUMENT each" \
  "OK refused=2000" --connect 127.0.0.1:$PORT not-utf8 2000
lines=$(wc -l <"$WORK/flood.err")
parse_lines=$(grep -c "^\[libprotobuf ERROR .*UTF-8" "$WORK/flood.err")
[ "$parse_lines" = 10 ] && pass "the first 10 parse errors are written" \
  || fail "parse error lines: $parse_lines"
# Counts are written at 100, 1,000, 10,000, ... lines in all.
if grep -q "^flowtopd: 990 more protobuf log lines not shown (1000 in all" \
    "$WORK/flood.err"; then
  pass "the rest are counted"
else
  fail "no count line: $(tail -n 3 "$WORK/flood.err")"
fi
[ "$lines" -le 20 ] && pass "stderr holds $lines lines for 2000 refused requests" \
  || fail "stderr holds $lines lines: $(tail -n 3 "$WORK/flood.err")"
expect_probe "the daemon still answers" "OK node=" --connect 127.0.0.1:$PORT status
kill -TERM "$PID"; wait "$PID"
echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
