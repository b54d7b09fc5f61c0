# Network-namespace helper for bash tests: `source` it, then
#   netns_create            make an anonymous namespace: lo up, conntrack on;
#                           sets NETNS_EXEC and cleans up when the shell exits
#   netns_exec CMD...       run CMD inside (its exit status is returned)
#   netns_spawn CMD...      start CMD inside in the background (NETNS_LAST_PID)
# The namespace lives as long as a holder process that is killed with this
# shell (EXIT trap, and PR_SET_PDEATHSIG should the shell itself be killed).
# Needs root, util-linux (unshare, nsenter, setpriv), iproute2 and nftables.

NETNS_HOLDER=""
NETNS_EXEC=""
NETNS_PIDS=()

netns_cleanup() {
  local pid
  for pid in "${NETNS_PIDS[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  NETNS_PIDS=()
  if [ -n "$NETNS_HOLDER" ]; then
    kill -KILL "$NETNS_HOLDER" 2>/dev/null || true
    wait "$NETNS_HOLDER" 2>/dev/null || true
  fi
  NETNS_HOLDER=""
  return 0
}

netns_create() {
  if [ "$(id -u)" != 0 ]; then
    echo "netns.sh: network namespace tests need root: run them as root, as CI does" >&2
    return 1
  fi
  local tool
  for tool in unshare nsenter setpriv ip nft; do
    if ! command -v "$tool" >/dev/null; then
      echo "netns.sh: '$tool' is missing: apt-get install util-linux iproute2 nftables" >&2
      return 1
    fi
  done
  local ready
  exec {NETNS_FD}< <(exec setpriv --pdeathsig KILL unshare --net sh -c 'echo ready; exec sleep infinity')
  NETNS_HOLDER=$!
  trap netns_cleanup EXIT
  if ! read -r -u "$NETNS_FD" ready || [ "$ready" != ready ]; then
    echo "netns.sh: could not create a network namespace (unshare --net failed)" >&2
    return 1
  fi
  NETNS_EXEC="nsenter --net=/proc/$NETNS_HOLDER/ns/net"
  $NETNS_EXEC sh -c "ip link set lo up &&
    nft add table inet flowtop_test &&
    nft add chain inet flowtop_test out '{ type filter hook output priority 0; }' &&
    nft add chain inet flowtop_test in '{ type filter hook input priority 0; }' &&
    nft add rule inet flowtop_test out ct state new,established,related accept &&
    nft add rule inet flowtop_test in ct state new,established,related accept" || {
    echo "netns.sh: could not activate conntrack in the namespace" >&2
    return 1
  }
}

netns_exec() {
  $NETNS_EXEC "$@"
}

netns_spawn() {
  $NETNS_EXEC setsid "$@" &
  NETNS_LAST_PID=$!
  NETNS_PIDS+=("$NETNS_LAST_PID")
}
