#!/usr/bin/env bash
# flowtopd when it cannot listen: a port in use, a port shared with
# SO_REUSEPORT by another process, an address without a port, ports out of
# range, TLS files that are not PEM or do not match. Each must end with exit
# 1 or 2 and one line that says why, never a crash (it used to die with 139
# in ~Daemon) and never a port someone else can share.
set -uo pipefail
source tests/service/daemon_lib.sh
command -v python3 >/dev/null || { echo "FAIL: python3 is missing"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl is missing"; exit 1; }

# expect_refusal WHAT RC_WANTED MESSAGE_PART ARGS...
expect_refusal() {
  local what=$1 want_rc=$2 want_msg=$3; shift 3
  timeout 20 "$FLOWTOPD" "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  local last
  last=$(grep '^flowtopd:' "$WORK/err" | grep -v 'enrichment' | tail -n 1)
  if [ "$rc" != "$want_rc" ]; then
    fail "$what: exit $rc (wanted $want_rc): $(tail -n 3 "$WORK/err")"
  elif [[ "$last" != *"$want_msg"* ]]; then
    fail "$what: message '$last' does not say '$want_msg'"
  elif grep -q 'listening on' "$WORK/out"; then
    fail "$what: said it was listening"
  else
    pass "$what: exit $rc, '$last'"
  fi
}

# A port held by a plain listener (no SO_REUSEPORT).
exec 5< <(python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)')
read -r -u 5 busy
expect_refusal "port in use" 1 "cannot listen on 127.0.0.1:$busy: address in use" \
  --listen "127.0.0.1:$busy"

# A port held by a listener that allows sharing (SO_REUSEPORT), as a
# hostile local process would: flowtopd must not join it.
exec 6< <(python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)')
read -r -u 6 shared
expect_refusal "port held with SO_REUSEPORT" 1 "address in use" \
  --listen "127.0.0.1:$shared"

expect_refusal "no port" 2 "has no port" --listen 127.0.0.1
expect_refusal "negative port" 2 "not a number from 0 to 65535" --listen 127.0.0.1:-1
expect_refusal "port 70000 (used to wrap to 4464)" 2 "not a number from 0 to 65535" \
  --listen 127.0.0.1:70000
expect_refusal "port 65536" 2 "not a number from 0 to 65535" --listen 127.0.0.1:65536
expect_refusal "no address" 2 "has no address" --listen :9781

# TLS: garbage, and a key that does not belong to the certificate.
cd "$WORK" || exit 1
FLOWTOPD="$OLDPWD/$FLOWTOPD"
echo "not a certificate" >garbage.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=a" -keyout a.key -out a.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=b" -keyout b.key -out b.pem 2>/dev/null
expect_refusal "garbage --tls-cert" 1 "--tls-cert: '$WORK/garbage.pem' is not a PEM" \
  --listen 127.0.0.1:0 --tls-cert "$WORK/garbage.pem" --tls-key a.key
expect_refusal "garbage --tls-key" 1 "--tls-key: 'garbage.pem' is not a PEM" \
  --listen 127.0.0.1:0 --tls-cert a.pem --tls-key garbage.pem
expect_refusal "garbage --tls-client-ca" 1 "--tls-client-ca: 'garbage.pem' is not a PEM" \
  --listen 127.0.0.1:0 --tls-cert a.pem --tls-key a.key --tls-client-ca garbage.pem
expect_refusal "key of another certificate" 1 "does --tls-key belong to --tls-cert" \
  --listen 127.0.0.1:0 --tls-cert a.pem --tls-key b.key

# Two flowtopd on one port: the second is refused, the first keeps it.
start_daemon first --listen 127.0.0.1:0 || exit 1
expect_refusal "second flowtopd on the same port" 1 "address in use" \
  --listen "127.0.0.1:$PORT"
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    print("refused:", e.strerror); sys.exit(0)
print("bound"); sys.exit(1)' "$PORT" >"$WORK/hijack" 2>&1 \
  && pass "another process cannot share flowtopd's port ($(cat "$WORK/hijack"))" \
  || fail "another process bound flowtopd's port with SO_REUSEPORT: $(cat "$WORK/hijack")"

kill "$PID"
echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
