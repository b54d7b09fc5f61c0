#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything and
# runs the whole test suite (namespace tests included: run as root), then
# prints "N passed, N failed" counted from the test cases that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
# The namespace tests need root: a user goes through sudo (the whole run,
# so Bazel's cache and the results are root's); root runs as it is.
source tools/root.sh
if [ "$(id -u)" != 0 ]; then
  sudo=$(root_prefix test) || { echo "0 passed, 1 failed"; exit 1; }
  exec $sudo "$PWD/tools/test.sh" "$@"
fi
tools/setup.sh --test || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel test //... --curses=no --color=no --keep_going "$@" 2>&1 | tee "$log"
bazel_rc=${PIPESTATUS[0]}
python3 tools/test_summary.py "$log" "$(bazel info bazel-testlogs 2>/dev/null)"
summary_rc=$?
[ "$bazel_rc" = 0 ] && [ "$summary_rc" = 0 ]
