#!/bin/bash
# Builds EventDecoder with clang's libFuzzer and AddressSanitizer (Bazel's
# toolchain here is gcc) and fuzzes it against protobuf's own parser for a
# bounded time, seeded with every event kind, every field on its own and a
# synthetic stream. Fails on any difference, crash, leak, overread or
# timeout that libFuzzer finds.
# Needs: clang, libclang-rt-14-dev, libprotobuf-dev, libabsl-dev.
set -euo pipefail
WORK=${TEST_TMPDIR:-$(mktemp -d)}
# shellcheck source=tests/fuzz/fuzz_lib.sh
source tests/fuzz/fuzz_lib.sh
fuzz_find_clang event_decoder_fuzz_test
# The seed writer only writes files: built quickly, unoptimised.
FLAGS=(-std=c++17 -O0 -I. -Iproto)
# shellcheck disable=SC2207
PKG_CFLAGS=($(pkg-config --cflags protobuf absl_strings))
# shellcheck disable=SC2207
PKG_LIBS=($(pkg-config --libs protobuf absl_strings))

"$CXX" "${FLAGS[@]}" "${PKG_CFLAGS[@]}" tests/replay/event_decoder_seeds.cc \
  replay/sample_events.cc proto/flowtop/v1/flowtop.pb.cc "${PKG_LIBS[@]}" -o "$WORK/seeds"
mkdir -p "$WORK/corpus"
"$WORK/seeds" "$WORK/corpus"

# The generated protobuf code (protobuf's parser is the reference here, not
# the code under test) is compiled plainly (fuzz_build): with sanitizers it
# took most of this test's 900 s under load.
fuzz_build "$WORK/event_decoder_fuzzer" "protobuf absl_strings" \
  tests/replay/event_decoder_fuzzer.cc replay/event_decoder.cc core/utf8.cc \
  proto/flowtop/v1/flowtop.pb.cc

fuzz_run event_decoder_fuzz_test "$WORK/event_decoder_fuzzer" "$WORK/corpus" "$WORK"
