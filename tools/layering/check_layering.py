#!/usr/bin/env python3
"""Checks that package dependencies point one way (docs/packages.md).

Usage: check_layering.py LAYERS_FILE EDGES_FILE

EDGES_FILE is `bazel query --output=graph --nograph:factored` output (or
lines "//a:x //b:y"). Prints one line per violation and exits 1 when a
package depends on one of the same or a higher rank, or when a package has
no rank in LAYERS_FILE; exits 0 and prints a summary otherwise.
"""
import re
import sys


def read_layers(path):
    """Returns [(prefix, recursive, rank)] from the layers file."""
    layers = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            rank = int(line[0])
            for pkg in line[1:]:
                recursive = pkg.endswith("/...")
                layers.append((pkg[:-4] if recursive else pkg, recursive, rank))
    return layers


def rank_of(package, layers):
    """Returns (rank, matched prefix) of the longest match, or (None, None)."""
    best = (None, None)
    for prefix, recursive, rank in layers:
        if package == prefix or (recursive and package.startswith(prefix + "/")):
            if best[1] is None or len(prefix) > len(best[1]):
                best = (rank, prefix)
    return best


def package_of(label):
    """Returns "//pkg" for "//pkg:name", None for external labels."""
    if not label.startswith("//"):
        return None
    return label.split(":", 1)[0]


def read_edges(path):
    edges = set()
    pattern = re.compile(r'^\s*"?([^"\s]+)"?\s*(?:->)?\s*"?([^"\s]+)"?\s*$')
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line in ("digraph mygraph {", "}") or line.startswith(
                    ("node ", "digraph")):
                continue
            m = pattern.match(line)
            if m and m.group(2) != line:
                edges.add((m.group(1), m.group(2)))
    return edges


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    layers = read_layers(argv[1])
    errors = []
    unranked = set()
    packages = set()
    package_edges = set()
    for source, target in read_edges(argv[2]):
        a, b = package_of(source), package_of(target)
        if a is None or b is None:
            continue
        packages.update((a, b))
        if a == b:
            continue
        package_edges.add((a, b))
        ra, _ = rank_of(a, layers)
        rb, _ = rank_of(b, layers)
        for pkg, rank in ((a, ra), (b, rb)):
            if rank is None and pkg not in unranked:
                unranked.add(pkg)
                errors.append("%s has no rank in %s: add it to the line of "
                              "the packages it sits with" % (pkg, argv[1]))
        if ra is None or rb is None:
            continue
        if rb >= ra:
            kind = "sideways" if rb == ra else "upward"
            errors.append("%s edge: %s (rank %d) depends on %s (rank %d) via "
                          "%s -> %s" % (kind, a, ra, b, rb, source, target))
    for line in sorted(errors):
        print(line)
    if errors:
        print("%d layering violation(s); the order is in docs/packages.md"
              % len(errors))
        return 1
    print("layering ok: %d packages, %d package edges, all pointing down"
          % (len(packages), len(package_edges)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
