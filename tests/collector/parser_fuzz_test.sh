#!/bin/bash
# Builds the conntrack parser with clang's libFuzzer and AddressSanitizer
# (Bazel's toolchain here is gcc) and fuzzes it for a bounded time, seeded
# with every message captured from the real kernel. Fails on any crash, leak,
# overread or timeout that libFuzzer finds.
# Needs: clang, libclang-rt-14-dev, libmnl-dev, libprotobuf-dev, libabsl-dev.
set -euo pipefail
WORK=${TEST_TMPDIR:-$(mktemp -d)}
# shellcheck source=tests/fuzz/fuzz_lib.sh
source tests/fuzz/fuzz_lib.sh
fuzz_find_clang parser_fuzz_test

# Corpus: one file per captured message.
mkdir -p "$WORK/corpus"
/usr/bin/python3 - "$WORK/corpus" tests/fixtures/netlink/*.nlcap <<'PY'
import os, struct, sys
out = sys.argv[1]
n = 0
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    assert data[:8] == b"FTNLCAP1", path
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack_from("<I", data, pos)
        pos += 4
        open(os.path.join(out, "%s-%d" % (os.path.basename(path), n)), "wb").write(data[pos:pos + length])
        pos += length
        n += 1
print("corpus: %d messages" % n)
PY

# The generated protobuf code is compiled plainly (fuzz_build): with
# sanitizers it took most of this test's 900 s under load.
fuzz_build "$WORK/conntrack_parser_fuzzer" "protobuf absl_status absl_strings libmnl" \
  tests/collector/conntrack_parser_fuzzer.cc collector/conntrack_parser.cc \
  core/flow_key.cc proto/flowtop/v1/flowtop.pb.cc

fuzz_run parser_fuzz_test "$WORK/conntrack_parser_fuzzer" "$WORK/corpus" "$WORK"
