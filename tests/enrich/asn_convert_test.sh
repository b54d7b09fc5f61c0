#!/bin/bash
# tools/asn-csv-to-mmdb.pl on CSV shaped like @ip-location-db/asn's (quoted
# organisations with commas and quotes, IPv4 and IPv6 ranges that are not
# CIDR blocks, a Teredo row): the database answers with the AS number and
# organisation for IPv4, IPv6 and IPv4-mapped addresses, flowtopd --check
# finds it as the ASN database, and a malformed line stops the conversion
# naming the file and line, writing nothing.
set -u
CONVERT=$(readlink -f "$1"); FLOWTOPD=$(readlink -f "$2")
W="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v mmdblookup >/dev/null || { echo "FAIL: mmdblookup missing (apt-get install mmdb-bin)"; exit 1; }

cat >"$W/asn-ipv4.csv" <<'CSV'
1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
8.8.8.0,8.8.8.200,15169,Google LLC
192.0.2.10,192.0.2.20,64500,"Quote ""Co"""
CSV
cat >"$W/asn-ipv6.csv" <<'CSV'
2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC
2001:db8::,2001:db8:0:ffff:ffff:ffff:ffff:ffff,64496,Documentation AS
CSV
mkdir -p "$W/geo"
out=$(perl "$CONVERT" "$W/geo/asn.mmdb" "$W/asn-ipv4.csv" "$W/asn-ipv6.csv" 2>&1) ||
  fail "conversion failed: $out"
grep -q "4 ranges" <<<"$out" || fail "conversion summary: $out"

# lookup IP FIELD: the value mmdblookup prints for FIELD.
lookup() { mmdblookup --file "$W/geo/asn.mmdb" --ip "$1" "$2" 2>/dev/null | sed -n 's/^ *//; s/ <.*//p' | head -1; }
[ "$(lookup 1.0.0.77 autonomous_system_number)" = 13335 ] || fail "1.0.0.77: $(lookup 1.0.0.77 autonomous_system_number)"
[ "$(lookup 1.0.0.77 autonomous_system_organization)" = '"Cloudflare, Inc."' ] ||
  fail "organisation with a comma: $(lookup 1.0.0.77 autonomous_system_organization)"
[ "$(lookup 8.8.8.200 autonomous_system_number)" = 15169 ] || fail "range end 8.8.8.200"
[ -z "$(lookup 8.8.8.201 autonomous_system_number)" ] || fail "8.8.8.201 is past the range"
[ "$(lookup 192.0.2.15 autonomous_system_organization)" = '"Quote "Co""' ] ||
  fail "quoted quotes: $(lookup 192.0.2.15 autonomous_system_organization)"
[ "$(lookup 2001:db8::1 autonomous_system_number)" = 64496 ] || fail "IPv6 2001:db8::1"
[ "$(lookup ::ffff:8.8.8.8 autonomous_system_number)" = 15169 ] || fail "IPv4-mapped ::ffff:8.8.8.8"

# flowtopd --check sees it as the ASN database.
out=$("$FLOWTOPD" --check -n --geoip-dir "$W/geo" 2>&1)
grep -qE "ok +ASN database +$W/geo/asn.mmdb \(flowtop-ASN" <<<"$out" || fail "--check: $out"

# A malformed line: file and line named, nothing written.
printf '1.0.0.0,1.0.0.255,13335,Ok\nnot,a,line\n' >"$W/bad.csv"
out=$(perl "$CONVERT" "$W/bad.mmdb" "$W/bad.csv" 2>&1); rc=$?
[ $rc != 0 ] || fail "a malformed line was accepted"
grep -q "bad.csv:2: expected start,end,asn,organization" <<<"$out" || fail "malformed line message: $out"
[ ! -e "$W/bad.mmdb" ] || fail "a database was written from a malformed file"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "PASS: CSV ranges become an ASN database flowtop reads"
