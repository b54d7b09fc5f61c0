#!/bin/bash
# The recording commands against good and damaged files: every error is one
# clear line naming the file and the byte offset, partial data is recovered,
# nothing crashes or hangs.
set -u
TOOL="$1"      # flowtop-recording
MAKE="$2"      # make_recording
DIR="${TEST_TMPDIR:-$(mktemp -d)}"
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=1; }

# run NAME EXPECTED_STATUS CMD...: runs with a time limit, keeps out/err.
run() {
  local name="$1" want="$2"; shift 2
  timeout 60 "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "$name: exit status $got, expected $want; stderr: $(cat "$DIR/$name.err")"
  fi
}
expect_err() {  # NAME PATTERN: stderr has PATTERN, on one line
  grep -q -- "$2" "$DIR/$1.err" || fail "$1: stderr lacks '$2': $(cat "$DIR/$1.err")"
}

"$MAKE" "$DIR/good.ftr" 5000 3 || { echo "FAIL: make_recording"; exit 1; }
"$MAKE" "$DIR/plain.ftr" 5000 0 || { echo "FAIL: make_recording"; exit 1; }

# A good file: every event as JSON, a summary, info.
run good_json 0 "$TOOL" replay "$DIR/good.ftr" --json
[ "$(wc -l <"$DIR/good_json.out")" = 5000 ] || fail "good_json: $(wc -l <"$DIR/good_json.out") lines, expected 5000"
[ -s "$DIR/good_json.err" ] && fail "good_json: unexpected stderr: $(cat "$DIR/good_json.err")"
head -1 "$DIR/good_json.out" | grep -q '"type":"NEW"' || fail "good_json: first line is not a NEW event"
grep -q '"bytesPerSecond"' "$DIR/good_json.out" || fail "good_json: no rates in the JSON"
grep -Eq '"srcAddr":"[0-9a-f.:]+"' "$DIR/good_json.out" || fail "good_json: no address as text"
grep -q '"srcIp"' "$DIR/good_json.out" && fail "good_json: base64 address bytes printed"
grep -Eq '"(process|geo|src|dst|enrichment)":\{\}' "$DIR/good_json.out" && fail "good_json: empty object"
run good_summary 0 "$TOOL" replay "$DIR/good.ftr" --summary --top 3
for section in "Top talkers" "Top processes" "Countries" "Protocols" "Flows by final state" "Lost events"; do
  grep -q "$section" "$DIR/good_summary.out" || fail "summary lacks '$section'"
done
grep -q "firefox" "$DIR/good_summary.out" || fail "summary lacks the firefox process"
run good_info 0 "$TOOL" replay "$DIR/good.ftr" --info
grep -q "damage          none" "$DIR/good_info.out" || fail "info reports damage on a good file"
grep -q "events          5000" "$DIR/good_info.out" || fail "info miscounts events: $(cat "$DIR/good_info.out")"

# An empty file.
: >"$DIR/empty.ftr"
run empty 1 "$TOOL" replay "$DIR/empty.ftr" --json
expect_err empty "empty file (0 bytes), not a flowtop recording"
# A file that is not ours.
printf 'hello, I am a text file\n' >"$DIR/text.ftr"
run notours 1 "$TOOL" replay "$DIR/text.ftr" --summary
expect_err notours "not a flowtop recording (no recording signature at byte offset 0)"
# A missing file.
run missing 1 "$TOOL" replay "$DIR/nope.ftr" --json
expect_err missing "cannot open .*nope.ftr: No such file"
# A header from the future (major version 3).
cp "$DIR/good.ftr" "$DIR/future.ftr"
printf '\x03' | dd of="$DIR/future.ftr" bs=1 seek=8 conv=notrunc status=none
run future 1 "$TOOL" replay "$DIR/future.ftr" --json
expect_err future "recording format 3.0 is newer than this flowtop reads (1.x)"
# Each error is exactly one line.
for name in empty notours missing future; do
  [ "$(wc -l <"$DIR/$name.err")" = 1 ] || fail "$name: error is not one line: $(cat "$DIR/$name.err")"
done

