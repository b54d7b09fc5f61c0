#!/usr/bin/env bash
# check_layering.py on small hand-written graphs: a clean graph passes; an
# upward edge, a sideways edge, a cycle and an unranked package each fail
# with a line that names the edge.
set -uo pipefail
checker="$TEST_SRCDIR/$TEST_WORKSPACE/tools/layering/check_layering.py"
dir="$TEST_TMPDIR"
failures=0

cat >"$dir/layers.txt" <<'LAYERS'
0 //third_party
1 //low //tests/helpers/...
2 //mid //mid2
3 //top //tests/...
LAYERS

# expect NAME RC PATTERN EDGES...: runs the checker on EDGES, checks the
# exit code and that the output matches PATTERN.
expect() {
  local name=$1 rc=$2 pattern=$3
  shift 3
  printf '%s\n' "$@" >"$dir/$name.edges"
  out=$(python3 "$checker" "$dir/layers.txt" "$dir/$name.edges")
  got=$?
  if [ "$got" != "$rc" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $got (want $rc), output:"; echo "$out"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

expect clean 0 "layering ok: 6 packages, 4 package edges" \
  'digraph mygraph {' '  node [shape=box];' \
  '  "//top:app" -> "//mid:lib"' '  "//mid:lib" -> "//low:base"' \
  '  "//low:base" -> "//third_party:absl"' '  "//mid:lib" -> "//mid:other"' \
  '  "//tests/suite:t" -> "//tests/helpers/x:h"' '  "//mid:lib" -> "@system//:absl"' '}'
expect upward 1 'upward edge: //low \(rank 1\) depends on //mid \(rank 2\) via //low:base -> //mid:lib' \
  '"//top:app" -> "//mid:lib"' '"//low:base" -> "//mid:lib"'
expect sideways 1 'sideways edge: //mid \(rank 2\) depends on //mid2 \(rank 2\)' \
  '"//mid:lib" -> "//mid2:lib"'
expect cycle 1 'upward edge: //low .* -> //top:app' \
  '"//top:app" -> "//low:base"' '"//low:base" -> "//top:app"'
expect unranked 1 '//newpkg has no rank' \
  '"//top:app" -> "//newpkg:lib"'
expect longest_prefix 1 'upward edge: //tests/helpers/x \(rank 1\) depends on //tests/suite' \
  '"//tests/helpers/x:h" -> "//tests/suite:t"'

[ "$failures" = 0 ] && echo "all cases passed" || exit 1
