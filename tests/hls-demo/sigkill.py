#!/usr/bin/env python3
# SIGKILL the analysis process in the middle of the stream: the parent
# restarts it, still produces the final timeline, reports the restart and
# ends with as many open file descriptors as it started with.
#
# Runs with --realtime (multisocketsink sync=true) so that "the middle"
# lasts long enough to aim at: about 17 s.
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

from hlsdemo_common import args_or_skip, describe, find_in_order, \
    load_summary

KILL_AT = 5.0  # seconds after the first analyzer started: in the bars


def main():
    demo, analyzer = args_or_skip()
    with tempfile.TemporaryDirectory(prefix="hls-demo-test-") as tmp:
        snapdir = os.path.join(tmp, "snapshots")
        proc = subprocess.Popen([demo, "--quiet", "--realtime",
                                 "--report-fds", "--analyzer", analyzer,
                                 "--snapshot-dir", snapdir],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)
        pids = []
        err_lines = []
        started = threading.Event()
        restarted = threading.Event()

        def read_stderr():
            for line in proc.stderr:
                err_lines.append(line)
                sys.stderr.write(line)
                m = re.search(r"analyzer pid (\d+)", line)
                if m:
                    pids.append(int(m.group(1)))
                    (restarted if len(pids) > 1 else started).set()

        out_chunks = []

        def read_stdout():
            out_chunks.append(proc.stdout.read())

        # one reader per pipe: communicate() would read stderr too and take
        # lines from under read_stderr()
        reader = threading.Thread(target=read_stderr)
        reader.start()
        out_reader = threading.Thread(target=read_stdout)
        out_reader.start()
        failures = []
        killed = None
        if not started.wait(30):
            failures.append("no 'analyzer pid' line")
        else:
            time.sleep(KILL_AT)
            killed = pids[0]
            print("sending SIGKILL to the analyzer, pid %d" % killed)
            os.kill(killed, signal.SIGKILL)
            if not restarted.wait(15):
                failures.append("the analyzer was not restarted")
        try:
            proc.wait(timeout=80)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            failures.append("the demo did not finish")
        reader.join()
        out_reader.join()
        out = "".join(out_chunks)
        sys.stdout.write(out)
        err = "".join(err_lines)

        if proc.returncode != 0:
            failures.append("exit status %d" % proc.returncode)
        fds = [int(n) for n in re.findall(r"open fds at (?:start|end): (\d+)",
                                          err)]
        if len(fds) != 2:
            failures.append("no fd report")
        elif fds[0] != fds[1]:
            failures.append("fd leak: %d open at start, %d at end"
                            % (fds[0], fds[1]))
        if "killed by signal 9" not in err:
            failures.append("the parent did not report the SIGKILL")
        if "Detected timeline" not in out:
            failures.append("no timeline on stdout")
        summary = load_summary(snapdir)
        timeline = summary["timeline"]
        print("timeline: %s; restarts %d; fds %s" %
              (describe(timeline), summary["restarts"], fds))
        if summary["restarts"] < 1 or not summary["restart_log"]:
            failures.append("no restart reported")
        if not summary["eos"]:
            failures.append("the stream did not reach EOS")
        # before the kill: black, bars; after the restart: live, black
        failures += find_in_order(timeline, [("black", 0.0), ("bars", 4.0),
                                             ("live", 8.0),
                                             ("black", 12.0)])
        if any(e["analyzer"] == 0 for e in timeline[2:]):
            failures.append("states after the kill from the killed process")
        # no analysis process left behind
        for pid in pids:
            try:
                os.kill(pid, 0)
                failures.append("analyzer %d still exists" % pid)
            except ProcessLookupError:
                pass
        if failures:
            print("FAIL: " + "; ".join(failures))
            return 1
        print("PASS")
        return 0


if __name__ == "__main__":
    sys.exit(main())
