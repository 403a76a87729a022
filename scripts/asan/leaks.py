#!/usr/bin/env python3
"""Attributes the LeakSanitizer reports of scripts/test-asan.sh and fails on ours.

Usage: leaks.py LOG...  (ASan/LSan log files, one per process)

Each leak is attributed by its allocation stack, innermost frame first, skipping the allocator,
the Swift runtime, libc and frames of unloaded modules: the first frame in the project's
Sources/ makes it ours, the first frame in a known library names that library. A leak of ours
that is indirect (reachable only from other leaked blocks) and was allocated under a test class's
`init(name:testClosure:)`, `setUp()` or `setUpWithError()` is a stored property of an XCTestCase
instance, which swift-corelibs-xctest never frees (its XCTestCaseRun objects leak alongside):
it is listed as held by XCTest. Exit status 1 if any log holds an AddressSanitizer error, any other
leak of ours, or a direct leak whose stack names no one; else 0.
"""
import collections
import re
import sys

LIBRARIES = [("libmpi", "Open MPI"), ("libopen-pal", "Open MPI"), ("libopen-rte", "Open MPI"),
             ("mca_", "Open MPI"), ("libpmix", "Open MPI"), ("libhwloc", "Open MPI"), ("libevent", "Open MPI"),
             ("libFoundation", "Foundation"), ("libXCTest", "XCTest"), ("libdispatch", "Dispatch"),
             ("libswiftDispatch", "Dispatch"), ("libopenblas", "OpenBLAS")]
SKIPPED = ("libswiftCore", "libc.so", "libio/", "ld-linux", "<unknown module>", "asan_")


TEST_INSTANCE_SETUP = re.compile(r"C(4name11testClosure|5setUpyyF|14setUpWithErroryyKF)")


def attribute(kind, frames):
    for function, location in frames[1:]:
        if "/Sources/" in location and "/Sources/Fuzz/" not in location:
            site = re.sub(r".*/Sources/", "Sources/", location.split(" ")[0])
            held = kind == "Indirect" and any(TEST_INSTANCE_SETUP.search(f) for f, _ in frames)
            return ("held by XCTest" if held else "ours", site)
        if any(s in location for s in SKIPPED):
            continue
        for key, name in LIBRARIES:
            if key in location:
                return ("third party", name)
    return ("third party", "Swift runtime or unknown")


def main(paths):
    totals, objects = collections.Counter(), collections.Counter()
    errors = []
    for path in paths:
        text = open(path, errors="replace").read()
        errors += re.findall(r"ERROR: AddressSanitizer: .*", text)
        for block in re.split(r"\n(?=(?:Direct|Indirect) leak of)", text):
            m = re.match(r"(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object", block)
            if not m:
                continue
            frames = re.findall(r"#\d+ 0x[0-9a-f]+ in (\S+) (.*)", block)
            key = (m.group(1),) + attribute(m.group(1), frames)
            totals[key] += int(m.group(2))
            objects[key] += int(m.group(3))
    for key, size in sorted(totals.items(), key=lambda kv: (kv[0][1] != "ours", -kv[1])):
        print(f"{size:>9} bytes {objects[key]:>6} objects  {key[0]:8}  {key[1]:15} {key[2]}")
    # A direct leak nobody can be named for (a stack cut short) counts against us too.
    ours = [k for k in totals if k[1] == "ours" or (k[0] == "Direct" and k[2] == "Swift runtime or unknown")]
    for e in errors:
        print(e)
    print(f"{len(paths)} logs: {len(errors)} AddressSanitizer errors, "
          f"{sum(totals.values())} leaked bytes, {sum(totals[k] for k in ours)} of them ours")
    return 1 if errors or ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
