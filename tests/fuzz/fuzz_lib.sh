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

# Runs FUZZER over CORPUS for $FUZZ_SECONDS (default 20); exits 1 with the
# inputs' place when libFuzzer found a failure.
fuzz_run() {  # fuzz_run TEST_NAME FUZZER CORPUS WORK
  local name=$1 fuzzer=$2 corpus=$3 work=$4 seconds=${FUZZ_SECONDS:-20}
  mkdir -p "$work/found"
  "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/found/" -print_final_stats=1 "$corpus" 2>&1 | tail -25
  local status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    echo "$name: libFuzzer found a failure (exit $status); inputs in $work/found" >&2
    exit 1
  fi
  echo "$name: no failure in ${seconds}s"
}
