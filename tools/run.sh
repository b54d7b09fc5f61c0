#!/usr/bin/env bash
# The README's run command: installs what is missing, builds flowtop, fetches
# the free DB-IP Lite GeoIP databases when none is present, and starts
# flowtop with the given arguments (local mode needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
bazel build --curses=no -c opt //tui:flowtop >&2
if [ -x tools/fetch-geoip.sh ]; then
  tools/fetch-geoip.sh || echo "run: no GeoIP database; geo columns stay empty" >&2
fi
exec "$(bazel info -c opt bazel-bin 2>/dev/null)/tui/flowtop" "$@"
