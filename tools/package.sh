#!/bin/bash
# package.sh: builds flowtop's Debian package (flowtop, flowtopd,
# flowtop-recording, ctcapture, man pages, /etc/flowtop conf files, the
# systemd unit, bash completion) with dpkg-deb.
#
# Usage: tools/package.sh [OUT_DIR]   (default: the current directory)
# Then: sudo apt install ./flowtop_<version>_<arch>.deb
set -euo pipefail
out=$(readlink -f "${1:-.}")
cd "$(dirname "$0")/.."
bazel build --curses=no -c opt //tui:flowtop //service:flowtopd \
  //replay:flowtop-recording //collector:ctcapture >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
exec tools/make-deb.sh "$out" "$bin/tui/flowtop" "$bin/service/flowtopd" \
  "$bin/replay/flowtop-recording" "$bin/collector/ctcapture"
