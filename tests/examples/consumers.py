#!/usr/bin/env python3
# Runs the two-process example with its C consumer (socketsrc ! fddepay) and
# with the standard-library Python consumer, and checks that both read the
# same frames, and that those are the frames videotestsrc makes (CRC-32 of
# each frame written to a file by multifilesink in a third, independent run).
#
# usage: consumers.py TWO_PROCESS_BINARY PYTHON_CONSUMER

import os
import re
import subprocess
import sys
import tempfile
import zlib

N_FRAMES = 40
WIDTH, HEIGHT = 320, 240
PATTERN = "ball"

two_process, py_consumer = sys.argv[1], sys.argv[2]
failures = []


def run(args):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit("%s failed with %d:\n%s" % (args, proc.returncode,
                                                      proc.stderr))
    return proc.stdout.splitlines()


def frame_lines(lines):
    frames = [l for l in lines if l.startswith("frame ")]
    if lines[-1] != "received %u frames" % len(frames):
        raise SystemExit("bad last line %r" % lines[-1])
    return frames


def reference_crcs():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc",
                        "num-buffers=%u" % N_FRAMES, "pattern=" + PATTERN, "!",
                        "video/x-raw,format=I420,width=%u,height=%u,"
                        "framerate=30/1" % (WIDTH, HEIGHT), "!",
                        "multifilesink",
                        "location=" + os.path.join(tmp, "f%05d")],
                       check=True, timeout=120)
        crcs = []
        for i in range(N_FRAMES):
            with open(os.path.join(tmp, "f%05d" % i), "rb") as f:
                crcs.append("%08x" % zlib.crc32(f.read()))
        return crcs


def check(name, cond, what):
    print("%s: %s: %s" % ("ok" if cond else "FAIL", name, what))
    if not cond:
        failures.append(name)


expected = reference_crcs()
check("reference", len(set(expected)) > N_FRAMES // 2,
      "%u distinct CRCs in %u frames" % (len(set(expected)), N_FRAMES))

common = [two_process, "-n", str(N_FRAMES), "--width", str(WIDTH),
          "--height", str(HEIGHT), "--pattern", PATTERN]
for socktype in ([], ["--seqpacket"]):
    label = "seqpacket" if socktype else "stream"
    c_lines = frame_lines(run(common + socktype))
    py_lines = frame_lines(run(common + socktype + [
        "--consumer-cmd", "%s %s" % (sys.executable, py_consumer)]))

    ids = [int(re.search(r" id=(\d+)", l).group(1)) for l in py_lines]
    check(label + " ids", ids == list(range(ids[0], ids[0] + len(ids))),
          "buffer ids %s..%s consecutive" % (ids[0], ids[-1]))
    py_stripped = [re.sub(r" id=\d+", "", l) for l in py_lines]
    check(label + " same lines", py_stripped == c_lines,
          "C and Python consumers printed the same %u frame lines"
          % len(c_lines))
    crcs = [re.search(r"crc32=([0-9a-f]{8})", l).group(1) for l in c_lines]
    check(label + " content", crcs == expected,
          "CRC-32 of every frame equals the reference")

print("%u passed, %u failed" % (3 * 2 + 1 - len(failures), len(failures)))
sys.exit(1 if failures else 0)
