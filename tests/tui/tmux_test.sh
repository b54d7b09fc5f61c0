#!/bin/bash
# flowtop in a real terminal: tmux runs the program, the test types keys
# with send-keys and reads the screen with capture-pane.
set -uo pipefail
FIXTURE_BIN=$(realpath "$1") FLOWTOP=$(realpath "$2") FLOWS=$(realpath "$3")
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (Debian package tmux)"; exit 1; }
# A short path: unix socket paths are limited to 108 bytes.
DIR=$(mktemp -d /tmp/flowtop-tmux.XXXXXX)
SOCK="$DIR/sock"
T() { tmux -S "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$DIR"' EXIT
failures=0
fail() { echo "FAIL: $*"; echo "--- screen:"; T capture-pane -p -t t 2>/dev/null; failures=$((failures + 1)); }

# Waits (at most 10 s) until the screen shows the fixed string $1. tmux has
# no event for "the screen now shows X", so this polls capture-pane.
expect_screen() {
  local deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    T capture-pane -p -t t | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  fail "screen never showed '$1' ($2)"
  return 1
}
expect_not() {
  T capture-pane -p -t t | grep -qF -- "$1" && fail "screen still shows '$1' ($2)"
}
start() {  # start CMD...: a fresh session running CMD in a shell
  T kill-session -t t 2>/dev/null
  # Seen once on a freshly set-up machine: "server exited unexpectedly"
  # from the first new-session; a second try started normally.
  local try
  for try in 1 2 3; do
    T new-session -d -s t -x 120 -y 30 "bash --norc --noprofile" && break
    echo "tmux new-session failed (try $try)"
    sleep 0.5
  done
  rm -f "$SOCK.stty0" "$SOCK.stty1"
  # The settings after the program are written (whole, by a rename) before
  # EXITED is shown; stty_restored waits for the file, not the screen.
  T send-keys -t t "stty -g > $SOCK.stty0; $*; rc=\$?; stty -g > $SOCK.stty1.new; mv $SOCK.stty1.new $SOCK.stty1; echo EXITED rc=\$rc" Enter
}
# stty_restored WHAT: waits (at most 10 s) for the settings written after the
# program ended and compares them with those from before it started.
stty_restored() {
  local deadline=$((SECONDS + 10))
  while [ ! -e "$SOCK.stty1" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  [ -e "$SOCK.stty1" ] || { fail "no terminal settings written after $1"; return 1; }
  cmp -s "$SOCK.stty0" "$SOCK.stty1" || fail "terminal settings not restored after $1"
}
# The program the session's shell runs (its child): never another test's
# process on a shared machine.
program_pid() {
  local shell
  shell=$(T display-message -p -t t '#{pane_pid}')
  pgrep -P "$shell" | head -1
}

# 1. The table, sorting, filter, processes view, help, detail, quit.
start "LANG=C.UTF-8 TERM=screen $FIXTURE_BIN --replay $FLOWS -TUI"
expect_screen "flows 7/7" "initial table"
expect_screen "firefox-esr" "rows"
expect_screen "münchen.example" "UTF-8 names"

T send-keys -t t '<'
expect_screen "sort BYTES desc" "< moves the sort to BYTES"
expect_screen "BYTESv" "sort mark"
T send-keys -t t 'r'
expect_screen "sort BYTES asc" "r reverses"
# Smallest first now: the SYN_SENT flow (60B) is the first row.
row1=$(T capture-pane -p -t t | sed -n 4p)
grep -q "SYN_SENT" <<<"$row1" || fail "after r the first row is not the 60B flow: $row1"
T send-keys -t t '/'
expect_screen "filter: _" "filter prompt"
T send-keys -t t 'dport 443 and country != DE' Enter
expect_screen "filter: dport 443 and country != DE" "filter applied"
expect_screen "flows 1/7" "filter keeps one flow"
expect_not "firefox-esr" "filtered out (DE)"
T send-keys -t t '/'
expect_screen "filter: dport 443 and country != DE_" "the prompt edits the current filter"
T send-keys -t t C-u 'dport x' Enter
expect_screen "at column 7: expected a port number after 'dport'" "filter error"
T send-keys -t t C-u Enter
expect_screen "flows 7/7" "empty filter clears"
T send-keys -t t Tab
expect_screen "Processes  sort BYTES" "TAB: processes view"
expect_screen "systemd-resolve" "process rows"
T send-keys -t t Tab '?'
expect_screen "press q, Esc or ? to return" "help"
T send-keys -t t q
expect_screen "Flows  sort" "q leaves help"
T send-keys -t t g Enter
expect_screen "flow detail" "Enter: detail"
expect_screen "Original" "detail tuple"
T send-keys -t t Escape
expect_screen "Flows  sort" "Esc leaves detail"
T send-keys -t t ' '
expect_screen "PAUSED" "space pauses"
T send-keys -t t ' ' q
expect_screen "EXITED rc=0" "q quits with 0"
stty_restored "q"

# 2. Resize: the table follows the new size; a tiny window gets a notice.
start "LANG=C TERM=screen $FIXTURE_BIN --replay $FLOWS"
expect_screen "flows 5/7" "default: TCP only"
expect_screen "m?nchen.example" "a non-UTF-8 locale gets ASCII"

T resize-window -t t -x 50 -y 12
expect_screen "RATEv" "narrow screen still shows the rate"
T resize-window -t t -x 30 -y 5
expect_screen "too small 30x5" "tiny screen notice"
T resize-window -t t -x 120 -y 30
expect_screen "GEO" "full width again"
# 3. SIGTERM: quits cleanly and restores the terminal.
T send-keys -t t ''
pid=$(program_pid)
[ -n "$pid" ] || fail "no program running in the session"
kill -TERM "$pid"
expect_screen "EXITED rc=0" "SIGTERM quits cleanly"
stty_restored "SIGTERM"

# 4. Colours, and NO_COLOR.
start "TERM=screen-256color $FIXTURE_BIN --replay $FLOWS"
expect_screen "flows 5/7" "colour run"
T capture-pane -e -p -t t | grep -q $'\e\\[[0-9;]*4[0-7]m' || fail "no background colour without NO_COLOR"
T send-keys -t t q
expect_screen "EXITED rc=0" "quit"
start "NO_COLOR=1 TERM=screen-256color $FIXTURE_BIN --replay $FLOWS"
expect_screen "flows 5/7" "NO_COLOR run"
if T capture-pane -e -p -t t | grep -q $'\e\\[[0-9;]*[34][0-7]m'; then
  fail "colours used although NO_COLOR is set"
fi
T send-keys -t t q
expect_screen "EXITED rc=0" "quit"

# 5. Local mode without CAP_NET_ADMIN: a message, exit 1, terminal intact.
start "setpriv --bounding-set=-net_admin --inh-caps=-net_admin $FLOWTOP"
expect_screen "EXITED rc=1" "unprivileged local mode exits 1"
expect_screen "needs CAP_NET_ADMIN" "says what is missing"
stty_restored "the failed start"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all tmux checks passed"
