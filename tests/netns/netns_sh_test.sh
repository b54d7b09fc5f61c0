#!/usr/bin/env bash
# The shell namespace helper: conntrack sees TCP, UDP and ICMP inside, and
# the namespace is gone once the helper's shell has exited.
set -euo pipefail
source "${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-flowtop}/tests/netns/netns.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

netns_create
netns_spawn socat -u TCP-LISTEN:7201,reuseaddr OPEN:/dev/null
netns_exec sh -c 'for i in $(seq 100); do socat -u OPEN:/dev/null TCP:127.0.0.1:7201 2>/dev/null && exit 0; sleep 0.05; done; exit 1' \
  || fail "TCP connection inside the namespace failed"
netns_exec socat -u - UDP:127.0.0.1:7202 <<<"x" || fail "UDP send failed"
netns_exec ping -c 1 -W 5 127.0.0.1 >/dev/null || fail "ping failed"
table=$(netns_exec conntrack -L 2>/dev/null)
grep -q 'dport=7201' <<<"$table" || fail "TCP flow missing: $table"
grep -q 'dport=7202' <<<"$table" || fail "UDP flow missing: $table"
grep -q '^icmp' <<<"$table" || fail "ICMP flow missing: $table"
holder_ns="/proc/$NETNS_HOLDER/ns/net"

# The host's table must not see the namespace's flows.
if conntrack -L 2>/dev/null | grep -q 'dport=7202'; then
  fail "namespace flow leaked into the host table"
fi

netns_cleanup
[ ! -e "$holder_ns" ] || fail "namespace still exists after cleanup"
echo "netns.sh: all checks passed"