# Truncated (a killed recorder): warning with the offset, the rest recovered, exit 0.
size=$(stat -c %s "$DIR/plain.ftr")
head -c $((size - 1000)) "$DIR/plain.ftr" >"$DIR/cut.ftr"
run cut 0 "$TOOL" replay "$DIR/cut.ftr" --json
expect_err cut "byte offset [0-9]*: the file ends inside a block"
lines=$(grep -vc '"type":"LOST"' "$DIR/cut.out")
[ "$lines" -gt 4000 ] && [ "$lines" -lt 5000 ] || fail "cut: recovered $lines events"
grep -q '"source":"RECORDING"' "$DIR/cut.out" || fail "cut: no LOST event in the stream"

# Flipped bytes in the middle: clear message, the rest recovered, exit 1.
cp "$DIR/plain.ftr" "$DIR/flip.ftr"
printf '\xff\xff\xff\xff' | dd of="$DIR/flip.ftr" bs=1 seek=$((size / 2)) conv=notrunc status=none
run flip 1 "$TOOL" replay "$DIR/flip.ftr" --json
expect_err flip "damaged recording: .*byte offset [0-9]*"
expect_err flip "has 1 damaged place (see above); the rest was recovered"
lines=$(grep -vc '"type":"LOST"' "$DIR/flip.out")
[ "$lines" -gt 4500 ] && [ "$lines" -lt 5000 ] || fail "flip: recovered $lines events"
tail -1 "$DIR/flip.out" | grep -q '"seq":"5000"' || fail "flip: the events after the damage are missing"
run flip_summary 1 "$TOOL" replay "$DIR/flip.ftr" --summary
grep -q "RECORDING .* lost" "$DIR/flip_summary.out" || fail "flip_summary: no RECORDING loss in the report"
run flip_info 1 "$TOOL" replay "$DIR/flip.ftr" --info
grep -q "byte offset" "$DIR/flip_info.out" || fail "flip_info: damage not listed"

# Re-recording: filter TCP, compress; the result holds only TCP flows.
run rerecord 0 "$TOOL" record --from "$DIR/plain.ftr" -o "$DIR/tcp.ftr" -T --compress=5 -q
run tcp_json 0 "$TOOL" replay "$DIR/tcp.ftr" --json
grep '"protocol"' "$DIR/tcp_json.out" | grep -vq '"protocol":"TCP"' && fail "tcp_json: non-TCP flows recorded"
grep -q '"protocol":"TCP"' "$DIR/tcp_json.out" || fail "tcp_json: no TCP flows"
run tcp_info 0 "$TOOL" replay "$DIR/tcp.ftr" --info
grep -q "compression     zstd (level 5)" "$DIR/tcp_info.out" || fail "tcp_info: $(cat "$DIR/tcp_info.out")"
# --count stops after N events.
run count 0 "$TOOL" record --from "$DIR/plain.ftr" -o "$DIR/count.ftr" --count 123 -q
run count_json 0 "$TOOL" replay "$DIR/count.ftr" --json
[ "$(wc -l <"$DIR/count_json.out")" = 123 ] || fail "count: $(wc -l <"$DIR/count_json.out") events, expected 123"
# Rotation keeps at most --max-files files.
run rotate 0 "$TOOL" record --from "$DIR/plain.ftr" -o "$DIR/rot.ftr" --max-size 64K --max-files 3 -q
[ -f "$DIR/rot.ftr" ] && [ -f "$DIR/rot.ftr.1" ] && [ -f "$DIR/rot.ftr.2" ] && [ ! -f "$DIR/rot.ftr.3" ] ||
  fail "rotate: files $(ls "$DIR" | grep rot.ftr | tr '\n' ' ')"
run rot_json 0 "$TOOL" replay "$DIR/rot.ftr.1" --json
head -1 "$DIR/rot_json.out" | grep -q '"type":"SNAPSHOT' || fail "rot_json: a rotated file does not start with its table"
# Usage errors: exit 2, one line.
run usage_noout 2 "$TOOL" record --from "$DIR/plain.ftr"
expect_err usage_noout "no output file: use -o FILE"
run usage_speed 2 "$TOOL" replay "$DIR/good.ftr" --json --speed fast
expect_err usage_speed "speed 'fast' is not a positive factor"
run usage_files 2 "$TOOL" record -o "$DIR/x.ftr" --max-files 3
expect_err usage_files "--max-files needs --max-size"

if [ "$FAILED" = 0 ]; then echo "PASS"; fi
exit "$FAILED"
