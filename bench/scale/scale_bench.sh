#!/usr/bin/env bash
# The router-scale benchmark (issue 12). For each N it makes N idle UDP flows
# in a fresh network namespace, then measures side by side, in one run:
# conntrack -L, flowtopd (over gRPC), the TUI (flowtop in tmux, and its model
# through bench/tui:latency_bench) and flowtop --json --count 1. Then, under
# churn (new TCP connections at a steady rate), our TUI against netsniff-ng's
# flowtop, one after the other on the same load.
#
#   bazel run -c opt //bench/scale:scale_bench -- [--flows=100000,1000000]
#       [--idle-seconds=20] [--churn-rate=2000] [--churn-seconds=20]
#       [--no-churn] [--no-model] [--json-only] [--memory [--before=FLOWTOP]]
#       [--churn-only]
#
# --json-only measures conntrack -L and flowtop --json alone (no flowtopd,
# TUI or churn): the --json figures in a few minutes.
# --memory measures memory per flow only, in every mode that holds flows:
# flowtopd, the local TUI, --json, --batch, the TUI against flowtopd
# (--connect), flowtop record and the TUI over that recording (replay),
# beside conntrack -L. --before=FLOWTOP measures each flowtop mode again
# with another flowtop binary (e.g. one built from main before a change),
# printed side by side as "before".
# --churn-only runs the churn comparison alone (no idle flows, no
# baselines): about three minutes.
#
# Root only. nf_conntrack_max is host-wide: it is raised for the run and put
# back on every exit path (EXIT, INT, TERM, HUP). Each N gets its own
# namespace, whose UDP timeout is raised so that no flow expires.
set -uo pipefail

FLOWS=100000,1000000
IDLE_SECONDS=20
CHURN_RATE=2000
CHURN_SECONDS=20
CHURN=1
MODEL=1
JSON_ONLY=0
CHURN_ONLY=0
MEMORY=0
BEFORE=""
for arg in "$@"; do
  case "$arg" in
    --flows=*) FLOWS=${arg#*=} ;;
    --idle-seconds=*) IDLE_SECONDS=${arg#*=} ;;
    --churn-rate=*) CHURN_RATE=${arg#*=} ;;
    --churn-seconds=*) CHURN_SECONDS=${arg#*=} ;;
    --no-churn) CHURN=0 ;;
    --no-model) MODEL=0 ;;
    --json-only) JSON_ONLY=1; CHURN=0 ;;
    --churn-only) CHURN_ONLY=1; CHURN=1 ;;
    --memory) MEMORY=1; CHURN=0 ;;
    --before=*) BEFORE=${arg#*=} ;;
    *) echo "scale_bench: unknown argument '$arg' (see the header of bench/scale/scale_bench.sh)" >&2; exit 2 ;;
  esac
done
for v in "$IDLE_SECONDS" "$CHURN_RATE" "$CHURN_SECONDS" ${FLOWS//,/ }; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 && "$v" -le 5000000 ]] || {
    echo "scale_bench: '$v' is not a count from 1 to 5000000" >&2; exit 2; }
done
if [ -n "$BEFORE" ]; then
  BEFORE=$(realpath -e "$BEFORE" 2>/dev/null) && [ -x "$BEFORE" ] || {
    echo "scale_bench: --before: not an executable flowtop binary" >&2; exit 2; }
fi
[ "$(id -u)" = 0 ] || { echo "scale_bench: needs root (network namespaces, conntrack)" >&2; exit 1; }
for tool in conntrack tmux /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "scale_bench: '$tool' is missing: tools/setup.sh --test" >&2; exit 1; }
done

HERE=$PWD
UDP_FLOWS=$HERE/bench/scale/udp_flows
TCP_CHURN=$HERE/bench/scale/tcp_churn
CLIENT=$HERE/bench/scale/scale_client
FLOWTOPD=$HERE/service/flowtopd
FLOWTOP=$HERE/tui/flowtop
LATENCY=${BUILD_WORKSPACE_DIRECTORY:-.}/bazel-bin/bench/tui/latency_bench
PEER=/usr/sbin/flowtop
source "$HERE/tests/netns/netns.sh"

WORK=$(mktemp -d /tmp/scale-bench.XXXXXX)
TMUX_SOCKET=scale-bench-$$
MAX=/proc/sys/net/netfilter/nf_conntrack_max
MAX_BEFORE=$(cat "$MAX")
CLK_TCK=$(getconf CLK_TCK)

