#!/usr/bin/env python3
# The standard-library consumer (examples/python/fdpass_consumer.py) reads
# inline frames over TCP (protocol 1.3): gst-launch-1.0 runs
# `videotestsrc ! fdpay payload=inline ! tcpclientsink` to a socket this
# test listens on, and every frame the consumer hands out must have the
# CRC-32 of the source's frame of the same index (raw frames written by
# filesink), with its video meta and planes; then the command line with
# --tcp against a tcpserversink, and a message that breaks the inline rules.
#
# usage: consumer_tcp.py EXAMPLES_PYTHON_DIR

import os
import socket
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, sys.argv[1])
import fdpass_consumer as fc  # noqa: E402

from checks import check, finish  # noqa: E402

N = 12
CAPS = "video/x-raw,format=I420,width=64,height=48,framerate=30/1"
FRAME = 64 * 48 * 3 // 2


def reference(tmp):
    path = os.path.join(tmp, "ref.raw")
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc",
                    "num-buffers=%d" % N, "pattern=ball", "!", CAPS, "!",
                    "filesink", "location=" + path], check=True)
    with open(path, "rb") as f:
        data = f.read()
    return [zlib.crc32(data[i * FRAME:(i + 1) * FRAME]) for i in range(N)]


def module_over_tcp(ref):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    sender = subprocess.Popen(
        ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=%d" % N,
         "pattern=ball", "!", CAPS, "!", "fdpay", "payload=inline", "!",
         "tcpclientsink", "host=127.0.0.1",
         "port=%d" % server.getsockname()[1]])
    conn, _ = server.accept()
    server.close()
    frames = []

    def on_frame(frame):
        data = b"".join(bytes(m) for m in frame.memories)
        y = frame.plane(0)
        frames.append((zlib.crc32(data), frame.size, y.rows, y.stride,
                       type(frame.memories[0].obj).__name__))

    consumer = fc.Consumer(conn, on_frame=on_frame)
    eos = consumer.run()
    conn.close()
    sender.wait(timeout=30)
    check("eos", eos, "the EOS message arrived")
    check("frames", len(frames) == N, "%d of %d frames" % (len(frames), N))
    check("crcs", [f[0] for f in frames] == ref[:len(frames)],
          "every frame has the source's bytes")
    check("sizes", all(f[1] == FRAME for f in frames), "%d bytes each"
          % FRAME)
    check("planes", all(f[2:4] == (48, 64) for f in frames),
          "the Y plane: 48 rows of 64 bytes, from the video meta")
    check("not mapped", all(f[4] == "bytes" for f in frames),
          "inline frames are the received bytes (%s), nothing is mapped"
          % (frames[0][4] if frames else "-"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def command_line(ref):
    # a live sender that a receiver joins while it runs
    port = free_port()
    sender = subprocess.Popen(
        ["gst-launch-1.0", "-q", "videotestsrc", "is-live=true",
         "num-buffers=60", "pattern=smpte", "!", CAPS, "!", "fdpay",
         "payload=inline", "!", "tcpserversink", "host=127.0.0.1",
         "port=%d" % port])
    listening = False
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            listening = True
            break
        except OSError:
            if sender.poll() is not None:
                break
            time.sleep(0.01)
    check("port", listening, "tcpserversink listens on port %d" % port)
    proc = subprocess.run(
        [sys.executable, os.path.join(sys.argv[1], "fdpass_consumer.py"),
         "--tcp", "127.0.0.1:%d" % port],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    sender.wait(timeout=30)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("frame ")]
    check("cli exit", proc.returncode == 0, "exit status %d, %s"
          % (proc.returncode, proc.stderr.strip()[-200:]))
    check("cli frames", len(lines) >= 10 and all(
        "size=%d" % FRAME in l for l in lines),
        "%d frames of %d bytes after joining" % (len(lines), FRAME))


def hostile():
    # an inline message whose second memory leaves a gap: refused before
    # the consumer waits for its data
    a, b = socket.socketpair()
    mems = (fc.MEM_ENTRY.pack(fc.INLINE_FD_INDEX, 0, 0, 100) +
            fc.MEM_ENTRY.pack(fc.INLINE_FD_INDEX, 0, 200, 100))
    payload = fc.BUFFER.pack(1, 0, fc.CLOCK_TIME_NONE, 0, 0, 0, 0, 0, 2) + mems
    a.sendall(fc.HEADER.pack(fc.MAGIC, fc.MSG_BUFFER, 0,
                             fc.HEADER_FLAG_INLINE, len(payload)) + payload)
    a.close()
    consumer = fc.Consumer(b)
    try:
        consumer.run()
        refused = False
    except fc.ProtocolError as e:
        refused = "not the data after" in str(e)
    b.close()
    check("gap", refused, "a gap between inline memories is an error")


def main():
    with tempfile.TemporaryDirectory(prefix="consumer-tcp-") as tmp:
        ref = reference(tmp)
    module_over_tcp(ref)
    command_line(ref)
    hostile()
    finish()


if __name__ == "__main__":
    main()
