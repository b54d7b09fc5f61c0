#!/bin/bash
# The Debian package: tools/make-deb.sh (what tools/package.sh runs after
# its build) lays it out and dpkg-deb builds it; dpkg installs it into a
# throwaway root (its own dpkg database), the installed flowtop prints its
# version and the installed flowtopd --check runs in a network namespace
# where conntrack tracks; the bash completions complete; dpkg removes it
# (the conf files stay until purged) and purges it.
set -uo pipefail
MAKE_DEB=$(readlink -f "$1"); FLOWTOP=$(readlink -f "$2"); FLOWTOPD=$(readlink -f "$3")
RECORDING=$(readlink -f "$4"); CTCAPTURE=$(readlink -f "$5"); NETNS_SH=$(readlink -f "$6")
source "$NETNS_SH"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
W=$(mktemp -d /tmp/flowtop-pkg.XXXXXX)
trap 'rm -rf "$W"; netns_cleanup' EXIT

deb=$(bash "$MAKE_DEB" "$W/out" "$FLOWTOP" "$FLOWTOPD" "$RECORDING" "$CTCAPTURE" 2>"$W/make.err") ||
  { echo "FAIL: make-deb.sh: $(cat "$W/make.err")"; exit 1; }
[ -s "$deb" ] || { echo "FAIL: no package at '$deb'"; exit 1; }
info=$(dpkg-deb --info "$deb")
grep -q "Package: flowtop" <<<"$info" || fail "control: $info"
grep -qE "Depends: .*libgrpc\+\+1\.51" <<<"$info" || fail "Depends lacks gRPC: $info"
grep -qE "Depends: .*libnftables1" <<<"$info" || fail "Depends lacks libnftables: $info"
contents=$(dpkg-deb --contents "$deb")
for f in usr/bin/flowtop usr/bin/flowtopd usr/bin/flowtop-recording usr/bin/ctcapture \
    usr/share/man/man8/flowtop.8.gz usr/share/man/man8/flowtopd.8.gz \
    usr/share/man/man1/flowtop-record.1.gz usr/share/man/man1/flowtop-replay.1.gz \
    etc/flowtop/flowtopd.conf etc/flowtop/tcp.conf etc/flowtop/udp.conf etc/flowtop/geoip.conf \
    lib/systemd/system/flowtopd.service \
    usr/share/bash-completion/completions/flowtop usr/share/bash-completion/completions/flowtopd \
    usr/share/flowtop/fetch-geoip.sh usr/share/flowtop/asn-csv-to-mmdb.pl usr/share/doc/flowtop/copyright; do
  grep -q " \./$f\$" <<<"$contents" || fail "package lacks $f"
done

# Install into a throwaway root with its own dpkg database.
R="$W/root"
mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info"
touch "$R/var/lib/dpkg/status"
dpkg_r() { dpkg --root="$R" --admindir="$R/var/lib/dpkg" --force-depends --force-not-root "$@"; }
dpkg_r -i "$deb" >"$W/install.log" 2>&1 || fail "dpkg -i: $(cat "$W/install.log")"
grep -q "^/etc/flowtop/flowtopd.conf$" "$R/var/lib/dpkg/info/flowtop.conffiles" ||
  fail "flowtopd.conf is not a conffile"
grep -q "^ExecStart=/usr/bin/flowtopd " "$R/lib/systemd/system/flowtopd.service" ||
  fail "unit: $(grep ExecStart "$R/lib/systemd/system/flowtopd.service")"

out=$("$R/usr/bin/flowtop" --version 2>&1) || fail "installed flowtop --version: $out"
grep -q "^flowtop [0-9]" <<<"$out" || fail "flowtop --version: $out"
grep -q "@ip-location-db/asn" <<<"$out" || fail "--version lacks the ASN attribution: $out"
netns_create || fail "cannot create a network namespace"
out=$(netns_exec "$R/usr/bin/flowtopd" --check -n 2>&1); rc=$?
[ $rc = 0 ] || fail "installed flowtopd --check: exit $rc: $out"
grep -q "ok    conntrack" <<<"$out" || fail "flowtopd --check: $out"

comp=$(bash -c "source '$R/usr/share/bash-completion/completions/flowtop'
  COMP_WORDS=(flowtop --enable); COMP_CWORD=1; _flowtop; echo \"\${COMPREPLY[*]}\"
  source '$R/usr/share/bash-completion/completions/flowtopd'
  COMP_WORDS=(flowtopd --che); COMP_CWORD=1; _flowtopd; echo \"\${COMPREPLY[*]}\"")
grep -qx -- "--enable-conntrack" <<<"$(head -1 <<<"$comp")" || fail "flowtop completion: $comp"
grep -qx -- "--check" <<<"$(tail -1 <<<"$comp")" || fail "flowtopd completion: $comp"

dpkg_r -r flowtop >"$W/remove.log" 2>&1 || fail "dpkg -r: $(cat "$W/remove.log")"
[ ! -e "$R/usr/bin/flowtop" ] || fail "flowtop still installed after dpkg -r"
[ -e "$R/etc/flowtop/flowtopd.conf" ] || fail "dpkg -r removed a conf file (only purge should)"
dpkg_r --purge flowtop >"$W/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$W/purge.log")"
[ ! -e "$R/etc/flowtop/flowtopd.conf" ] || fail "conf files left after purge"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "PASS: the package builds, installs, runs and goes away"
