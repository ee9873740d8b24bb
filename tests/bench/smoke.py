#!/usr/bin/python3
# Smoke test of the benchmark harness: bench/bench.py --smoke (a few frames
# per transport, 640x360, one repetition) must give a row per transport and
# consumer with frames and fps above zero. It asserts nothing about speed.
#
# usage: smoke.py [BENCH_PY [BUILD_DIR]]
#        (GST_PLUGIN_PATH must hold the fdpass plugin; BUILD_DIR, the meson
#        build directory, holds the benchmark's probes)

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = (sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(HERE, "..", "..", "bench", "bench.py"))
BUILD = sys.argv[2] if len(sys.argv) > 2 else None


def main():
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as out:
        cmd = ["/usr/bin/python3", BENCH, "--smoke", "--no-plot", "--out", out]
        if BUILD:
            cmd += ["--build", BUILD]
        r = subprocess.run(cmd, timeout=240)
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
        failures = []
        for t, why in results["skipped"].items():
            print("skipped %s: %s" % (t, why))
        expected = {}
        for t in results["transports"]:
            kinds = {"limit-memcpy": ["copy"],
                     "limit-wakeup": ["paced"]}.get(
                         t, ["receive", "checksum", "paced"])
            for k in kinds:
                expected[(t, k)] = None
        for row in results["runs"]:
            expected[(row["transport"], row["consumer"])] = row
        for (t, k), row in sorted(expected.items()):
            if row is None:
                failures.append("%s/%s: no result" % (t, k))
            elif row["error"] or not row["frames"] > 0 or not row["fps"] > 0:
                failures.append("%s/%s: frames=%s fps=%s error=%s" % (
                    t, k, row["frames"], row["fps"], row["error"]))
            else:
                print("ok %s/%s: %d frames" % (t, k, row["frames"]))
        if r.returncode != 0 and not failures:
            failures.append("bench.py exited with %d" % r.returncode)
        for f in failures:
            print("FAIL " + f)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
