#!/usr/bin/env python3
# Runs the numpy examples (examples/python/fdpass_numpy.py on the standard
# library consumer, fdpass_numpy_gi.py on unixsocketsrc ! fddepay ! appsink)
# as the consumers of fdpass-two-process, and checks:
# - the mean and CRC-32 of every plane's pixels equal those computed here
#   from the same frames written to files by multifilesink (I420 of a width
#   whose rows are padded, parsed with the default layout);
# - inside the consumer process (this script, run as the consumer with
#   --check-stdlib or --check-gi), that each plane array is read-only, owns
#   no data, ends its base chain at the mmap of the received file and
#   shares memory with it, that planes do not overlap, that mappings are
#   unmapped when the frame ends, and (stdlib) that an array kept beyond its
#   frame stays valid, and that every fd is closed.
#
# usage: numpy_consumers.py TWO_PROCESS_BINARY EXAMPLES_PYTHON_DIR
#        numpy_consumers.py --check-stdlib|--check-gi EXAMPLES_PYTHON_DIR
# Exits 77 (skipped) without numpy.

import mmap
import os
import re
import subprocess
import sys
import tempfile
import zlib

from checks import check, finish, open_fds

try:
    import numpy
except ImportError:
    print("numpy is not installed (python3-numpy): skipped")
    sys.exit(77)

N_FRAMES = 12
WIDTH, HEIGHT = 322, 240  # rows of 322 pixels are padded to 324, 164
CAPS = "video/x-raw,format=I420,width=%u,height=%u,framerate=30/1" % (
    WIDTH, HEIGHT)
PATTERN = "ball"


# -- in the consumer process --------------------------------------------------

def reaches_mmap(obj):
    """The mmap object at the end of the base chain of an array, or None:
    arrays have .base, memoryviews .obj."""
    for _ in range(16):
        if isinstance(obj, mmap.mmap):
            return obj
        if isinstance(obj, numpy.ndarray):
            obj = obj.base
        elif isinstance(obj, memoryview):
            obj = obj.obj
        else:
            return None
    return None


def check_arrays(label, arrays):
    maps = [reaches_mmap(a) for a in arrays]
    ok = all(m is not None for m in maps)
    ok = ok and all(not a.flags.owndata and not a.flags.writeable
                    for a in arrays)
    for a, m in zip(arrays, maps if ok else []):
        whole = numpy.frombuffer(m, dtype=numpy.uint8)
        ok = ok and numpy.shares_memory(a, whole)
        del whole
        try:
            a[0, 0] = 1
            ok = False
        except ValueError:
            pass
    ok = ok and not any(numpy.shares_memory(arrays[i], arrays[j])
                        for i in range(len(arrays))
                        for j in range(i + 1, len(arrays)))
    return ok, maps


def consumer_stdlib():
    import fdpass_consumer
    import fdpass_numpy

    fds_before = open_fds()
    sock = fdpass_consumer.socket.socket(fileno=int(os.environ["FDPASS_FD"]))
    state = {"zero_copy": 0, "frames": 0, "maps": [], "kept": None}

    def on_frame(frame):
        arrays = fdpass_numpy.frame_arrays(frame)
        ok, maps = check_arrays("stdlib", arrays)
        state["zero_copy"] += ok
        state["frames"] += 1
        if frame.index == 0:
            y = arrays[0]
            state["kept"] = (y, fdpass_numpy.describe(0, None, "", 0, 0,
                                                      [y]), maps[0])
        else:
            state["maps"].extend(maps)
        print(fdpass_numpy.describe(frame.index, frame.id,
                                    frame.video.format_name,
                                    frame.video.width, frame.video.height,
                                    arrays))

    consumer = fdpass_consumer.Consumer(sock, on_frame=on_frame)
    eos = consumer.run()
    consumer.close_fds()
    sock.close()
    check("stdlib eos", eos, "the consumer got the EOS message")
    check("stdlib zero-copy", state["zero_copy"] == state["frames"] > 0,
          "%u of %u frames: every plane array is read-only, owns no data "
          "and is a view of the mmap" % (state["zero_copy"], state["frames"]))
    check("stdlib unmapped", all(m.closed for m in state["maps"]),
          "the %u mappings of frames 1.. were closed with their frames"
          % len(state["maps"]))
    y, line, m = state["kept"]
    check("stdlib kept array", not m.closed and fdpass_numpy.describe(
        0, None, "", 0, 0, [y]) == line,
          "an array kept beyond its frame still reads the same pixels")
    del y, state["kept"]
    m.close()  # no BufferError: nothing else held the mapping
    del m
    fds_after = open_fds()
    check("stdlib fds", fds_after == fds_before - {int(os.environ["FDPASS_FD"])},
          "every received fd and mmap duplicate was closed (open before: "
          "%s, after: %s)" % (sorted(fds_before), sorted(fds_after)))
    print("received %u frames" % consumer.n_frames)
    finish()


