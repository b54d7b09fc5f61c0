#!/usr/bin/env bash
# The README's run command: installs what is missing, builds flowtop, fetches
# the free DB-IP Lite GeoIP databases when none is present, and starts
# flowtop with the given arguments (local mode needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
bazel build --curses=no -c opt //tui:flowtop >&2
# As root the databases go where every user's flowtop looks (/var/lib/GeoIP);
# otherwise into the user's data dir.
geoip_dir=()
[ "$(id -u)" = 0 ] && geoip_dir=(/var/lib/GeoIP)
tools/fetch-geoip.sh "${geoip_dir[@]}" >&2 ||
  echo "run: no GeoIP database; geo columns stay empty (see tools/fetch-geoip.sh)" >&2
flowtop="$(bazel info -c opt bazel-bin 2>/dev/null)/tui/flowtop"
# Local mode reads the kernel's table (CAP_NET_ADMIN): a user goes through
# sudo; --connect, --replay, --help and --version need no root.
case " $* " in
  *" --connect"* | *" --replay"* | *" replay "* | *" -h "* | *" --help "* | *" -v "* | *" --version "*)
    exec "$flowtop" "$@" ;;
esac
source tools/root.sh
sudo=$(root_prefix run) || exit 1
# The databases fetched above are in this user's data dir: keep HOME.
exec $sudo ${sudo:+HOME="$HOME"} "$flowtop" "$@"
