#!/bin/bash
# tools/fetch-geoip.sh without the network: it leaves a present database
# alone, and rejects bad usage with status 2.
set -u
script="$TEST_SRCDIR/$TEST_WORKSPACE/tools/fetch-geoip.sh"
dir="$TEST_TMPDIR/data"
mkdir -p "$dir"
echo "not really a database" > "$dir/city.mmdb"
echo "not really a database" > "$dir/asn.mmdb"
fail=0

out="$(bash "$script" "$dir" 2>&1)"; rc=$?
if [[ $rc -ne 0 || "$out" != *"already present in $dir"* ]]; then
  echo "FAIL: present database: rc=$rc out=$out"; fail=1
fi
if [[ "$(cat "$dir/city.mmdb")" != "not really a database" ]]; then
  echo "FAIL: the present file was touched"; fail=1
fi
out="$(bash "$script" --bogus 2>&1)"; rc=$?
if [[ $rc -ne 2 || "$out" != *"usage:"* ]]; then
  echo "FAIL: bad usage: rc=$rc out=$out"; fail=1
fi
out="$(env -u HOME -u XDG_DATA_HOME bash "$script" 2>&1)"; rc=$?
if [[ $rc -ne 2 || "$out" != *"no data directory"* ]]; then
  echo "FAIL: no HOME: rc=$rc out=$out"; fail=1
fi
[[ $fail -eq 0 ]] && echo "PASS"
exit $fail
