# Shared by the libFuzzer tests (sourced): find clang, run a fuzzer for a
# bounded time and report. Needs: clang, libclang-rt-14-dev.

# Sets CXX to clang++ or fails the test with what to install.
fuzz_find_clang() {  # fuzz_find_clang TEST_NAME
  CXX=$(command -v clang++ || command -v clang++-14 || true)
  if [ -z "$CXX" ]; then
    echo "$1: clang++ is missing: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
  fi
}

# Runs FUZZER over CORPUS for $FUZZ_SECONDS (default 20), with any further
# libFuzzer options (-dict=FILE); exits 1 with the inputs' place when
# libFuzzer found a failure. Every corpus input runs first, so a failure's
# input kept in the seed corpus fails the test until it is fixed.
fuzz_run() {  # fuzz_run TEST_NAME FUZZER CORPUS WORK [OPTION...]
  local name=$1 fuzzer=$2 corpus=$3 work=$4 seconds=${FUZZ_SECONDS:-20}
  shift 4
  mkdir -p "$work/found"
  "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/found/" -print_final_stats=1 "$@" "$corpus" 2>&1 | tail -25
  local status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    echo "$name: libFuzzer found a failure (exit $status); inputs in $work/found" >&2
    exit 1
  fi
  echo "$name: no failure in ${seconds}s"
}

# Builds a libFuzzer binary with AddressSanitizer and UBSan from the
# repository's sources (the working directory is the runfiles root), one
# object per source, as many at once as there are cores. Sources after
# "--plain" (what the target only needs, not what it fuzzes) and the
# generated protobuf code (*.pb.cc) are compiled plainly, without coverage
# or sanitizers: instrumenting them costs minutes and finds nothing of ours.
fuzz_build() {  # fuzz_build OUT "PKG..." SRC... [--plain SRC...]
  local out=$1 pkgs=$2 src plain=0 objs=() jobs=0
  shift 2
  # shellcheck disable=SC2086
  local cflags=(-std=c++17 -I. -Iproto $(pkg-config --cflags $pkgs))
  local fuzzed=(-O1 -gline-tables-only -fsanitize=fuzzer-no-link,address,undefined
                -fno-sanitize-recover=undefined)
  for src in "$@"; do
    if [ "$src" = --plain ]; then plain=1; continue; fi
    if [ "$jobs" -ge "$(nproc)" ]; then
      wait -n || return 1
      jobs=$((jobs - 1))
    fi
    objs+=("$out.${#objs[@]}.o")
    if [ "$plain" = 1 ] || [[ "$src" == *.pb.cc ]]; then
      "$CXX" "${cflags[@]}" -O0 -c "$src" -o "${objs[-1]}" &
    else
      "$CXX" "${cflags[@]}" "${fuzzed[@]}" -c "$src" -o "${objs[-1]}" &
    fi
    jobs=$((jobs + 1))
  done
  while [ "$jobs" -gt 0 ]; do
    wait -n || return 1
    jobs=$((jobs - 1))
  done
  # shellcheck disable=SC2046,SC2086
  "$CXX" -fsanitize=fuzzer,address,undefined "${objs[@]}" \
    $(pkg-config --libs $pkgs) -o "$out"
}

# Copies the checked-in seed corpus (and the inputs of past failures kept as
# regression cases) into a writable directory under WORK; prints its path.
fuzz_corpus() {  # fuzz_corpus SEED_DIR WORK
  mkdir -p "$2/corpus"
  cp "$1"/* "$2/corpus/"
  echo "$2/corpus"
}
