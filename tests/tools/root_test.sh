#!/bin/bash
# The README's two commands work for root without sudo and for a user with
# sudo: tools/root.sh decides, and tools/test.sh re-runs itself through sudo
# for a user. Runs the real scripts as root and as the user nobody, with a
# PATH that has no sudo, and with a stand-in sudo that records its call.
set -u
ROOT_SH=$(readlink -f "$1"); TEST_SH=$(readlink -f "$2"); RUN_SH=$(readlink -f "$3")
SETUP_SH=$(readlink -f "$4"); README=$(readlink -f "$5")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
[ "$(id -u)" = 0 ] || { echo "FAIL: run as root (it switches to nobody)"; exit 1; }

# A copy the user nobody can read, laid out as the repository.
W=$(mktemp -d /tmp/flowtop-root-test.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/repo/tools" "$W/nosudo" "$W/withsudo"
cp "$ROOT_SH" "$TEST_SH" "$RUN_SH" "$SETUP_SH" "$W/repo/tools/"
chmod -R a+rX "$W"
# PATHs: the system's tools but no sudo; and the same plus a stand-in sudo.
for tool in bash sh id env cat dirname readlink grep mktemp rm python3; do
  p=$(command -v "$tool") && ln -s "$p" "$W/nosudo/$tool"
done
cp -a "$W/nosudo/." "$W/withsudo/"
cat >"$W/withsudo/sudo" <<'SUDO'
#!/bin/bash
echo "sudo called: $*" >"${SUDO_LOG:?}"
exit 0
SUDO
chmod 755 "$W/withsudo/sudo"
touch "$W/sudo.log"; chmod 666 "$W/sudo.log"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# root_prefix: root needs nothing, with or without sudo.
out=$(PATH="$W/nosudo" bash -c "source $W/repo/tools/root.sh; root_prefix x"); rc=$?
[ $rc = 0 ] && [ -z "$out" ] || fail "root without sudo: rc=$rc prefix='$out'"
# A user: sudo when there is one; a clear error when there is none.
out=$(as_nobody env PATH="$W/withsudo" bash -c "source $W/repo/tools/root.sh; root_prefix x"); rc=$?
[ $rc = 0 ] && [ "$out" = sudo ] || fail "user with sudo: rc=$rc prefix='$out'"
err=$(as_nobody env PATH="$W/nosudo" bash -c "source $W/repo/tools/root.sh; root_prefix x" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] || fail "user without sudo: rc=$rc"
grep -q "x: needs root: run it as root, or install sudo" <<<"$err" || fail "user without sudo says: $err"

# tools/test.sh as a user without sudo: one line, a count, exit 1 (not
# "sudo: command not found").
out=$(cd /tmp && as_nobody env PATH="$W/nosudo" bash "$W/repo/tools/test.sh" 2>&1); rc=$?
[ $rc = 1 ] || fail "test.sh as a user without sudo: rc=$rc"
grep -q "test: needs root" <<<"$out" || fail "test.sh as a user without sudo: $out"
[ "$(tail -1 <<<"$out")" = "0 passed, 1 failed" ] || fail "test.sh last line: $out"
grep -q "command not found" <<<"$out" && fail "test.sh: $out"
# As a user with sudo: re-runs itself through sudo with its arguments.
: >"$W/sudo.log"
(cd /tmp && as_nobody env PATH="$W/withsudo" SUDO_LOG="$W/sudo.log" bash "$W/repo/tools/test.sh" --config=x) ||
  fail "test.sh as a user with sudo did not hand over to sudo"
grep -qx "sudo called: $W/repo/tools/test.sh --config=x" "$W/sudo.log" ||
  fail "test.sh through sudo: $(cat "$W/sudo.log")"

# setup.sh and run.sh use the same rule (no bare `sudo` of their own).
grep -q 'root_prefix setup' "$SETUP_SH" || fail "setup.sh does not use root_prefix"
grep -q 'root_prefix run' "$RUN_SH" || fail "run.sh does not use root_prefix"
grep -nE '(^|[^_$a-z])sudo +(apt|bazel|"?\$)' "$SETUP_SH" "$RUN_SH" "$TEST_SH" &&
  fail "a script calls sudo directly"

# The README's two commands work as written for root: no leading sudo.
grep -qx '    tools/run.sh' "$README" || fail "README lacks the command '    tools/run.sh'"
grep -qx '    tools/test.sh' "$README" || fail "README lacks the command '    tools/test.sh'"
grep -qE '^ *sudo tools/(run|test)\.sh' "$README" && fail "README says sudo tools/...sh"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "PASS: root needs no sudo; a user goes through sudo or is told to"
