#!/bin/bash
# ctcapture end to end in a network namespace: records real events, decodes
# them, and without CAP_NET_ADMIN fails with the one-line message naming the
# fix. Root only (tag local).
set -euo pipefail
CTCAPTURE=$(realpath collector/ctcapture)
TRAFFIC="/usr/bin/python3 $(realpath tests/fixtures/netlink/traffic.py)"
# shellcheck source=/dev/null
source tests/netns/netns.sh
netns_create
WORK=${TEST_TMPDIR:-$(mktemp -d)}

fail() { echo "ctcapture_test: $*" >&2; exit 1; }

# 1. Without CAP_NET_ADMIN: exit 1 and the message, nothing else.
if $NETNS_EXEC setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
    "$CTCAPTURE" --out "$WORK/denied.nlcap" 2>"$WORK/denied.err"; then
  fail "ctcapture succeeded without CAP_NET_ADMIN"
fi
expected="flowtop: cannot open conntrack netlink socket: permission denied; run as root, grant CAP_NET_ADMIN (setcap cap_net_admin+ep), or use --connect / --replay"
[ "$(cat "$WORK/denied.err")" = "$expected" ] || fail "unexpected error: $(cat "$WORK/denied.err")"

# 2. Capture the events of one UDP exchange, stop with SIGTERM, decode.
$NETNS_EXEC "$CTCAPTURE" --out "$WORK/udp.nlcap" --ready_file "$WORK/ready" \
  2>"$WORK/capture.err" &
pid=$!
for _ in $(seq 300); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
[ -e "$WORK/ready" ] || fail "ctcapture never subscribed: $(cat "$WORK/capture.err")"
netns_exec $TRAFFIC udp 127.0.0.1 8080
netns_exec conntrack -F 2>/dev/null
# Wait for the DESTROY to be recorded (the file is flushed on exit only, so
# ask the kernel side: ctcapture has received it once the flush returned).
kill -TERM "$pid"
wait "$pid" || fail "ctcapture exited with $?: $(cat "$WORK/capture.err")"
grep -q "events -> " "$WORK/capture.err" || fail "no summary line"

"$CTCAPTURE" --decode "$WORK/udp.nlcap" >"$WORK/decoded.txt" || fail "decode failed"
grep -q "type: NEW" "$WORK/decoded.txt" || fail "no NEW event decoded"
grep -q "type: DESTROY" "$WORK/decoded.txt" || fail "no DESTROY event decoded"
grep -q "protocol: UDP" "$WORK/decoded.txt" || fail "not UDP"
grep -q "dst_port: 8080" "$WORK/decoded.txt" || fail "wrong port"

# 3. A damaged file is one clear error, exit 1.
printf 'NOTACAPTURE' >"$WORK/bad.nlcap"
if "$CTCAPTURE" --decode "$WORK/bad.nlcap" 2>"$WORK/bad.err"; then
  fail "a damaged file decoded"
fi
grep -q "missing magic FTNLCAP1" "$WORK/bad.err" || fail "unclear error: $(cat "$WORK/bad.err")"
echo "ctcapture_test: ok"
