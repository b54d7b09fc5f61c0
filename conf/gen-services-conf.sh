#!/bin/sh
# Regenerates tcp.conf and udp.conf (the original flowtop's "<port>, <name>"
# format) from the IANA names in Debian's /etc/services (package netbase).
# Usage: conf/gen-services-conf.sh [/etc/services] [output dir]
set -eu
services=${1:-/etc/services}
out=${2:-$(dirname "$0")}
[ -r "$services" ] || { echo "gen-services-conf: cannot read $services (apt-get install netbase)" >&2; exit 1; }
for proto in tcp udp; do
  {
    echo "# $proto port -> service name, one \"<port>, <name>\" per line."
    echo "# Generated from $services by conf/gen-services-conf.sh; edit freely:"
    echo "# flowtop reads this file first and falls back to /etc/services."
    awk -v p="$proto" '
      /^[ \t]*#/ || NF < 2 { next }
      { split($2, pp, "/"); if (pp[2] != p) next
        port = pp[1] + 0; if (port in seen) next
        seen[port] = 1; print port ", " $1 }' "$services" | sort -n
  } > "$out/$proto.conf"
done
