#!/usr/bin/env bash
# A third-party client (Node.js, @grpc/grpc-js + grpc-js-reflection-client,
# reflection only) against the real daemon over the fake source.
# Needs node and tests/service/node/node_modules; the install script runs:
#   (cd tests/service/node && npm ci)
set -uo pipefail
source tests/service/daemon_lib.sh
# node_modules is not a Bazel input (it is git-ignored): find the source tree
# through the runfiles symlink of the test script.
src_dir=$(dirname "$(readlink -f tests/service/node/flowtopd_client_test.js)")
command -v node >/dev/null || { echo "FAIL: node is not installed (apt-get install nodejs npm)"; exit 1; }
if [ ! -d "$src_dir/node_modules/@grpc/grpc-js" ] || \
   [ ! -d "$src_dir/node_modules/grpc-js-reflection-client" ]; then
  echo "FAIL: $src_dir/node_modules is missing; run: (cd tests/service/node && npm ci)"
  exit 1
fi
start_daemon node --listen 127.0.0.1:0 --node-name node-test || exit 1
rc=0
# Once with each reflection protocol: v1alpha (gRPC's own) and v1 (ours).
for version in v1alpha v1; do
  node "$src_dir/flowtopd_client_test.js" "127.0.0.1:$PORT" "$version" || rc=1
done
kill -TERM "$PID"; wait "$PID"
exit $rc
