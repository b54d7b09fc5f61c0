#!/bin/bash
# flowtop without a terminal: --batch and --json against a fixture, and the
# errors a user sees for bad flags, a missing file, no privileges and no tty.
set -uo pipefail
FIXTURE_BIN=$1 FLOWTOP=$2 FLOWS=$3 GOLDEN=$4
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --batch: one frame, compared with the expected text.
out=$("$FIXTURE_BIN" --replay "$FLOWS" --batch --count 1 -TUI </dev/null)
rc=$?
[ $rc -eq 0 ] || fail "--batch exit code $rc"
if ! diff -u "$GOLDEN" <(printf '%s\n' "$out"); then fail "--batch frame differs"; fi

# --batch ends by itself when the recording ends (no --count).
out=$(timeout 20 "$FIXTURE_BIN" --replay "$FLOWS" --batch -t 0.2)
[ $? -eq 0 ] || fail "--batch without --count did not end with the recording"
[ "$(grep -c '^flowtop ' <<<"$out")" -ge 1 ] || fail "--batch printed no frame"

# --json: one object per flow, in the view's order and filter.
json=$("$FIXTURE_BIN" --replay "$FLOWS" --json --count 1 -TUI --sort bytes --filter 'dport 443 or proto icmp')
[ $? -eq 0 ] || fail "--json exit code"
[ "$(wc -l <<<"$json")" -eq 3 ] || fail "--json: expected 3 lines, got: $json"
head -1 <<<"$json" | grep -q '"conntrackId":2' || fail "--json: first line is not flow 2 (most bytes): $json"
grep -q '"hostname":"example.org"' <<<"$json" || fail "--json: enrichment missing"
while read -r line; do
  python3 -c 'import json,sys; json.loads(sys.argv[1])' "$line" || fail "--json: not JSON: $line"
done <<<"$json"
# Addresses as text, not base64 bytes; no empty sub-objects.
grep -q '"srcAddr":"2001:db8::5"' <<<"$json" || fail "--json: IPv6 address not as text: $json"
grep -q '"dstAddr":"93.184.216.34"' <<<"$json" || fail "--json: IPv4 address not as text: $json"
grep -q '"srcIp"' <<<"$json" && fail "--json: base64 address bytes printed: $json"
grep -Eq '"(process|geo|src|dst|enrichment)":\{\}' <<<"$json" && fail "--json: empty object: $json"

# Bad flags name the flag; exit code 2.
err=$("$FLOWTOP" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad flag exit code $rc"
grep -q "unknown option '--bogus'" <<<"$err" || fail "bad flag message: $err"
err=$("$FLOWTOP" -t abc 2>&1); [ $? -eq 2 ] || fail "-t abc exit code"
grep -q -- "--interval: 'abc'" <<<"$err" || fail "-t message: $err"
err=$("$FLOWTOP" --filter 'dport 443 and' 2>&1)
grep -q "at column 14: expected a condition after 'and'" <<<"$err" || fail "filter message: $err"

# A missing recording: one line naming the file, exit 1.
err=$("$FIXTURE_BIN" --replay /nonexistent.jsonl --batch 2>&1); rc=$?
[ $rc -eq 1 ] || fail "missing file exit code $rc"
grep -q "/nonexistent.jsonl: cannot open the file" <<<"$err" || fail "missing file message: $err"

# Local mode without privileges: what to do, exit 1.
if command -v setpriv >/dev/null; then
  # Root without CAP_NET_ADMIN (dropped from the bounding set) is what an
  # ordinary user looks like to the kernel here.
  err=$(setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
        "$FLOWTOP" --batch --count 1 2>&1); rc=$?
  [ $rc -eq 1 ] || fail "unprivileged exit code $rc"
  for word in CAP_NET_ADMIN sudo setcap --connect --replay; do
    grep -q -- "$word" <<<"$err" || fail "unprivileged message lacks $word: $err"
  done
else
  fail "setpriv (util-linux) missing"
fi

# The interactive view without a terminal says what to use instead.
err=$("$FIXTURE_BIN" --replay "$FLOWS" </dev/null 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "no-tty exit code $rc"
grep -q -- "--batch" <<<"$err" || fail "no-tty message: $err"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all cli checks passed"
