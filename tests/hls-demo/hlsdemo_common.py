# Helpers shared by the fdpass-hls-demo tests (python3 standard library).
import json
import os
import subprocess
import sys

SKIP = 77

EXPECTED = [("black", 0.0), ("bars", 4.0), ("live", 8.0), ("black", 12.0)]


def args_or_skip():
    if len(sys.argv) != 3:
        sys.exit("usage: %s FDPASS-HLS-DEMO FDPASS-ANALYZE" % sys.argv[0])
    demo, analyzer = sys.argv[1], sys.argv[2]
    if not os.access(analyzer, os.X_OK):
        print("SKIP: %s is not built" % analyzer)
        sys.exit(SKIP)
    return demo, analyzer


def load_summary(snapshot_dir):
    with open(os.path.join(snapshot_dir, "summary.json")) as f:
        return json.load(f)


def check_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def find_in_order(timeline, expected, tolerance=1.0, first=0):
    """Each expected (state, start) in order, within tolerance; returns
    the list of problems."""
    problems = []
    pos = first
    for state, start in expected:
        for i in range(pos, len(timeline)):
            e = timeline[i]
            if e["state"] == state and abs(e["start"] - start) <= tolerance:
                pos = i + 1
                break
        else:
            problems.append("no %s at %.1f s (+-%.1f s)" %
                            (state, start, tolerance))
    return problems


def describe(timeline):
    return ", ".join("%s@%.3f" % (e["state"], e["start"]) for e in timeline)
