#!/usr/bin/env bash
# Repeated wrong tokens: flowtopd logs them with the peer address (rate
# limited: one line for a burst) and locks the address out after five, so
# even the right token is refused for a while; then it is let in again. (100
# wrong tokens used to be answered at full speed with no log line.)
set -uo pipefail
source tests/service/daemon_lib.sh
cd "$WORK" || exit 1
FLOWTOPD="$OLDPWD/$FLOWTOPD"
PROBE="$OLDPWD/$PROBE"
echo "right-token" >token
echo "wrong-token" >wrong
chmod 600 token wrong

start_daemon auth --listen 127.0.0.1:0 --token-file token || exit 1
for i in $(seq 20); do
  "$PROBE" --connect 127.0.0.1:$PORT --token-file wrong status >/dev/null 2>&1
done
expect_probe "right token while locked out -> refused" \
  "ERROR UNAUTHENTICATED: too many failed authentications from your address; retry in" \
  --connect 127.0.0.1:$PORT --token-file token status
lines=$(grep -c "failed authentication from 127.0.0.1" "$WORK/auth.err")
[ "$lines" -ge 1 ] && [ "$lines" -le 3 ] && pass "failures logged with the peer, rate-limited ($lines line(s) for 20)" \
  || fail "failure log lines: $lines: $(cat "$WORK/auth.err")"
grep -q "refusing it for" "$WORK/auth.err" || grep -q "(1 in a row)" "$WORK/auth.err" \
  || fail "log line: $(cat "$WORK/auth.err")"
# The lockout grows with every failure counted after it ended; wait out
# what the refusal says, then the right token is let in.
wait_s=$("$PROBE" --connect 127.0.0.1:$PORT --token-file token status 2>&1 \
  | sed -n 's/.*retry in \([0-9]*\)s.*/\1/p')
[ -n "$wait_s" ] || wait_s=0
sleep $((wait_s + 1))
expect_probe "right token after the lockout -> OK" "OK node=" \
  --connect 127.0.0.1:$PORT --token-file token status
kill -TERM "$PID"; wait "$PID"
echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
