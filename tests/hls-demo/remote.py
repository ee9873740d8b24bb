#!/usr/bin/env python3
# The main job across hosts, on 127.0.0.1: fdpass-analyze --listen runs as
# the analysis host, fdpass-hls-demo --remote sends it the frames. The
# supervised local process (fdpass-analyze --forward) gets them as memfds
# and forwards them inline over TCP; the analysis host's JSON lines come
# back the same way. The timeline must be the one of the local run (the
# known one, each boundary within 0.2 s), with all 400 frames, and the
# frames must have crossed the TCP connection: the analysis host's
# snapshots are the ones the timeline names.
import os
import re
import subprocess
import sys
import tempfile

from hlsdemo_common import (args_or_skip, check_expected, check_png,
                            describe, finish, load_summary)


def main():
    demo, analyzer = args_or_skip()
    with tempfile.TemporaryDirectory(prefix="hls-demo-remote-") as tmp:
        remote_dir = os.path.join(tmp, "remote")
        server = subprocess.Popen(
            [analyzer, "--listen", "127.0.0.1:0", "--once",
             "--snapshot-dir", remote_dir],
            stderr=subprocess.PIPE, universal_newlines=True)
        try:
            line = server.stderr.readline()
            m = re.search(r"listening on port (\d+)", line)
            if not m:
                print("FAIL: the analysis host said %r" % line)
                return 1
            port = int(m.group(1))
            snapdir = os.path.join(tmp, "snapshots")
            proc = subprocess.run(
                [demo, "--quiet", "--analyzer", analyzer, "--snapshot-dir",
                 snapdir, "--max-restarts", "0",
                 "--remote", "127.0.0.1:%d" % port],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                universal_newlines=True, timeout=120)
            server_status = server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)

        failures = []
        if proc.returncode != 0:
            failures.append("exit status %d" % proc.returncode)
        if server_status != 0:
            failures.append("the analysis host exited with %d"
                            % server_status)
        summary = load_summary(snapdir)
        timeline = summary["timeline"]
        print("timeline: %s; %d frames decoded, %d sent"
              % (describe(timeline), summary["frames_decoded"],
                 summary["frames_sent"]))
        failures += check_expected(timeline)
        if summary["frames_decoded"] != 400 or summary["frames_sent"] != 400:
            failures.append("expected 400 frames, decoded %d, sent %d"
                            % (summary["frames_decoded"],
                               summary["frames_sent"]))
        # the snapshots were written by the analysis host, in its directory
        for e in timeline:
            if (not e["snapshot"] or
                    not e["snapshot"].startswith(remote_dir + os.sep) or
                    not check_png(e["snapshot"])):
                failures.append("snapshot of %s@%.3f is not the analysis "
                                "host's: %s" % (e["state"], e["start"],
                                                e["snapshot"]))
        return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
