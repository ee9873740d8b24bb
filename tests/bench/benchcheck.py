"""What the unit tests of bench/ share: the directories they get on their
command line ([BENCH_DIR [BUILD_DIR]]), with bench/ made importable, and
their checks, each printed as it passes and listed at the end when it
failed."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = (sys.argv[1] if len(sys.argv) > 1 else
             os.path.join(HERE, "..", "..", "bench"))
BUILD = sys.argv[2] if len(sys.argv) > 2 else None
sys.path.insert(0, BENCH_DIR)

failures = []


def check(what, got, want):
    if got != want:
        failures.append("%s: got %r, want %r" % (what, got, want))
    else:
        print("ok %s" % what)


def finish():
    """Exits, with status 1 when a check failed."""
    for f in failures:
        print("FAIL %s" % f)
    sys.exit(1 if failures else 0)


def bench_rows(key, *options):
    """Runs bench.py --smoke with @options on BUILD, checks that it exits
    with 0, and returns the rows of @key in its results.json."""
    with tempfile.TemporaryDirectory(prefix="bench-test-") as out:
        r = subprocess.run(
            ["/usr/bin/python3", os.path.join(BENCH_DIR, "bench.py"),
             "--smoke", "--no-plot", "--build", BUILD, "--out", out] +
            list(options), timeout=120)
        check("bench.py %s exit status" % " ".join(options), r.returncode, 0)
        with open(os.path.join(out, "results.json")) as f:
            return json.load(f).get(key) or []
