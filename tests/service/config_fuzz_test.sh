#!/bin/bash
# Builds every configuration reader (flowtopd --config and flowtopd.conf,
# tcp.conf/udp.conf, /etc/services, geoip.conf) with clang's libFuzzer,
# AddressSanitizer and UBSan (Bazel's toolchain here is gcc) and fuzzes them
# for a bounded time from the checked-in corpus (conf/ files and every input
# that once failed) with a dictionary of the option names. Fails on any
# crash, leak, overread, nameless error or timeout.
# Run longer: bazel test //tests/service:config_fuzz_test --test_env=FUZZ_SECONDS=3600
# Needs: clang, libclang-rt-14-dev, libprotobuf-dev, libgrpc++-dev,
# libabsl-dev, libcurl4-openssl-dev, libmaxminddb-dev.
set -euo pipefail
WORK=${TEST_TMPDIR:-$(mktemp -d)}
# shellcheck source=tests/fuzz/fuzz_lib.sh
source tests/fuzz/fuzz_lib.sh
fuzz_find_clang config_fuzz_test
fuzz_build "$WORK/config_fuzzer" \
  "protobuf grpc++ libcurl libmaxminddb absl_status absl_statusor absl_strings absl_str_format absl_time absl_synchronization" \
  tests/service/config_fuzzer.cc service/daemon_config.cc cli/cli_util.cc \
  core/files.cc collector/enrich/services.cc collector/enrich/geoip_update.cc \
  --plain service/event_ring.cc collector/enrich/geoip.cc \
  collector/enrich/country_names.cc collector/enrich/conf_files.cc \
  collector/enrich/npm_package.cc \
  proto/flowtop/v1/flowtop.pb.cc
corpus=$(fuzz_corpus tests/service/fuzz/config "$WORK")
fuzz_run config_fuzz_test "$WORK/config_fuzzer" "$corpus" "$WORK" \
  -dict=tests/service/fuzz/config.dict -malloc_limit_mb=600
