#!/usr/bin/env bash
# Every non-interactive client mode (flowtop --json --count, flowtop --batch,
# flowtop record --connect) against a wrong port, a wrong token, a host that
# does not resolve, a --tls-ca that is not PEM and a TLS handshake that
# fails: exit 1 with one line that
# says why (not "not connected yet"), and the recording holds the failures
# it saw as STATUS and LOST events. The recorder used to exit 0 with an empty
# file and nothing on stderr; --json/--batch said "not connected yet".
set -uo pipefail
FLOWTOPD=$(readlink -f tests/service/fake_flowtopd)
source tests/service/daemon_lib.sh
FLOWTOP=$(readlink -f "$1")    # flowtop
RECORDING=$(readlink -f "$2")  # flowtop-recording
cd "$WORK" || exit 1

echo "right-token" >token && chmod 600 token
echo "wrong-token" >wrong && chmod 600 wrong
echo "garbage" >garbage.pem
start_daemon tok --listen 127.0.0.1:0 --token-file token || exit 1

# check WHAT WHY CLIENT-ARGS...: each mode exits 1 with WHY on stderr, and
# --json writes nothing on stdout.
check() {
  local what=$1 why=$2; shift 2
  local -a modes=("--json --count 2" "--batch --count 1" "record")
  for mode in "${modes[@]}"; do
    local -a cmd
    if [ "$mode" = record ]; then
      rm -f rec.ftr
      cmd=("$FLOWTOP" record "$@" --duration 2s -q -o rec.ftr)
    else
      # shellcheck disable=SC2206
      cmd=("$FLOWTOP" "$@" $mode)
    fi
    timeout 60 "${cmd[@]}" >out 2>err </dev/null
    local rc=$?
    local label="$what: flowtop $mode"
    if [ "$rc" != 1 ]; then
      fail "$label: exit $rc (want 1): $(head -c 400 err)"
    elif ! grep -q -- "$why" err; then
      fail "$label: stderr does not say why ('$why'): $(head -c 400 err)"
    elif [ "$(wc -l <err)" != 1 ]; then
      fail "$label: $(wc -l <err) lines on stderr (want one): $(head -c 600 err)"
    elif grep -q "not connected yet" err; then
      fail "$label: says 'not connected yet' instead of why: $(cat err)"
    else
      pass "$label: $(cut -c1-120 err)"
    fi
    if [ "$mode" = "--json --count 2" ] && [ -s out ]; then
      fail "$label: wrote to stdout: $(head -c 200 out)"
    fi
    if [ "$mode" = record ] && [ "$why" != "not a PEM CA certificate" ]; then
      "$RECORDING" replay rec.ftr --json >rec.json 2>rec.err
      if grep -q '"type":"STATUS"' rec.json && grep -q '"type":"LOST".*"source":"CLIENT"' rec.json &&
          grep -q -- "$why" rec.json; then
        pass "$label: the recording holds STATUS and LOST{CLIENT} with the reason"
      else
        fail "$label: the recording lacks the failure: $(head -c 400 rec.json) $(cat rec.err)"
      fi
    fi
  done
}

check "wrong port" "Connection refused" --connect 127.0.0.1:1
check "wrong token" "wrong credentials" --connect "127.0.0.1:$PORT" --token-file wrong
check "unresolvable host" "DNS resolution failed" --connect nosuchhost.invalid:9781
check "garbage --tls-ca" "not a PEM CA certificate" \
  --connect "127.0.0.1:$PORT" --tls-ca garbage.pem
# A real CA against a daemon without TLS: the handshake fails. gRPC used to
# add its own "E1203 ... Handshake failed" log line to the one line.
command -v openssl >/dev/null || fail "openssl is not installed (apt-get install openssl)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ca" \
  -keyout ca.key -out ca.pem 2>/dev/null || fail "openssl could not make a CA"
check "TLS to a daemon without TLS" "Ssl handshake failed" \
  --connect "127.0.0.1:$PORT" --tls-ca ca.pem --token-file token

echo "$FAILURES failed"
[ "$FAILURES" = 0 ]
