#!/usr/bin/python3
# Smoke test of the benchmark harness: bench/bench.py --smoke (a few frames
# per row, 640x360, one repetition, pattern black, under every runtime it
# finds) must give a row per runtime, transport and consumer with frames and
# fps above zero, and the fdpay rows must carry fdpay's memfd counters. It
# asserts nothing about speed.
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
        for rt, info in results["runtimes"].items():
            for t in info["transports"]:
                kinds = {"limit-memcpy": ["copy"],
                         "unixsocket-noyield": ["paced"]}.get(
                    t, ["receive", "checksum", "paced"])
                for pat in results["patterns"]:
                    for k in kinds:
                        expected[(rt, pat, t, k)] = None
        if "limit-wakeup" in results["transports"]:
            expected[(None, None, "limit-wakeup", "paced")] = None
        if "1.22" not in results["runtimes"]:
            failures.append("no rows under Debian's GStreamer (1.22)")
        for row in results["runs"]:
            key = (row["runtime"], row["pattern"], row["transport"],
                   row["consumer"])
            if key not in expected:
                failures.append("unexpected row %s" % (key,))
            expected[key] = row
        for key, row in sorted(expected.items(), key=str):
            name = "/".join(str(x) for x in key)
            if row is None:
                failures.append("%s: no result" % name)
            elif row["error"] or not row["frames"] > 0 or not row["fps"] > 0:
                failures.append("%s: frames=%s fps=%s error=%s" % (
                    name, row["frames"], row["fps"], row["error"]))
            elif (key[2] in ("unixsocket", "unixsocket-noyield",
                             "multisocket")
                  and row.get("memfds_per_frame") is None):
                failures.append("%s: fdpay's memfds-created not read" % name)
            else:
                print("ok %s: %d frames" % (name, row["frames"]))
        if r.returncode != 0 and not failures:
            failures.append("bench.py exited with %d" % r.returncode)
        for f in failures:
            print("FAIL " + f)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
