#!/usr/bin/env bash
# flowtopd's security from outside: bearer token, TLS with a CA made here by
# openssl, mutual TLS (a client certificate from another CA is refused), the
# refusal to expose flows on a non-loopback address, reload of the token on
# SIGHUP, bad config lines, and a clean stop on SIGTERM that ends open
# streams with a status.
set -uo pipefail
source tests/service/daemon_lib.sh
command -v openssl >/dev/null || { echo "FAIL: openssl is not installed (apt-get install openssl)"; exit 1; }

cd "$WORK" || exit 1
FLOWTOPD="$OLDPWD/$FLOWTOPD"
PROBE="$OLDPWD/$PROBE"

# --- a CA, a server certificate for 127.0.0.1, client certs from two CAs.
make_ca() {  # name
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
make_cert() {  # name ca cn extfile-line
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$1.key" \
    -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
    -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
make_ca ca
make_ca otherca
make_cert server ca localhost "subjectAltName=IP:127.0.0.1,DNS:localhost"
make_cert client ca client "extendedKeyUsage=clientAuth"
make_cert intruder otherca intruder "extendedKeyUsage=clientAuth"
for f in ca.pem server.pem client.pem intruder.pem; do
  [ -s "$f" ] || { echo "FAIL: openssl did not make $f"; exit 1; }
done
echo "s3cret-token-1" >token
echo "wrong-token" >wrong

# --- token without TLS on loopback.
start_daemon tok --listen 127.0.0.1:0 --token-file token || exit 1
expect_probe "no token -> UNAUTHENTICATED" "ERROR UNAUTHENTICATED: missing or wrong credentials" \
  --connect 127.0.0.1:$PORT status
expect_probe "wrong token -> UNAUTHENTICATED" "ERROR UNAUTHENTICATED: missing or wrong credentials" \
  --connect 127.0.0.1:$PORT --token-file wrong status
expect_probe "wrong token on a stream -> UNAUTHENTICATED" "ERROR UNAUTHENTICATED" \
  --connect 127.0.0.1:$PORT --token-file wrong follow 0
expect_probe "right token -> OK" "OK node=" \
  --connect 127.0.0.1:$PORT --token-file token status

# SIGHUP re-reads the token file.
echo "s3cret-token-2" >token2
cp token token.old
cp token2 token
kill -HUP "$PID"
# The daemon reports the reload on stderr; wait for that line (no polling):
if grep -q -m1 "configuration reloaded" < <(timeout 20 tail -n +1 -f "$WORK/tok.err"); then
  expect_probe "old token after SIGHUP -> UNAUTHENTICATED" "ERROR UNAUTHENTICATED" \
    --connect 127.0.0.1:$PORT --token-file token.old status
  expect_probe "new token after SIGHUP -> OK" "OK" \
    --connect 127.0.0.1:$PORT --token-file token2 status
else
  fail "SIGHUP: no 'configuration reloaded' line: $(cat "$WORK/tok.err")"
fi
kill -TERM "$PID"; wait "$PID"; rc=$?
[ $rc = 0 ] && pass "SIGTERM exits 0" || fail "SIGTERM exit code $rc"

# --- TLS + mutual TLS + token.
start_daemon tls --listen 127.0.0.1:0 --tls-cert server.pem --tls-key server.key \
  --tls-client-ca ca.pem --token-file token2 || exit 1
expect_probe "mTLS + token -> OK" "OK node=" --connect 127.0.0.1:$PORT \
  --tls-ca ca.pem --tls-cert client.pem --tls-key client.key --token-file token2 status
expect_probe "mTLS without token -> UNAUTHENTICATED" "ERROR UNAUTHENTICATED" \
  --connect 127.0.0.1:$PORT --tls-ca ca.pem --tls-cert client.pem --tls-key client.key status
expect_probe "client cert from another CA -> refused" "ERROR UNAVAILABLE" \
  --connect 127.0.0.1:$PORT --tls-ca ca.pem --tls-cert intruder.pem \
  --tls-key intruder.key --token-file token2 status
expect_probe "no client cert -> refused" "ERROR UNAVAILABLE" \
  --connect 127.0.0.1:$PORT --tls-ca ca.pem --token-file token2 status
expect_probe "plaintext to a TLS port -> refused" "ERROR UNAVAILABLE" \
  --connect 127.0.0.1:$PORT --token-file token2 status
expect_probe "server cert not from the trusted CA -> refused" "ERROR UNAVAILABLE" \
  --connect 127.0.0.1:$PORT --tls-ca otherca.pem --tls-cert client.pem \
  --tls-key client.key --token-file token2 status

# A following stream ends with UNAVAILABLE when flowtopd stops.
mkfifo follow.fifo
"$PROBE" --connect 127.0.0.1:$PORT --tls-ca ca.pem --tls-cert client.pem \
  --tls-key client.key --token-file token2 follow 0 >follow.fifo &
probe=$!
exec 8<follow.fifo
read -r -t 30 -u 8 first
[ "$first" = STREAMING ] && pass "stream open" || fail "stream did not open: '$first'"
kill -TERM "$PID"; wait "$PID"; rc=$?
read -r -t 30 -u 8 last
wait "$probe"
[ $rc = 0 ] && pass "SIGTERM with an open stream exits 0" || fail "exit code $rc"
[[ "$last" == "ERROR UNAVAILABLE: flowtopd is shutting down" ]] \
  && pass "open stream ended with UNAVAILABLE" || fail "stream ended with '$last'"

# --- TLS without client CA: any client with the CA can connect.
start_daemon tls1 --listen 127.0.0.1:0 --tls-cert server.pem --tls-key server.key || exit 1
expect_probe "TLS (server auth only) -> OK" "OK" --connect 127.0.0.1:$PORT --tls-ca ca.pem status
kill -TERM "$PID"; wait "$PID"

# --- exposure rules.
out=$("$FLOWTOPD" --listen 0.0.0.0:0 2>&1); rc=$?
[ $rc = 2 ] && [[ "$out" == *"refusing to listen on 0.0.0.0:0 without TLS or a token"* ]] \
  && pass "non-loopback without TLS/token refused" || fail "got rc=$rc '$out'"
start_daemon open --listen 0.0.0.0:0 --insecure && pass "--insecure allows it" \
  || fail "--insecure did not start"
kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
start_daemon withtoken --listen 0.0.0.0:0 --token-file token2 \
  && pass "non-loopback with a token starts" || fail "token did not allow it"
kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
out=$("$FLOWTOPD" --tls-cert server.pem 2>&1); rc=$?
[ $rc = 2 ] && [[ "$out" == *"--tls-cert and --tls-key go together"* ]] \
  && pass "cert without key refused" || fail "got rc=$rc '$out'"
out=$("$FLOWTOPD" --token-file /nonexistent/token 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"/nonexistent/token"* ]] \
  && pass "missing token file named" || fail "got rc=$rc '$out'"

# --- config file errors name file and line.
printf 'listen = 127.0.0.1:0\n# ok\nfoo = 1\n' >flowtopd.conf
out=$("$FLOWTOPD" --config flowtopd.conf 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = "flowtopd: flowtopd.conf:3: unknown option 'foo'" ] \
  && pass "bad config line named" || fail "got rc=$rc '$out'"

echo "$FAILURES failure(s)"
[ "$FAILURES" = 0 ]
