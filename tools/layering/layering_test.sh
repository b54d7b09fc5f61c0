#!/usr/bin/env bash
# Runs `bazel query` over the whole workspace (a second Bazel with its own
# output base, so it does not wait for the Bazel running this test) and
# checks every package edge against layers.txt with check_layering.py.
# Tagged local: it reads the source tree the runfiles point at.
set -euo pipefail

layers=$(readlink -f "$TEST_SRCDIR/$TEST_WORKSPACE/tools/layering/layers.txt")
checker="$TEST_SRCDIR/$TEST_WORKSPACE/tools/layering/check_layering.py"
root=$(dirname "$(dirname "$(dirname "$layers")")")
[ -f "$root/WORKSPACE" ] || { echo "cannot find the workspace from $layers"; exit 1; }

# Every top-level folder with a BUILD file below it, Bazel's own output
# symlinks (bazel-*) aside.
universe=""
for dir in "$root"/*/; do
  name=$(basename "$dir")
  case "$name" in bazel-*) continue ;; esac
  if [ -n "$(find "$dir" -name BUILD.bazel -print -quit)" ]; then
    universe="${universe:+$universe + }//$name/..."
  fi
done
echo "universe: $universe"

edges="$TEST_TMPDIR/edges.txt"
(cd "$root" && bazel --batch --output_user_root="$TEST_TMPDIR/bazel" \
    query "deps($universe)" --noimplicit_deps --output=graph \
    --nograph:factored --curses=no --color=no >"$edges" 2>"$TEST_TMPDIR/query.log") || {
  cat "$TEST_TMPDIR/query.log"; echo "bazel query failed"; exit 1; }
python3 "$checker" "$layers" "$edges"
