#!/usr/bin/env python3
"""Prints 'N passed, N failed' for a `bazel test` run, counting test cases.

Usage: test_summary.py BAZEL_OUTPUT_LOG TESTLOGS_DIR

Bazel's own summary counts targets and CI does not read it. For each test
target named in the log we read its test.xml (gtest writes one case per TEST;
Bazel writes one case for a shell test). A target that failed to build, timed
out or left no fresh result counts as one failure, so nothing that did not
run can pass.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

LINE = re.compile(
    r"^(//\S+)\s+(?:\(cached\)\s+)?(FAILED TO BUILD|PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS|"
    r"INCOMPLETE|REMOTE FAILURE|SKIPPED)\b")


def cases(xml_path):
    root = ET.parse(xml_path).getroot()
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.get("status") == "notrun" or case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def main():
    log, testlogs = sys.argv[1], sys.argv[2]
    passed = failed = 0
    seen = set()
    with open(log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m or m.group(1) in seen:
                continue
            target, status = m.group(1), m.group(2)
            seen.add(target)
            pkg, _, name = target[2:].partition(":")
            xml_path = os.path.join(testlogs, pkg, name, "test.xml")
            if status in ("PASSED", "FAILED", "FLAKY") and os.path.exists(xml_path):
                p, fl = cases(xml_path)
                if status == "FAILED" and fl == 0:
                    fl = 1  # crashed or exited non-zero outside a test case
                if status == "PASSED" and p == 0 and fl == 0:
                    p = 1
                passed += p
                failed += fl
                if fl:
                    print(f"failed: {target}")
            else:
                failed += 1
                print(f"failed: {target} ({status})")
    if not seen:
        print("test_summary: no test results found in the Bazel output", file=sys.stderr)
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