def consumer_gi():
    import fdpass_numpy
    import fdpass_numpy_gi
    from fdpass_numpy_gi import Gst

    Gst.init(None)

    class Args:
        fd, connect = None, None

    pipeline, sink = fdpass_numpy_gi.build_pipeline(Args())
    pipeline.set_state(Gst.State.PLAYING)
    n = zero_copy = 0
    all_maps, refused = [], False
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        frame = fdpass_numpy_gi.FrameArrays(sample)
        ok, maps = check_arrays("gi", frame.arrays)
        zero_copy += ok
        all_maps.extend(maps)
        print(fdpass_numpy.describe(n, None, frame.format_name, frame.width,
                                    frame.height, frame.arrays))
        if n == 0:
            kept = frame.arrays[0]
            try:
                frame.close()
            except RuntimeError:
                refused = True
            del kept
        frame.close()
        n += 1
    pipeline.set_state(Gst.State.NULL)
    check("gi zero-copy", zero_copy == n > 0,
          "%u of %u frames: every plane array is read-only, owns no data and "
          "is a view of the mmap of fddepay's fd" % (zero_copy, n))
    check("gi unmapped", all(m is not None and m.closed for m in all_maps),
          "the %u mappings were closed with their frames" % len(all_maps))
    check("gi kept array", refused,
          "closing a frame while an array of it lives is refused")
    print("received %u frames" % n)
    finish()


# -- the test -----------------------------------------------------------------

def reference_lines():
    """Per frame, the mean and CRC-32 of the pixels of each plane, parsed
    from the raw frames with the default I420 layout (strides rounded up to
    4 bytes)."""
    sizes = [(WIDTH, HEIGHT), ((WIDTH + 1) // 2, (HEIGHT + 1) // 2),
             ((WIDTH + 1) // 2, (HEIGHT + 1) // 2)]
    strides = [(w + 3) & ~3 for w, _ in sizes]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc",
                        "num-buffers=%u" % N_FRAMES, "pattern=" + PATTERN,
                        "!", CAPS, "!", "multifilesink",
                        "location=" + os.path.join(tmp, "f%05d")],
                       check=True, timeout=120)
        for i in range(N_FRAMES):
            with open(os.path.join(tmp, "f%05d" % i), "rb") as f:
                data = f.read()
            means, crcs, offset = [], [], 0
            for (w, h), stride in zip(sizes, strides):
                rows = [data[offset + r * stride:offset + r * stride + w]
                        for r in range(h)]
                crc = 0
                for row in rows:
                    crc = zlib.crc32(row, crc)
                means.append("%.3f" % (sum(map(sum, rows)) / (w * h)))
                crcs.append("%08x" % crc)
                offset += stride * h
            if offset != len(data):
                raise SystemExit("frame %u: %u bytes, not %u: not the "
                                 "expected layout" % (i, len(data), offset))
            lines.append("frame %u I420 %ux%u mean=%s crc32=%s" % (
                i, WIDTH, HEIGHT, ",".join(means), ",".join(crcs)))
    return lines


def run_consumer(two_process, cmd, seqpacket=False):
    args = [two_process, "--pipeline",
            "videotestsrc num-buffers=%u pattern=%s ! %s" % (N_FRAMES,
                                                             PATTERN, CAPS),
            "--consumer-cmd", cmd] + (["--seqpacket"] if seqpacket else [])
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    lines = proc.stdout.splitlines()
    for line in lines:
        if line.startswith(("ok:", "FAIL:")):
            print("  consumer", line)
    if proc.returncode != 0:
        print(proc.stderr)
    return proc.returncode, [re.sub(r" id=\d+", "", l) for l in lines
                             if l.startswith("frame ")], lines


def main():
    two_process, examples = sys.argv[1], sys.argv[2]
    py = sys.executable
    expected = reference_lines()
    check("reference", len(set(expected)) > N_FRAMES // 2,
          "%u distinct frames in %u" % (len(set(expected)), N_FRAMES))

    for seqpacket in (False, True):
        label = "seqpacket" if seqpacket else "stream"
        status, frames, lines = run_consumer(
            two_process, "%s %s" % (py, os.path.join(examples,
                                                      "fdpass_numpy.py")),
            seqpacket)
        check("fdpass_numpy %s" % label,
              status == 0 and frames == expected
              and lines[-1] == "received %u frames" % N_FRAMES,
              "exit %d, the planes' means and CRCs of %u frames equal the "
              "reference" % (status, len(frames)))

    status, frames, _ = run_consumer(two_process, "%s %s --check-stdlib %s" % (
        py, os.path.abspath(__file__), examples))
    check("stdlib in-process checks", status == 0 and frames == expected,
          "exit %d, %u frames as the reference" % (status, len(frames)))

    try:
        import gi
        gi.require_version("GstVideo", "1.0")
        gi.require_version("GstAllocators", "1.0")
        from gi.repository import GstAllocators, GstVideo  # noqa: F401
    except (ImportError, ValueError) as e:
        print("skipped: the GI example: %s" % e)
        finish()

    status, frames, lines = run_consumer(
        two_process, "%s %s" % (py, os.path.join(examples,
                                                 "fdpass_numpy_gi.py")))
    check("fdpass_numpy_gi", status == 0 and frames == expected
          and lines[-1] == "received %u frames" % N_FRAMES,
          "exit %d, the planes' means and CRCs of %u frames equal the "
          "reference" % (status, len(frames)))
    status, frames, _ = run_consumer(two_process, "%s %s --check-gi %s" % (
        py, os.path.abspath(__file__), examples))
    check("gi in-process checks", status == 0 and frames == expected,
          "exit %d, %u frames as the reference" % (status, len(frames)))
    finish()


if __name__ == "__main__":
    if sys.argv[1] in ("--check-stdlib", "--check-gi"):
        sys.path.insert(0, sys.argv[2])
        if sys.argv[1] == "--check-stdlib":
            consumer_stdlib()
        consumer_gi()
    main()
