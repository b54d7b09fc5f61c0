#!/bin/bash
# Builds the filter language's parser (tui/filter_expr) with clang's
# libFuzzer, AddressSanitizer and UBSan (Bazel's toolchain here is gcc) and
# fuzzes it for a bounded time from the checked-in corpus (every input that
# once failed stays in it) with a dictionary of the language's words. Fails
# on any crash, leak, overread, disagreement between the match paths or
# timeout. Run longer: FUZZ_SECONDS=3600 bazel test ... --test_env=FUZZ_SECONDS.
# Needs: clang, libclang-rt-14-dev, libprotobuf-dev, libabsl-dev.
set -euo pipefail
WORK=${TEST_TMPDIR:-$(mktemp -d)}
# shellcheck source=tests/fuzz/fuzz_lib.sh
source tests/fuzz/fuzz_lib.sh
fuzz_find_clang filter_expr_fuzz_test
fuzz_build "$WORK/filter_expr_fuzzer" "protobuf absl_status absl_statusor absl_strings" \
  tests/tui/filter_expr_fuzzer.cc tui/filter_expr.cc tui/flow_hot.cc \
  core/flow_filter.cc core/filters/address.cc core/filters/country.cc \
  core/filters/field_match.cc core/filters/hostname.cc core/filters/node.cc \
  core/filters/owner.cc core/filters/port.cc core/filters/protocol.cc \
  core/filters/state.cc \
  --plain tui/format.cc proto/flow_text.cc replay/sample_events.cc \
  proto/flowtop/v1/flowtop.pb.cc
corpus=$(fuzz_corpus tests/tui/fuzz/filter_expr "$WORK")
fuzz_run filter_expr_fuzz_test "$WORK/filter_expr_fuzzer" "$corpus" "$WORK" \
  -dict=tests/tui/fuzz/filter_expr.dict -max_len=4200
