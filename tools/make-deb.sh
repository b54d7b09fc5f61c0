#!/bin/bash
# make-deb.sh: lays out flowtop's Debian package and builds it with
# dpkg-deb. tools/package.sh builds the binaries and calls it; the package
# test calls it with the binaries Bazel built for the test.
#
# Usage: tools/make-deb.sh OUT_DIR FLOWTOP FLOWTOPD FLOWTOP_RECORDING CTCAPTURE
# Writes OUT_DIR/flowtop_<version>_<arch>.deb and prints its path.
set -euo pipefail
[ $# = 5 ] || { echo "usage: $0 OUT_DIR FLOWTOP FLOWTOPD FLOWTOP_RECORDING CTCAPTURE" >&2; exit 2; }
out=$1 flowtop=$2 flowtopd=$3 recording=$4 ctcapture=$5
repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
version=$("$flowtop" --version | sed -n '1s/^flowtop //p')
arch=$(dpkg --print-architecture)
root=$(mktemp -d "${TMPDIR:-/tmp}/flowtop-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT

install -d "$root/DEBIAN" "$root/usr/bin" "$root/etc/flowtop" "$root/lib/systemd/system" \
  "$root/usr/share/man/man1" "$root/usr/share/man/man8" "$root/usr/share/flowtop" \
  "$root/usr/share/bash-completion/completions" "$root/usr/share/doc/flowtop"
install -m 755 "$flowtop" "$flowtopd" "$recording" "$ctcapture" "$root/usr/bin/"
install -m 644 "$repo"/conf/{flowtopd,tcp,udp,geoip}.conf "$root/etc/flowtop/"
sed 's|/usr/local/bin/flowtopd|/usr/bin/flowtopd|' "$repo/conf/flowtopd.service" \
  >"$root/lib/systemd/system/flowtopd.service"
for page in "$repo"/docs/man/*.[18]; do
  section=${page##*.}
  gzip -9n <"$page" >"$root/usr/share/man/man$section/$(basename "$page").gz"
done
install -m 644 "$repo/conf/completions/flowtop" "$repo/conf/completions/flowtopd" \
  "$root/usr/share/bash-completion/completions/"
install -m 755 "$repo/tools/fetch-geoip.sh" "$repo/tools/asn-csv-to-mmdb.pl" "$root/usr/share/flowtop/"
cat >"$root/usr/share/doc/flowtop/copyright" <<'COPYRIGHT'
flowtop: a new implementation inspired by netsniff-ng's flowtop (GPL-2.0,
Daniel Borkmann and Tobias Klauser); no code was copied from it.
GeoIP data (fetched at run time by /usr/share/flowtop/fetch-geoip.sh, not
shipped): IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0; AS data
from @ip-location-db/asn (RouteViews, DB-IP, NRO), CC BY 4.0.
COPYRIGHT

# Depends: the Debian packages that ship the shared libraries the binaries use.
depends=$(for bin in "$root"/usr/bin/*; do ldd "$bin"; done |
  awk '/=> \// {print $3}' | sort -u |
  while read -r lib; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null; done |
  cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: flowtop
Version: $version
Architecture: $arch
Maintainer: flowtop developers <flowtop@localhost>
Installed-Size: $size
Depends: $depends
Recommends: nftables, npm, libmaxmind-db-writer-perl, mmdb-bin
Section: net
Priority: optional
Description: top-like view of the connections a Linux host or router carries
 flowtop shows the flows the kernel's connection tracking knows, live, with
 process and PID, reverse DNS, GeoIP, AS numbers, services and protocol
 state; flowtopd serves them over gRPC to several screens and scripts.
CONTROL
(cd "$root/etc" && find flowtop -type f | sed 's|^|/etc/|' | sort) >"$root/DEBIAN/conffiles"
mkdir -p "$out"
deb="$out/flowtop_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "$deb"
