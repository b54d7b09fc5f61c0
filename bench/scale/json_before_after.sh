#!/usr/bin/env bash
# flowtop --json of two builds side by side on the same N idle flows, with
# conntrack -L beside them: R rounds of conntrack -L, the BEFORE binary and
# this workspace's flowtop, one right after the other, so that the shared
# machine's load hits all three alike. Prints wall time, peak RSS and lines.
#
#   bazel run -c opt //bench/scale:json_before_after -- --before=/path/to/old/flowtop \
#       [--flows=100000] [--rounds=3]
#
# BEFORE is a flowtop built from another commit (e.g. `git worktree add`,
# `bazel build -c opt //tui:flowtop`, copy bazel-bin/tui/flowtop aside).
# Root only; nf_conntrack_max is raised for the run and restored on every
# exit path. Take `flock /tmp/scale-bench.lock` for a million flows.
set -uo pipefail

FLOWS=100000
ROUNDS=3
BEFORE=""
for arg in "$@"; do
  case "$arg" in
    --flows=*) FLOWS=${arg#*=} ;;
    --rounds=*) ROUNDS=${arg#*=} ;;
    --before=*) BEFORE=${arg#*=} ;;
    *) echo "json_before_after: unknown argument '$arg' (see the header of bench/scale/json_before_after.sh)" >&2; exit 2 ;;
  esac
done
for v in "$FLOWS" "$ROUNDS"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 && "$v" -le 5000000 ]] || {
    echo "json_before_after: '$v' is not a count from 1 to 5000000" >&2; exit 2; }
done
[ -x "$BEFORE" ] || { echo "json_before_after: --before=PATH must name a flowtop binary" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "json_before_after: needs root (network namespaces, conntrack)" >&2; exit 1; }
for tool in conntrack /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "json_before_after: '$tool' is missing: tools/setup.sh --test" >&2; exit 1; }
done

HERE=$PWD
AFTER=$HERE/tui/flowtop
source "$HERE/tests/netns/netns.sh"
WORK=$(mktemp -d /tmp/json-before-after.XXXXXX)
MAX=/proc/sys/net/netfilter/nf_conntrack_max
MAX_BEFORE=$(cat "$MAX")
cleanup() {
  trap - EXIT INT TERM HUP
  netns_cleanup
  echo "$MAX_BEFORE" >"$MAX"
  rm -rf "$WORK"
}
install_traps() {
  trap cleanup EXIT
  trap 'cleanup; exit 130' INT TERM HUP
}
install_traps
# Raised, never lowered: another run may hold more flows in its namespace.
NEED=$((FLOWS + 200000))
[ "$MAX_BEFORE" -lt "$NEED" ] && echo "$NEED" >"$MAX"
netns_create || exit 1
install_traps  # netns_create sets its own EXIT trap
netns_exec sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
  net.netfilter.nf_conntrack_udp_timeout_stream=3600
netns_exec "$HERE/bench/scale/udp_flows" "$FLOWS" 1 2 >/dev/null

# Runs a command; prints its wall time, peak RSS and output lines.
measure() {
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -o "$WORK/time" -f '%M' "$@" >"$WORK/out" 2>/dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v kb="$(tail -n 1 "$WORK/time")" -v lines="$(wc -l <"$WORK/out")" \
    'BEGIN { printf "%7.2f s %6d MB %8d lines", b - a, kb / 1024, lines }'
}

json() { measure $NETNS_EXEC "$1" -4 -U -n -G --no-bpf --json --count 1; }

echo "json_before_after: $(date -u +%FT%TZ), $FLOWS flows (kernel: $(netns_exec conntrack -C)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CAVEAT: the machine may be shared; compare the columns of one round."
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r: conntrack -L $(measure $NETNS_EXEC conntrack -L) | before $(json "$BEFORE") | after $(json "$AFTER")"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
