#!/usr/bin/env python3
# Sends hand-made messages to the standard-library consumer
# (examples/python/fdpass_consumer.py), in this process over a socketpair
# with memfds, and checks what it does with each: the frames and planes it
# hands out (views of the mapping, not copies), the video meta it refuses,
# and that no descriptor is left open, whatever the outcome.
#
# usage: consumer_input.py EXAMPLES_PYTHON_DIR

import array
import os
import socket
import struct
import sys
import zlib

sys.path.insert(0, sys.argv[1])
import fdpass_consumer as fc  # noqa: E402

from checks import check, finish, open_fds  # noqa: E402


def message(mtype, payload, n_fds=0):
    return fc.HEADER.pack(fc.MAGIC, mtype, n_fds, 0, len(payload)) + payload


def video_meta(fmt, width, height, offsets, strides, n_planes=None,
               size=None):
    block = fc.VIDEO_META.pack(
        fmt, 0, width, height,
        len(offsets) if n_planes is None else n_planes, 0,
        *(list(offsets) + [0] * (4 - len(offsets))),
        *(list(strides) + [0] * (4 - len(strides))))
    if size is not None:
        block = block[:size]
    return fc.EXT_HEADER.pack(fc.EXT_VIDEO_META, 0, len(block)) + block


def buffer_message(fd, mems, extensions=b"", buf_id=1):
    st = os.fstat(fd)
    payload = fc.BUFFER.pack(buf_id, 0, fc.CLOCK_TIME_NONE,
                             fc.CLOCK_TIME_NONE, 0, 1, 0, 1, len(mems))
    payload += fc.FD_ENTRY.pack(fc.FD_KIND_FILE, 0, st.st_dev, st.st_ino,
                                st.st_size)
    for offset, size in mems:
        payload += fc.MEM_ENTRY.pack(0, 0, offset, size)
    return message(fc.MSG_BUFFER, payload + extensions, 1)


def run(name, contents, mems, extensions, on_frame=None, kept=0):
    """Sends HELLO, one buffer of a memfd holding `contents`, and EOS; runs
    the consumer on them. Returns (error or None, frames seen). `kept`:
    how many mappings on_frame keeps views of, each holding the duplicate
    of its fd that mmap makes."""
    before = open_fds()
    memfd = os.memfd_create("consumer-input", os.MFD_CLOEXEC)
    os.write(memfd, contents)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendall(message(fc.MSG_HELLO, fc.HELLO.pack(1, 2, 0)))
    msg = buffer_message(memfd, mems, extensions)
    a.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                       array.array("i", [memfd]))])
    os.close(memfd)
    a.sendall(message(fc.MSG_EOS, b""))
    a.close()
    seen = []

    def record(frame):
        seen.append(frame)
        if on_frame:
            on_frame(frame)

    consumer = fc.Consumer(b, on_frame=record)
    error = None
    try:
        consumer.run()
    except fc.ProtocolError as e:
        error = str(e)
    consumer.close_fds()
    b.close()
    after = open_fds()
    check(name + ": fds", before <= after and len(after - before) == kept,
          "no descriptor left open but %u (%u before, %u after)"
          % (kept, len(before), len(after)))
    return error, seen


def refused(name, contents, mems, extensions, expect):
    error, seen = run(name, contents, mems, extensions)
    check(name, error is not None and expect in error and not seen,
          "refused with %r" % error)


# an I420 frame of 6x4 pixels with strides 8, 4, 4: Y 32 bytes, U and V
# 8 each, then 16 bytes of other data after the frame in the same file
W, H = 6, 4
Y = bytes(range(32))
U = bytes(range(100, 108))
V = bytes(range(200, 208))
FRAME = Y + U + V
FILE = FRAME + b"\xee" * 16
I420 = video_meta(2, W, H, [0, 32, 40], [8, 4, 4])

# -- frames that are handed out ------------------------------------------------

state = {}


def look(frame):
    planes = [frame.plane(i) for i in range(3)]
    state["planes"] = [(bytes(p.data), p.rows, p.stride, p.row_bytes)
                       for p in planes]
    state["crc"] = zlib.crc32(b"".join(bytes(m) for m in frame.memories))
    state["readonly"] = all(p.data.readonly for p in planes)
    state["is_view"] = all(p.data.obj is frame._maps[0] for p in planes)
    state["maps"] = list(frame._maps)
    state["kept"] = planes[1].data[0:4]  # a view kept beyond the frame


