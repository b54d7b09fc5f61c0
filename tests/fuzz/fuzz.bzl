"""The libFuzzer tests' one rule (issue 11: no duplicated logic)."""

def fuzz_test(name, fuzzer, data = []):
    """A libFuzzer test: NAME.sh builds FUZZER with clang's libFuzzer,
    AddressSanitizer and UBSan (outside Bazel's gcc toolchain, through
    tests/fuzz/fuzz_lib.sh) from the sources in DATA and fuzzes it for a
    bounded time (FUZZ_SECONDS, 20 s unless told).

    Args:
      name: the test; its script is NAME.sh.
      fuzzer: the fuzz target's source (LLVMFuzzerTestOneInput).
      data: the sources it builds, seed corpora and dictionaries.
    """
    native.sh_test(
        name = name,
        size = "large",
        timeout = "eternal",  # the clang build takes minutes on a busy machine
        srcs = [name + ".sh"],
        data = [fuzzer, "//tests/fuzz:fuzz_lib.sh"] + data,
    )