cleanup() {
  trap - EXIT INT TERM HUP
  tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
  netns_cleanup
  echo "$MAX_BEFORE" >"$MAX"
  rm -rf "$WORK"
}
on_signal() { cleanup; exit 130; }
install_traps() {
  trap cleanup EXIT
  trap on_signal INT TERM HUP
}
install_traps

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 <= t + 0) ? "met" : "NOT met" }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU of PID over SECONDS, in percent of one core.
cpu_percent() {
  local pid=$1 seconds=$2 a b
  a=$(cpu_ticks "$pid")
  sleep "$seconds"
  b=$(cpu_ticks "$pid")
  awk -v a="$a" -v b="$b" -v s="$seconds" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / s }'
}
per_flow() { awk -v kb="$1" -v base="$2" -v n="$3" 'BEGIN { printf "%.0f", (kb - base) * 1024 / n }'; }
row() { printf '  %-26s %12s %12s %12s %12s\n' "$@"; }

# A namespace of our own for each stage: lo up, conntrack on, and long UDP
# and TCP timeouts so that idle flows stay.
fresh_netns() {
  netns_cleanup
  netns_create || exit 1
  install_traps  # netns_create sets its own EXIT trap
  netns_exec sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
    net.netfilter.nf_conntrack_udp_timeout_stream=3600
}

# Ends the program in the tmux pane (PID) and the tmux server. netsniff-ng's
# flowtop survives the SIGHUP of a closing pane and kept spinning in its
# namespace (at ~23% of a core, skewing whatever ran next): TERM, then KILL.
tmux_stop() {
  local pid=$1
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
}

# Starts CMD in a 200x50 tmux pane; echoes the pane's process id.
tmux_start() {
  tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
  tmux -L "$TMUX_SOCKET" new-session -d -s bench -x 200 -y 50 "$*"
  tmux -L "$TMUX_SOCKET" display-message -p -t bench '#{pane_pid}'
}
screen() { tmux -L "$TMUX_SOCKET" capture-pane -p -t bench 2>/dev/null; }
# Our TUI's "flows SHOWN/TOTAL" and whether it still says "loading".
tui_counts() {
  screen | awk 'match($0, /flows [0-9]+\/[0-9]+/) && !f { split(substr($0, RSTART + 6, RLENGTH - 6), c, "/"); f = c[1] " " c[2] }
                /loading/ { l = 1 } END { print (f == "" ? "0 0" : f), l + 0 }'
}

