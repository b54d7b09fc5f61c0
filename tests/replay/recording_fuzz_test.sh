#!/bin/bash
# Builds RecordingReader (header, block framing, checksums, zstd, counts,
# event decoding) with clang's libFuzzer, AddressSanitizer and UBSan
# (Bazel's toolchain here is gcc) and fuzzes it for a bounded time from the
# checked-in corpus (real and synthetic recordings, crafted hostile ones,
# and every input that once failed) with a dictionary of the format's
# magics. Fails on any crash, leak, overread, loop, allocation beyond
# -malloc_limit_mb or timeout.
# Run longer: bazel test //tests/replay:recording_fuzz_test --test_env=FUZZ_SECONDS=3600
# Needs: clang, libclang-rt-14-dev, libprotobuf-dev, libabsl-dev, libzstd-dev.
set -euo pipefail
WORK=${TEST_TMPDIR:-$(mktemp -d)}
# shellcheck source=tests/fuzz/fuzz_lib.sh
source tests/fuzz/fuzz_lib.sh
fuzz_find_clang recording_fuzz_test
fuzz_build "$WORK/recording_fuzzer" \
  "protobuf libzstd absl_status absl_statusor absl_strings absl_synchronization" \
  tests/replay/recording_fuzzer.cc replay/reader.cc replay/format.cc \
  replay/event_decoder.cc replay/crc32c.cc core/utf8.cc \
  proto/flowtop/v1/flowtop.pb.cc proto/flowtop/v1/recording.pb.cc
corpus=$(fuzz_corpus tests/replay/fuzz/recording "$WORK")
fuzz_run recording_fuzz_test "$WORK/recording_fuzzer" "$corpus" "$WORK" \
  -dict=tests/replay/fuzz/recording.dict -malloc_limit_mb=600
