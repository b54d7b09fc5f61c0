#!/bin/bash
# Builds EventDecoder with clang's libFuzzer and AddressSanitizer (Bazel's
# toolchain here is gcc) and fuzzes it against protobuf's own parser for a
# bounded time, seeded with every event kind, every field on its own and a
# synthetic stream. Fails on
# any difference, crash, leak, overread or timeout that libFuzzer finds.
# Needs: clang, libclang-rt-14-dev, libprotobuf-dev, libabsl-dev.
set -euo pipefail
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
WORK=${TEST_TMPDIR:-$(mktemp -d)}
CXX=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$CXX" ]; then
  echo "event_decoder_fuzz_test: clang++ is missing: apt-get install clang libclang-rt-14-dev" >&2
  exit 1
fi
FLAGS=(-std=c++17 -O1 -g -I. -Iproto)
# shellcheck disable=SC2207
PKG_CFLAGS=($(pkg-config --cflags protobuf absl_strings))
# shellcheck disable=SC2207
PKG_LIBS=($(pkg-config --libs protobuf absl_strings))

"$CXX" "${FLAGS[@]}" "${PKG_CFLAGS[@]}" tests/replay/event_decoder_seeds.cc \
  replay/sample_events.cc proto/flowtop/v1/flowtop.pb.cc "${PKG_LIBS[@]}" -o "$WORK/seeds"
mkdir -p "$WORK/corpus"
"$WORK/seeds" "$WORK/corpus"

"$CXX" "${FLAGS[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  "${PKG_CFLAGS[@]}" tests/replay/event_decoder_fuzzer.cc replay/event_decoder.cc \
  collector/utf8.cc proto/flowtop/v1/flowtop.pb.cc "${PKG_LIBS[@]}" \
  -o "$WORK/event_decoder_fuzzer"

mkdir -p "$WORK/found"
"$WORK/event_decoder_fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$WORK/found/" -print_final_stats=1 \
  "$WORK/corpus" 2>&1 | tail -25
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "event_decoder_fuzz_test: libFuzzer found a failure (exit $status); inputs in $WORK/found" >&2
  exit 1
fi
echo "event_decoder_fuzz_test: no failure in ${FUZZ_SECONDS}s"