baseline = open_fds()
error, seen = run("valid frame", FILE, [(0, len(FRAME))], I420, look, kept=1)
check("valid frame", error is None and len(seen) == 1
      and seen[0].size == len(FRAME) and state["crc"] == zlib.crc32(FRAME),
      "one frame of %u bytes, CRC of the frame" % len(FRAME))
check("valid frame: planes",
      state["planes"] == [(Y, 4, 8, 6), (U, 2, 4, 3), (V, 2, 4, 3)],
      "plane views hold rows * stride bytes at the meta's offsets")
check("valid frame: views", state["readonly"] and state["is_view"],
      "the planes are read-only views of the mapping")
check("valid frame: kept view", bytes(state["kept"]) == U[:4]
      and not state["maps"][0].closed,
      "a view kept beyond the frame still reads its bytes, so the mapping "
      "stays")
del state["kept"]
state["maps"][0].close()  # no BufferError: nothing else holds it
check("valid frame: released", open_fds() == baseline,
      "once the view is gone the mapping closes its fd")

# a frame in two memories of one file, in reverse order: the contents are
# the memories concatenated, and a plane across both cannot be a view
state.clear()


def look_split(frame):
    state["contents"] = b"".join(bytes(m) for m in frame.memories)
    try:
        frame.plane(0)
        state["plane0"] = "a view"
    except ValueError as e:
        state["plane0"] = str(e)
    state["plane1"] = bytes(frame.plane(1).data)


error, seen = run("two memories", FRAME, [(20, 28), (0, 20)],
                  video_meta(2, W, H, [0, 32, 40], [8, 4, 4]), look_split)
check("two memories", error is None
      and state["contents"] == FRAME[20:] + FRAME[:20],
      "the frame is the memories in table order")
# plane 1 (offset 32) is bytes 4..11 of the second memory, FRAME[0:20]
check("two memories: planes", "spans several memories" in state["plane0"]
      and state["plane1"] == FRAME[4:12],
      "a plane within one memory is a view of it, one across two is "
      "refused: %s" % state["plane0"])

# a format the example does not know is received, without planes
state.clear()
error, seen = run("unknown format", FRAME, [(0, len(FRAME))],
                  video_meta(62, 2, 2, [0], [8]),
                  lambda f: state.update(name=f.video.format_name))
check("unknown format", error is None and len(seen) == 1
      and state.get("name") == "format-62",
      "a frame of format 62 is received (%r)" % state.get("name"))

# -- video meta that is refused ------------------------------------------------

refused("plane past the end", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 32, 44], [8, 4, 4]), "does not fit")
refused("stride below the width", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 32, 40], [4, 4, 4]), "does not fit")
refused("negative stride", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 32, 40], [-8, 4, 4]), "does not fit")
refused("huge offset", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 2 ** 63, 40], [8, 4, 4]), "does not fit")
refused("planes for the format", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 32], [8, 4]), "2 planes for I420")
refused("no planes", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [], [], n_planes=0), "with 0 planes")
refused("five planes", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 32, 40], [8, 4, 4], n_planes=5),
        "with 5 planes")
refused("format 0", FRAME, [(0, len(FRAME))],
        video_meta(0, W, H, [0], [8]), "format 0")
refused("width 0", FRAME, [(0, len(FRAME))],
        video_meta(2, 0, H, [0, 32, 40], [8, 4, 4]), "0x4 pixels")
refused("height 2^31", FRAME, [(0, len(FRAME))],
        video_meta(2, W, 2 ** 31, [0, 32, 40], [8, 4, 4]), "pixels")
refused("short video meta", FRAME, [(0, len(FRAME))],
        video_meta(2, W, H, [0, 32, 40], [8, 4, 4], size=40), "short")
refused("two video metas", FRAME, [(0, len(FRAME))], I420 + I420,
        "a second")
refused("video meta past the payload", FRAME, [(0, len(FRAME))],
        I420[:-8], "truncated extension block 1")
refused("extension header cut", FRAME, [(0, len(FRAME))], b"\x01\x00\x00",
        "truncated extension block")

finish()