# Memory of each binary with no flows: the base of the per-flow figure.
baselines() {
  fresh_netns
  local pid out
  $NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name base -n -G --no-bpf >"$WORK/base.out" 2>&1 &
  pid=$!
  sleep 3
  BASE_D=$(rss_kb "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null
  pid=$(tmux_start "$NETNS_EXEC $FLOWTOP -n -G --no-bpf")
  sleep 3
  BASE_TUI=$(rss_kb "$pid")
  tmux -L "$TMUX_SOCKET" kill-server
  out=$(/usr/bin/time -f '%M' $NETNS_EXEC "$FLOWTOP" -4 -U -n -G --no-bpf --json --count 1 2>&1 >/dev/null | tail -n 1)
  BASE_JSON=${out:-0}
  $NETNS_EXEC "$FLOWTOP" record -o "$WORK/base.ftr" -q >/dev/null 2>&1 &
  pid=$!
  sleep 3
  BASE_REC=$(rss_kb "$pid")
  kill -INT "$pid"; wait "$pid" 2>/dev/null
  rm -f "$WORK/base.ftr"
}

# flowtop record (unfiltered, from the kernel): its RSS once the recording
# stopped growing for 5 s (the initial dump recorded; idle flows add nothing).
measure_record() {
  local pid last=0 still=0 size
  $NETNS_EXEC "$FLOWTOP" record -o "$WORK/r.ftr" -q >/dev/null 2>"$WORK/r.err" &
  pid=$!
  NETNS_PIDS+=("$pid")
  for _ in $(seq 900); do
    sleep 1
    size=$(stat -c %s "$WORK/r.ftr" 2>/dev/null || echo 0)
    if [ "$size" = "$last" ] && [ "$size" -gt 0 ]; then still=$((still + 1)); else still=0; fi
    last=$size
    [ "$still" -ge 5 ] && break
  done
  R_KB=$(rss_kb "$pid")
  kill -INT "$pid"; wait "$pid" 2>/dev/null
  rm -f "$WORK/r.ftr"
}

# conntrack -L: the best of three wall times, its peak memory, its lines.
measure_conntrack() {
  local best="" t0 t1 t
  for _ in 1 2 3; do
    t0=$(now)
    /usr/bin/time -o "$WORK/ct.time" -f '%M' $NETNS_EXEC conntrack -L >"$WORK/ct.list" 2>/dev/null
    t1=$(now)
    t=$(elapsed "$t0" "$t1")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  CT_TIME=$best
  CT_KB=$(tail -n 1 "$WORK/ct.time")
  CT_SHOWN=$(wc -l <"$WORK/ct.list")
}

measure_json() {
  local t0 t1
  t0=$(now)
  # -4 -U as in the issue: --json's default is TCP, like the original's.
  /usr/bin/time -o "$WORK/json.time" -f '%M' $NETNS_EXEC "$FLOWTOP" -4 -U -n -G --no-bpf --json --count 1 >"$WORK/json" 2>"$WORK/json.err"
  t1=$(now)
  JSON_TIME=$(elapsed "$t0" "$t1")
  JSON_KB=$(tail -n 1 "$WORK/json.time")
  JSON_SHOWN=$(wc -l <"$WORK/json")
  JSON_KERNEL=$(netns_exec conntrack -C)
}

# flowtopd: time to a complete table, memory, idle CPU, ListFlows.
measure_daemon() {
  local n=$1 t0 t1 line port pid
  mkfifo "$WORK/d.out"
  t0=$(now)
  $NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name scale -n -G --no-bpf >"$WORK/d.out" 2>"$WORK/d.err" &
  pid=$!
  NETNS_PIDS+=("$pid")
  exec 8<"$WORK/d.out"
  if ! read -r -t 60 -u 8 line; then
    echo "  flowtopd did not start: $(head -n 3 "$WORK/d.err")"; return
  fi
  cat <&8 >/dev/null &
  port=${line##*:}
  # Complete: loaded and at least the N flows; then its flows against the
  # kernel's count (GetStatus conntrack_count; our gRPC calls add TCP flows).
  netns_exec "$CLIENT" wait "127.0.0.1:$port" "$KERNEL" 900 >"$WORK/d.wait"
  t1=$(now)
  D_TIME=$(elapsed "$t0" "$t1")
  D_SHOWN=$(sed -n 's/^flows=\([0-9]*\).*/\1/p' "$WORK/d.wait")
  D_KERNEL=$(sed -n 's/.*conntrack_count=\([0-9]*\).*/\1/p' "$WORK/d.wait")
  D_KB=$(rss_kb "$pid")
  sleep 2
  D_CPU=$(cpu_percent "$pid" "$IDLE_SECONDS")
  D_STATUS=$(netns_exec "$CLIENT" status "127.0.0.1:$port" 2>/dev/null)
  D_LIST=$(netns_exec "$CLIENT" listflows "127.0.0.1:$port" 5 2)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  exec 8<&-
  rm -f "$WORK/d.out"
}

# The TUI in tmux: time to "flows N/N" without "loading", memory, idle CPU,
# and key-to-screen for the sort key '>' (the screen polled every ~5 ms).
measure_tui() {
  local t0 t1 pid counts before after k0 k1 keys=()
  t0=$(now)
  pid=$(tmux_start "$NETNS_EXEC $FLOWTOP -n -G --no-bpf")
  # Complete: not loading and at least the N flows (the gRPC calls before
  # left TCP flows that expire meanwhile); then its count against the
  # kernel's, for up to 2 s until they agree.
  T_TIME="timeout"
  for _ in $(seq 18000); do
    read -r shown total loading <<<"$(tui_counts)"
    if [ "$loading" = 0 ] && [ "$total" -ge "$KERNEL" ]; then
      t1=$(now); T_TIME=$(elapsed "$t0" "$t1"); break
    fi
    sleep 0.05
  done
  for _ in $(seq 40); do
    T_KERNEL=$(netns_exec conntrack -C)
    read -r shown T_SHOWN loading <<<"$(tui_counts)"
    [ "$T_SHOWN" = "$T_KERNEL" ] && break
    sleep 0.05
  done
  T_KB=$(rss_kb "$pid")
  sleep 2
  T_CPU=$(cpu_percent "$pid" "$IDLE_SECONDS")
  for _ in 1 2 3 4 5; do
    before=$(screen | head -n 3 | md5sum)
    k0=$(now)
    tmux -L "$TMUX_SOCKET" send-keys -t bench '>'
    for _ in $(seq 2000); do
      after=$(screen | head -n 3 | md5sum)
      [ "$after" != "$before" ] && break
    done
    k1=$(now)
    keys+=("$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')")
    sleep 0.5
  done
  T_KEYS=$(printf '%s\n' "${keys[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "median %d ms, max %d ms", v[int((NR + 1) / 2)], v[NR] }')
  tmux -L "$TMUX_SOCKET" kill-server
}

report_n() {
  local n=$1
  echo
  echo "== $n idle UDP flows (kernel: conntrack -C = $KERNEL; made in ${MAKE_TIME}s) =="
  row "" "conntrack -L" "flowtopd" "TUI (tmux)" "--json"
  row "flows shown" "$CT_SHOWN" "${D_SHOWN:-?}" "$T_SHOWN" "$JSON_SHOWN"
  row "kernel's count then" "$KERNEL" "$D_KERNEL" "$T_KERNEL" "$JSON_KERNEL"
  row "complete table, s" "$CT_TIME" "$D_TIME" "$T_TIME" "$JSON_TIME"
  row "  ratio to conntrack -L" "1.00" "$(ratio "$D_TIME" "$CT_TIME")" "$(ratio "$T_TIME" "$CT_TIME")" "$(ratio "$JSON_TIME" "$CT_TIME")"
  row "memory, MB (RSS)" "$((CT_KB / 1024)) peak" "$((D_KB / 1024))" "$((T_KB / 1024))" "$((JSON_KB / 1024)) peak"
  row "  per flow, B (RSS delta/N)" "-" "$(per_flow "$D_KB" "$BASE_D" "$n")" "$(per_flow "$T_KB" "$BASE_TUI" "$n")" "$(per_flow "$JSON_KB" "$BASE_JSON" "$n")"
  row "idle CPU, % of a core" "-" "$D_CPU" "$T_CPU" "-"
  echo "  flowtopd ListFlows limit 10 by bytes (5 calls): $D_LIST"
  echo "  flowtopd GetStatus after the idle period: $D_STATUS"
  echo "  flowtop record (unfiltered): RSS $((R_KB / 1024)) MB, $(per_flow "$R_KB" "$BASE_REC" "$n") B per flow" \
    "(<= 256: $(verdict "$(per_flow "$R_KB" "$BASE_REC" "$n")" 256))"
  echo "  TUI key '>' to changed screen (tmux, polled): $T_KEYS"
  echo "  verdicts (targets of issue 12):"
  local ok_flows="NOT met"
  [ "${D_SHOWN:-x}" = "$D_KERNEL" ] && [ "$T_SHOWN" = "$T_KERNEL" ] && [ "$JSON_SHOWN" = "$JSON_KERNEL" ] && ok_flows=met
  echo "    flows shown = kernel's count (flowtopd, TUI, --json): $ok_flows"
  echo "    complete table <= 1.2x conntrack -L: flowtopd $(verdict "$(ratio "$D_TIME" "$CT_TIME")" 1.2)," \
    "TUI $(verdict "$(ratio "$T_TIME" "$CT_TIME")" 1.2), --json $(verdict "$(ratio "$JSON_TIME" "$CT_TIME")" 1.2)"
  echo "    <= 256 B per flow: flowtopd $(verdict "$(per_flow "$D_KB" "$BASE_D" "$n")" 256)," \
    "TUI $(verdict "$(per_flow "$T_KB" "$BASE_TUI" "$n")" 256), --json $(verdict "$(per_flow "$JSON_KB" "$BASE_JSON" "$n")" 256)"
  echo "    idle CPU <= 10% of a core: flowtopd $(verdict "$D_CPU" 10), TUI $(verdict "$T_CPU" 10)"
  local lf
  lf=$(sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p' <<<"$D_LIST")
  echo "    ListFlows limit 10 <= 100 ms: $(verdict "${lf:-1e9}" 100) (longest); stall <= 10 ms: $(verdict "$(sed -n 's/.*stall_ms=\([0-9.]*\).*/\1/p' <<<"$D_LIST" | awk '{ print ($1 == "" ? 1e9 : $1 - 1) }')" 10) (NEW events sent every 1 ms)"
}

report_json_only() {
  local n=$1
  echo
  echo "== $n idle UDP flows (kernel: conntrack -C = $KERNEL; made in ${MAKE_TIME}s) =="
  row "" "conntrack -L" "--json" "" ""
  row "flows shown" "$CT_SHOWN" "$JSON_SHOWN" "" ""
  row "complete table, s" "$CT_TIME" "$JSON_TIME" "" ""
  row "  ratio to conntrack -L" "1.00" "$(ratio "$JSON_TIME" "$CT_TIME")" "" ""
  row "memory, MB (RSS)" "$((CT_KB / 1024)) peak" "$((JSON_KB / 1024)) peak" "" ""
  row "  per flow, B (RSS delta/N)" "-" "$(per_flow "$JSON_KB" "$BASE_JSON" "$n")" "" ""
  echo "  verdicts: flows = kernel's: $([ "$JSON_SHOWN" = "$JSON_KERNEL" ] && echo met || echo "NOT met")," \
    "<= 1.2x conntrack -L: $(verdict "$(ratio "$JSON_TIME" "$CT_TIME")" 1.2)," \
    "<= 256 B per flow: $(verdict "$(per_flow "$JSON_KB" "$BASE_JSON" "$n")" 256)"
}

run_n() {
  local n=$1 made
  fresh_netns
  made=$(netns_exec "$UDP_FLOWS" "$n" 1 2)
  MAKE_TIME=${made#* }
  KERNEL=$(netns_exec conntrack -C)
  measure_conntrack
  if [ "$MEMORY" = 1 ]; then
    measure_memory "$n"
    return
  fi
  measure_json
  if [ "$JSON_ONLY" = 1 ]; then
    report_json_only "$n"
    return
  fi
  measure_daemon "$n"
  measure_record
  measure_tui
  report_n "$n"
  # bench/tui is a sibling package (no edge between benchmarks): its
  # latency_bench runs when built beside this one (bazel build -c opt
  # //bench/tui:latency_bench), as bazel-bin/bench/tui/latency_bench.
  if [ "$MODEL" = 1 ]; then
    echo "  the TUI's model directly (bench/tui:latency_bench $n flows, 1000 events/s, 50 keys):"
    if [ -x "$LATENCY" ]; then
      "$LATENCY" "$n" 1000 50 2>&1 | sed 's/^/    /'
    else
      echo "    not built: bazel build -c opt //bench/tui:latency_bench (or --no-model)"
    fi
  fi
}

# The flows a TUI shows (ours: the header's "flows N/M", M; netsniff-ng's:
# "flows(N)"), then the kernel's count right after, on one line.
churn_counts() {
  local name=$1 shown kernel
  if [ "$name" = peer ]; then
    shown=$(screen | sed -n 's/.*flows(\([0-9]*\)).*/\1/p' | head -n 1)
  else
    shown=$(tui_counts | awk '{ print $2 }')
  fi
  kernel=$(netns_exec conntrack -C -p tcp 2>/dev/null || netns_exec conntrack -C)
  echo "${shown:-?} $kernel"
}

# Connections per second tcp_churn made between two of its progress lines
# ("ELAPSED MADE FAILED").
churn_rate() {
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
    if (y[1] > x[1]) printf "%.0f", (y[2] - x[2]) / (y[1] - x[1]); else print "?" }'
}

# The kernel's conntrack events per second in the namespace, counted by a
# listener of its own over 3 s (conntrack -E, 32 MB buffer).
events_per_second() {
  local n
  n=$(timeout 3 $NETNS_EXEC conntrack -E -b 33554432 2>/dev/null | wc -l)
  awk -v n="$n" 'BEGIN { printf "%.0f", n / 3 }'
}

# Conntrack entries of the whole host, every namespace (the nf_conntrack
# slab's active objects): a dump walks all of them, whichever namespace asks,
# so another benchmark's million flows make each of our dumps ~0.4 s of CPU.
host_conntrack_entries() {
  awk '$1 == "nf_conntrack" { print $2 }' /proc/slabinfo 2>/dev/null || echo "?"
}

# One TUI under churn: CPU over the window, memory, the churn's real rate
# and the kernel's events/s, the flows shown at its end; then the churn
# stops, the kernel's flows expire (CLOSE: 10 s) and the flows shown are
# compared again on a table that no longer moves.
measure_churn_one() {
  local name=$1 cmd=$2 pid churn_pid r0 r1
  fresh_netns
  $NETNS_EXEC "$TCP_CHURN" "$CHURN_RATE" $((CHURN_SECONDS + 30)) >"$WORK/churn.$name" &
  churn_pid=$!
  NETNS_PIDS+=("$churn_pid")
  sleep 5
  pid=$(tmux_start "$NETNS_EXEC $cmd")
  NETNS_PIDS+=("$pid")  # killed by netns_cleanup too, should the run be interrupted
  sleep 5
  r0=$(tail -n 1 "$WORK/churn.$name")
  C_HOST=$(host_conntrack_entries)
  C_CPU=$(cpu_percent "$pid" "$CHURN_SECONDS")
  r1=$(tail -n 1 "$WORK/churn.$name")
  C_KB=$(rss_kb "$pid")
  C_RATE=$(churn_rate "$r0" "$r1")
  read -r C_SHOWN C_KERNEL <<<"$(churn_counts "$name")"
  C_EVENTS=$(events_per_second)
  kill "$churn_pid" 2>/dev/null
  wait "$churn_pid" 2>/dev/null
  sleep 15
  netns_exec conntrack -L >/dev/null 2>&1  # evicts what expired, as a dump does
  sleep 3
  read -r C_SETTLED C_SETTLED_KERNEL <<<"$(churn_counts "$name")"
  tmux_stop "$pid"
  netns_cleanup
}

# Ours with --no-bpf (sock_diag and /proc only) and in its default mode
# (eBPF attribution), then netsniff-ng's: one after the other, same load.
run_churn() {
  local -A r cmd=([ours]="$FLOWTOP -T -n -G --no-bpf" [bpf]="$FLOWTOP -T -n -G"
                  [peer]="$PEER -T -n -G")
  local name
  for name in ours bpf peer; do
    measure_churn_one "$name" "${cmd[$name]}"
    r[$name.cpu]=$C_CPU; r[$name.kb]=$C_KB; r[$name.shown]=$C_SHOWN; r[$name.kernel]=$C_KERNEL
    r[$name.rate]=$C_RATE; r[$name.events]=$C_EVENTS
    r[$name.settled]=$C_SETTLED; r[$name.settled_kernel]=$C_SETTLED_KERNEL
    r[$name.host]=$C_HOST
  done
  local crow='  %-26s %14s %14s %12s %10s %10s\n'
  mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
  echo
  echo "== churn: $CHURN_RATE new TCP connections/s asked (connect, accept, reset), ${CHURN_SECONDS}s window, one after the other =="
  printf "$crow" "" "ours --no-bpf" "ours (eBPF)" "netsniff-ng" "ratios" "target"
  printf "$crow" "CPU, % of a core" "${r[ours.cpu]}" "${r[bpf.cpu]}" "${r[peer.cpu]}" \
    "$(ratio "${r[ours.cpu]}" "${r[peer.cpu]}")/$(ratio "${r[bpf.cpu]}" "${r[peer.cpu]}")" "<= 0.10"
  printf "$crow" "memory, MB (RSS)" "$(mb "${r[ours.kb]}")" "$(mb "${r[bpf.kb]}")" "$(mb "${r[peer.kb]}")" \
    "$(ratio "${r[ours.kb]}" "${r[peer.kb]}")/$(ratio "${r[bpf.kb]}" "${r[peer.kb]}")" "<= 2.00"
  for f in rate:"connections/s made" events:"kernel events/s" host:"host's conntrack entries" \
           shown:"flows shown" \
           kernel:"kernel's TCP flows then" settled:"after: flows shown" \
           settled_kernel:"after: kernel's TCP flows"; do
    printf "$crow" "${f#*:}" "${r[ours.${f%%:*}]}" "${r[bpf.${f%%:*}]}" "${r[peer.${f%%:*}]}" "" ""
  done
  echo "  (connections/s: tcp_churn's own count over the window; events/s: conntrack -E for 3 s after it;"
  echo "   host's entries: /proc/slabinfo, all namespaces, which every dump walks;"
  echo "   after: 18 s after the churn stopped and its flows expired, a table that no longer moves)"
  local v
  for name in ours bpf; do
    v="shows every flow after the churn: $([ "${r[$name.settled]}" = "${r[$name.settled_kernel]}" ] && echo met || echo "NOT met")"
    echo "  verdicts ($name): CPU <= 1/10 of netsniff-ng's: $(verdict "$(ratio "${r[$name.cpu]}" "${r[peer.cpu]}")" 0.1);" \
      "memory <= 2x: $(verdict "$(ratio "${r[$name.kb]}" "${r[peer.kb]}")" 2); $v;" \
      "under churn ${r[$name.shown]} of ${r[$name.kernel]} (read a moment apart)"
  done
}

# --memory: memory per flow in every mode that holds flows (issue 12: at
# most 256 B, the kernel's own nf_conntrack entry). Each figure is the RSS
# above the same mode's RSS with no flows, divided by N; the commands that
# exit (--json, --batch, record) by their peak RSS, the TUIs by their RSS
# once the whole table is shown.

# The TUI in tmux running "$@": waits until its header says at least WANT
# flows and no "loading", or its count stood still for 2 minutes (at most
# 30 min); echoes its RSS in kB and the flows it showed.
tui_rss() {
  local want=$1 pid kb=0 shown total=0 loading last=-1 still=0
  shift
  pid=$(tmux_start "$NETNS_EXEC $*")
  for _ in $(seq 36000); do
    read -r shown total loading <<<"$(tui_counts)"
    if screen | grep -q 'flows [0-9]*/'; then
      if [ "$loading" = 0 ] && [ "$total" -ge "$want" ]; then break; fi
      if [ "$total" = "$last" ]; then still=$((still + 1)); else still=0; last=$total; fi
      [ "$still" -ge 2400 ] && break
    fi
    sleep 0.05
  done
  sleep 1  # let the first full frame settle
  kb=$(rss_kb "$pid")
  tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
  echo "$kb $total"
}

# Peak RSS in kB of "$@" in the namespace, its stdout thrown away.
peak_kb() {
  /usr/bin/time -o "$WORK/peak.time" -f '%M' $NETNS_EXEC "$@" >/dev/null 2>"$WORK/peak.err"
  tail -n 1 "$WORK/peak.time"
}

# flowtopd on 127.0.0.1 in the namespace: sets REMOTE_PID and REMOTE_PORT.
start_flowtopd() {
  local line
  rm -f "$WORK/r.out"
  mkfifo "$WORK/r.out"
  $NETNS_EXEC "$FLOWTOPD" --listen 127.0.0.1:0 --node-name scale -n -G --no-bpf >"$WORK/r.out" 2>"$WORK/r.err" &
  REMOTE_PID=$!
  NETNS_PIDS+=("$REMOTE_PID")
  exec 9<"$WORK/r.out"
  REMOTE_PORT=0
  read -r -t 60 -u 9 line && REMOTE_PORT=${line##*:}
  cat <&9 >/dev/null &
}
stop_flowtopd() {
  kill "$REMOTE_PID" 2>/dev/null; wait "$REMOTE_PID" 2>/dev/null
  exec 9<&-
}

# A recording of the namespace's flows into FILE with flowtop record (one
# keyframe, at the start): stopped (SIGINT) once at least MIN_SECONDS have
# passed and the file grew by less than 64 KiB over 5 s (the initial dump
# written; idle flows send nothing more). Echoes its peak RSS in kB.
record_kb() {
  local bin=$1 file=$2 min_seconds=$3 pid size last=-1 t=0 kb=0
  rm -f "$file"
  $NETNS_EXEC "$bin" record -o "$file" --keyframe-interval 10h -q >/dev/null 2>"$WORK/rec.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && [ "$t" -lt 3600 ]; do
    sleep 5
    t=$((t + 5))
    kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "$kb")
    size=$(stat -c %s "$file" 2>/dev/null || echo 0)
    [ "$t" -ge "$min_seconds" ] && [ "$last" -ge 0 ] && [ $((size - last)) -lt 65536 ] && break
    last=$size
  done
  kill -INT "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo "$kb"
}

# Sets M_<mode>_<tag> (kB) and prints it at once (a run cut short keeps
# what it measured).
note_kb() {
  printf -v "M_$1_$2" '%s' "$3"
  echo "  measured: $1 $2 ${3} kB${4:+ ($4 flows shown)}"
}

# Every flowtop mode with binary BIN over the namespace's flows, waiting
# for WANT of them (0: the baselines).
flowtop_modes() {
  local bin=$1 tag=$2 want=$3 seconds=$4 kb shown
  read -r kb shown <<<"$(tui_rss "$want" "$bin" -n -G --no-bpf)"
  note_kb TUI "$tag" "$kb" "$shown"
  # -4 -U as in the issue (the default is TCP): every flow is printed.
  note_kb JSON "$tag" "$(peak_kb "$bin" -4 -U -n -G --no-bpf --json --count 1)"
  note_kb BATCH "$tag" "$(peak_kb "$bin" -4 -U -n -G --no-bpf --batch --count 1)"
  start_flowtopd
  netns_exec "$CLIENT" wait "127.0.0.1:$REMOTE_PORT" "$want" 900 >/dev/null
  note_kb D "$tag" "$(rss_kb "$REMOTE_PID")"
  read -r kb shown <<<"$(tui_rss "$want" "$bin" -n --connect "127.0.0.1:$REMOTE_PORT")"
  note_kb REMOTE "$tag" "$kb" "$shown"
  stop_flowtopd
  note_kb RECORD "$tag" "$(record_kb "$bin" "$WORK/rec-$tag.ftr" "$seconds")"
  read -r kb shown <<<"$(tui_rss "$want" "$bin" replay "$WORK/rec-$tag.ftr")"
  note_kb REPLAY "$tag" "$kb" "$shown"
  rm -f "$WORK/rec-$tag.ftr"
}

memory_baselines() {
  fresh_netns
  flowtop_modes "$FLOWTOP" BASE 0 10
  [ -n "$BEFORE" ] && flowtop_modes "$BEFORE" BBASE 0 10
  echo "memory baselines with no flows (kB): TUI $M_TUI_BASE, --json $M_JSON_BASE, --batch $M_BATCH_BASE," \
    "flowtopd $M_D_BASE, --connect $M_REMOTE_BASE, record $M_RECORD_BASE, replay $M_REPLAY_BASE"
  [ -n "$BEFORE" ] && echo "  before ($BEFORE): TUI $M_TUI_BBASE, --json $M_JSON_BBASE," \
    "--batch $M_BATCH_BBASE, --connect $M_REMOTE_BBASE, record $M_RECORD_BBASE, replay $M_REPLAY_BBASE"
}

measure_memory() {
  local n=$1 seconds
  seconds=$(awk -v t="$CT_TIME" 'BEGIN { s = int(t) + 5; print (s < 10 ? 10 : s) }')
  flowtop_modes "$FLOWTOP" NOW "$n" "$seconds"
  [ -n "$BEFORE" ] && flowtop_modes "$BEFORE" WAS "$n" "$seconds"
  echo "  (flowtop record's figure is its peak RSS (VmHWM) while it records)"
  echo
  echo "== memory per flow, $n idle UDP flows (kernel: conntrack -C = $KERNEL) =="
  printf '  %-40s %10s %12s %14s %10s\n' "" "MB (RSS)" "B per flow" "before B/flow" "<= 256 B"
  printf '  %-40s %10s %12s %14s %10s\n' "conntrack -L (peak)" "$((CT_KB / 1024))" \
    "$(per_flow "$CT_KB" 0 "$n")" "" ""
  local mode label now base was bbase
  for mode in D TUI JSON BATCH REMOTE RECORD REPLAY; do
    case $mode in
      D) label="flowtopd" ;;
      TUI) label="flowtop (local TUI)" ;;
      JSON) label="flowtop -4 -U --json --count 1 (peak)" ;;
      BATCH) label="flowtop -4 -U --batch --count 1 (peak)" ;;
      REMOTE) label="flowtop --connect flowtopd" ;;
      RECORD) label="flowtop record (peak)" ;;
      REPLAY) label="flowtop replay (the recording)" ;;
    esac
    now=M_${mode}_NOW base=M_${mode}_BASE was=M_${mode}_WAS bbase=M_${mode}_BBASE
    local before_flow=""
    [ -n "$BEFORE" ] && before_flow=$(per_flow "${!was}" "${!bbase}" "$n")
    printf '  %-40s %10s %12s %14s %10s\n' "$label" "$((${!now} / 1024))" \
      "$(per_flow "${!now}" "${!base}" "$n")" "$before_flow" \
      "$(verdict "$(per_flow "${!now}" "${!base}" "$n")" 256)"
  done
  echo "  (flowtopd is the daemon the --connect TUI read; its figure is the same in both columns' runs)"
}

max_n=$(tr ',' '\n' <<<"$FLOWS" | sort -n | tail -n 1)
need=$((max_n + 200000))
[ "$CHURN_ONLY" = 0 ] && [ "$MAX_BEFORE" -lt "$need" ] && echo "$need" >"$MAX"

echo "scale_bench: $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "CAVEAT: this machine may be shared (other builds and benchmarks run beside this one):"
echo "        absolute times and CPU are noisy; read the ratios to conntrack -L and to netsniff-ng,"
echo "        which were measured in the same run. nf_conntrack_max is $(cat "$MAX") for the run (was $MAX_BEFORE)."
if [ "$CHURN_ONLY" = 1 ]; then
  :
elif [ "$MEMORY" = 1 ]; then
  memory_baselines
else
  baselines
  echo "baselines with no flows (RSS): flowtopd $((BASE_D / 1024)) MB, TUI $((BASE_TUI / 1024)) MB, --json $((BASE_JSON / 1024)) MB peak"
fi
if [ "$CHURN_ONLY" = 0 ]; then
  for n in ${FLOWS//,/ }; do run_n "$n"; done
fi
[ "$CHURN" = 1 ] && run_churn
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
