#!/usr/bin/env python3
# The whole main job on the generated stream: fdpass-hls-demo generates
# black 4 s, bars 4 s, moving 4 s, black 4 s, serves it over HTTP, decodes
# it and passes the frames to fdpass-analyze. The detected timeline must
# match the known one, with times from the first frame of the stream (the
# MPEG-TS offset of the segments does not show) and each boundary within
# 0.2 s, with PNG snapshots.
#
# The stream is VOD and multisocketsink runs with sync=false, so the run
# takes as long as decoding and analysing (about a second), not 16 s.
import os
import subprocess
import sys
import tempfile
import time

from hlsdemo_common import (args_or_skip, check_expected, check_png,
                            describe, finish, load_summary)


def main():
    demo, analyzer = args_or_skip()
    with tempfile.TemporaryDirectory(prefix="hls-demo-test-") as tmp:
        snapdir = os.path.join(tmp, "snapshots")
        t0 = time.monotonic()
        proc = subprocess.run([demo, "--quiet", "--analyzer", analyzer,
                               "--snapshot-dir", snapdir],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=90)
        elapsed = time.monotonic() - t0
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        failures = []
        if proc.returncode != 0:
            failures.append("exit status %d" % proc.returncode)
        if "Detected timeline" not in proc.stdout:
            failures.append("no timeline on stdout")
        summary = load_summary(snapdir)
        timeline = summary["timeline"]
        print("timeline: %s; run time %.1f s; %d frames decoded, %d sent"
              % (describe(timeline), elapsed, summary["frames_decoded"],
                 summary["frames_sent"]))
        if not summary["eos"]:
            failures.append("the stream did not reach EOS")
        failures += check_expected(timeline)
        for e in timeline:
            if not e["snapshot"] or not os.path.exists(e["snapshot"]):
                failures.append("missing snapshot for %s@%.3f"
                                % (e["state"], e["start"]))
            elif not check_png(e["snapshot"]):
                failures.append("%s is not a PNG" % e["snapshot"])
        if summary["frames_decoded"] != 400:
            failures.append("expected 400 frames, decoded %d"
                            % summary["frames_decoded"])
        # the analysis process releases what it read: the memfds go round
        transport = summary["transport"]
        print("transport: %d copies, %d memfds created, %d reused"
              % (transport["copies"], transport["memfds_created"],
                 transport["memfds_reused"]))
        if transport["memfds_reused"] < summary["frames_sent"] // 2:
            failures.append("only %d of %d frames went out in a recycled "
                            "memfd" % (transport["memfds_reused"],
                                       summary["frames_sent"]))
        return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
