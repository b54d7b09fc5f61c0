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
# repository's sources (the working directory is the runfiles root). The
# generated protobuf code (*.pb.cc) is compiled plainly, without coverage or
# sanitizers: it is not what is fuzzed, and instrumenting it costs minutes.
fuzz_build() {  # fuzz_build OUT "PKG..." SRC...
  local out=$1 pkgs=$2 src objs=() code=()
  shift 2
  # shellcheck disable=SC2086
  local cflags=(-std=c++17 -I. -Iproto $(pkg-config --cflags $pkgs))
  for src in "$@"; do
    if [[ "$src" == *.pb.cc ]]; then
      objs+=("$out.$(basename "$src").o")
      "$CXX" "${cflags[@]}" -O0 -c "$src" -o "${objs[-1]}"
    else
      code+=("$src")
    fi
  done
  # shellcheck disable=SC2046,SC2086
  "$CXX" "${cflags[@]}" -O1 -gline-tables-only -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined "${code[@]}" "${objs[@]}" \
    $(pkg-config --libs $pkgs) -o "$out"
}

# Copies the checked-in seed corpus (and the inputs of past failures kept as
# regression cases) into a writable directory under WORK; prints its path.
fuzz_corpus() {  # fuzz_corpus SEED_DIR WORK
  mkdir -p "$2/corpus"
  cp "$1"/* "$2/corpus/"
  echo "$2/corpus"
}
