#!/bin/bash
# Builds FlowTopService (request validation, FlowMatcher, the GetFlows
# stream and ListFlows paths) with clang's libFuzzer, AddressSanitizer and
# UBSan (Bazel's toolchain here is gcc) and fuzzes structured GetFlows and
# ListFlows requests through an in-process gRPC channel for a bounded time,
# from the checked-in corpus (wire-form requests and every input that once
# failed). Fails on any crash, leak, overread, unexpected status, unbounded
# allocation or timeout.
# Run longer: bazel test //tests/service:request_fuzz_test --test_env=FUZZ_SECONDS=3600
# Needs: clang, libclang-rt-14-dev, libprotobuf-dev, libgrpc++-dev, libabsl-dev.
set -euo pipefail
WORK=${TEST_TMPDIR:-$(mktemp -d)}
# shellcheck source=tests/fuzz/fuzz_lib.sh
source tests/fuzz/fuzz_lib.sh
fuzz_find_clang request_fuzz_test
# shellcheck disable=SC2046
fuzz_build "$WORK/request_fuzzer" \
  "protobuf grpc++ absl_status absl_statusor absl_strings absl_str_format absl_time absl_synchronization absl_flat_hash_map" \
  tests/service/request_fuzzer.cc service/flowtop_service.cc core/flow_filter.cc \
  core/flow_sort.cc core/stream_filter.cc core/flow_list.cc \
  $(ls core/filters/*.cc | grep -v _test.cc) \
  --plain service/event_ring.cc service/auth_failures.cc proto/flow_text.cc \
  core/pipeline.cc core/flow_table.cc core/flow_key.cc core/flow_record.cc core/string_pool.cc \
  replay/sample_events.cc proto/flowtop/v1/flowtop.pb.cc proto/flowtop/v1/flowtop.grpc.pb.cc
corpus=$(fuzz_corpus tests/service/fuzz/requests "$WORK")
fuzz_run request_fuzz_test "$WORK/request_fuzzer" "$corpus" "$WORK" -malloc_limit_mb=600
