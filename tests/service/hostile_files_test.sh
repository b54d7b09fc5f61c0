#!/usr/bin/env bash
# Every file flowtop reads from outside is a bounded regular file: a token,
# config, PEM or recording that is /dev/zero, a FIFO with no writer, a
# directory or a /proc file gets one line and a non-zero exit, fast (the
# token used to be read from /dev/zero without bound until the OOM killer,
# a FIFO hung every replay mode, --config /tmp ran silently with defaults).
# A token file other users may read is accepted with a warning.
set -uo pipefail
FLOWTOPD=$(readlink -f "$1")   # fake_flowtopd (the real program, fake source)
FLOWTOP=$(readlink -f "$2")    # flowtop
RECORDING=$(readlink -f "$3")  # flowtop-recording
REAL_FLOWTOPD=$(readlink -f "$4")  # flowtopd
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/hostile-files.XXXXXX")
cd "$WORK" || exit 1
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }

# expect WHAT RC MESSAGE CMD...: exit RC within 20 s, stderr has MESSAGE.
expect() {
  local what=$1 want_rc=$2 want=$3; shift 3
  timeout 20 "$@" >out 2>err </dev/null
  local rc=$?
  if [ "$rc" != "$want_rc" ]; then
    fail "$what: exit $rc (want $want_rc): $(tail -n 2 err)"
  elif ! grep -q -- "$want" err; then
    fail "$what: stderr lacks '$want': $(cat err)"
  else
    pass "$what: $(grep -m1 -- "$want" err)"
  fi
}

mkfifo fifo
mkdir dir
echo "s3cret" >token
chmod 600 token

for bad in /dev/zero fifo dir /proc/self/smaps; do
  case $bad in
    /dev/zero) why="is a character device, not a regular file" ;;
    fifo) why="is a pipe (FIFO), not a regular file" ;;
    dir) why="is a directory, not a regular file" ;;
    *) why="is larger than the 4096 bytes" ;;
  esac
  expect "flowtopd --token-file $bad" 1 "flowtopd: --token-file: '$bad' $why" \
    "$FLOWTOPD" --listen 127.0.0.1:0 --token-file "$bad"
  [ "$bad" = /proc/self/smaps ] && continue
  expect "flowtopd --config $bad" 2 "flowtopd: --config: '$bad' $why" \
    "$FLOWTOPD" --listen 127.0.0.1:0 --config "$bad"
  expect "flowtopd --tls-cert $bad" 1 "'$bad' $why" \
    "$FLOWTOPD" --listen 127.0.0.1:0 --tls-cert "$bad" --tls-key "$bad"
  expect "flowtop --connect --token-file $bad" 1 "--token-file: '$bad' $why" \
    "$FLOWTOP" --connect 127.0.0.1:1 --token-file "$bad" --batch --count 1
  expect "flowtop record --token-file $bad" 1 "'$bad' $why" \
    "$RECORDING" record --connect 127.0.0.1:1 --token-file "$bad" -o rec.ftr --duration 1s
done
head -c 2000000 /dev/zero | tr '\0' 'x' >big
expect "flowtopd --config of 2 MB" 2 "'big' is larger than the 1048576 bytes" \
  "$FLOWTOPD" --listen 127.0.0.1:0 --config big

for mode in --info --json --summary; do
  expect "replay $mode of a FIFO with no writer" 1 "is a pipe (FIFO), not a flowtop recording" \
    "$RECORDING" replay fifo "$mode"
  expect "replay $mode of /dev/zero" 1 "is a character device, not a flowtop recording" \
    "$RECORDING" replay /dev/zero "$mode"
  expect "replay $mode of a /proc file" 1 "says 0 bytes but it has content" \
    "$RECORDING" replay /proc/self/status "$mode"
done
expect "flowtopd --replay of a FIFO" 1 "is a pipe (FIFO), not a flowtop recording" \
  "$REAL_FLOWTOPD" --listen 127.0.0.1:0 --replay fifo

# A token other users may read: a warning naming the file and the fix.
# warned_run OUT ERR: runs flowtopd with the token until it listens.
token_run() {
  timeout 20 "$FLOWTOPD" --listen 127.0.0.1:0 --token-file token >"$1" 2>"$2" &
  local pid=$!
  for _ in $(seq 200); do grep -q "listening on" "$1" && break; sleep 0.1; done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
chmod 644 token
token_run out644 err644
grep -q "flowtopd: warning: token file 'token' has mode 0644: other users may read the token; run chmod 600 'token'" err644 \
  && pass "world-readable token: warned" || fail "world-readable token: $(cat err644)"
chmod 600 token
token_run out600 err600
grep -q "listening on" out600 || fail "mode 0600 token: flowtopd did not start: $(cat err600)"
grep -q "warning: token" err600 && fail "mode 0600 token warned: $(cat err600)" || pass "mode 0600 token: no warning"

# Non-interactive clients that never got data exit 1 with one line (they
# used to exit 0 with no output); a --tls-ca that is not PEM is named.
expect "flowtop --json against a closed port" 1 "flowtop: got no data from 127.0.0.1:1" \
  "$FLOWTOP" --json --count 2 --connect 127.0.0.1:1
expect "flowtop --batch against a closed port" 1 "flowtop: got no data from 127.0.0.1:1" \
  "$FLOWTOP" --batch --count 1 --connect 127.0.0.1:1
echo "garbage" >garbage.pem
expect "flowtop --tls-ca garbage" 1 "--tls-ca: 'garbage.pem' is not a PEM CA certificate" \
  "$FLOWTOP" --batch --count 1 --connect 127.0.0.1:1 --tls-ca garbage.pem

# Deep filters used to overflow flowtop's stack (exit 139).
deep=$(python3 -c "print('(' * 10000 + 'tcp' + ')' * 10000)")
expect "flowtop --filter with 10,000 '('" 2 "more than the 4096 allowed" \
  "$FLOWTOP" --connect 127.0.0.1:1 --batch --count 1 --filter "$deep"
nots=$(python3 -c "print('not ' * 100 + 'tcp')")
expect "flowtop --filter with 100 'not'" 2 "nests deeper than 64 levels" \
  "$FLOWTOP" --connect 127.0.0.1:1 --batch --count 1 --filter "$nots"

echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
