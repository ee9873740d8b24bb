#!/usr/bin/env python3
# gst-fdpass example: frames from fddepay as numpy arrays, in PyGObject,
# without a copy.
#
# Copyright (C) 2026 gst-fdpass contributors
# SPDX-License-Identifier: LGPL-2.0-or-later
"""Receive frames with unixsocketsrc ! fddepay ! appsink and read their planes as numpy arrays.

The pipeline is

    unixsocketsrc (fd=N | path=PATH) ! fddepay ! appsink

and every plane of every sample becomes a read-only numpy array over the
memfd that fddepay received, mapped read-only by this script: no byte is
copied. The output is that of fdpass_numpy.py without the id= field (the
wire protocol's buffer id stays inside fddepay):

    frame <index> <format> <width>x<height> mean=<per plane> crc32=<per plane>

then `received <n> frames`. fdpay and fddepay must be in GST_PLUGIN_PATH
(`meson devenv -C build` sets it).

Why not Gst.Buffer.map()? Without gst-python's overrides (Debian's
python3-gst-1.0), PyGObject 3.42 returns Gst.MapInfo.data as a bytes
object: a copy of the whole frame. fddepay's memories are file descriptor
memories, so this script asks for the descriptor
(GstAllocators.fd_memory_get_fd) and maps the file itself, read-only, from
the memory's offset. Memory that is not backed by a descriptor (fddepay
reads files that are not sealed memfds instead of mapping them) falls back
to Gst.Buffer.map(), which copies; that is reported once on stderr.

Keep the sample as long as any array of it: once the sample goes,
unixsocketsrc tells the sender (unixsocketsink) that the frame is
released, and the sender may write the next frame into the same memfd.
The FrameArrays context manager below holds the sample and refuses to end
while an array of it is still alive.
"""

import argparse
import mmap
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstAllocators", "1.0")
from gi.repository import Gst, GstAllocators, GstVideo  # noqa: E402

import numpy  # noqa: E402

import fdpass_numpy  # noqa: E402  (describe(), for the same output lines)


class FrameArrays:
    """The planes of one sample as read-only numpy arrays (`arrays`).

    Use it in a `with` block; at its end the mappings are unmapped (and the
    sample dropped, which releases the frame to the sender). Copy what must
    outlive it (`array.copy()`)."""

    copies_reported = False

    def __init__(self, sample):
        self.sample = sample
        self.maps = {}  # fd -> read-only mmap of the file, from offset 0
        buf = sample.get_buffer()
        self._map_files(buf)
        layout = self._layout(sample, buf)
        self.format_name, self.width, self.height, planes = layout
        self.arrays = [self._plane_array(buf, *p) for p in planes]

    @staticmethod
    def _layout(sample, buf):
        """Format, size and, per plane, (offset, rows, stride, row bytes,
        pixel stride): from the buffer's GstVideoMeta, which fddepay adds
        from the wire protocol's, or else from the caps."""
        meta = GstVideo.buffer_get_video_meta(buf)
        if meta is not None:
            fmt, width, height = meta.format, meta.width, meta.height
            offsets, strides = meta.offset, meta.stride
        else:
            info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
            fmt, width, height = info.finfo.format, info.width, info.height
            offsets, strides = info.offset, info.stride
        finfo = GstVideo.VideoFormat.get_info(fmt)
        planes = []
        for i in range(finfo.n_planes):
            # the first component stored in plane i gives its subsampling
            # (gst_video_format_info_component() is not usable from Python:
            # its fixed-size out array crashes PyGObject 3.42)
            comp = next(c for c in range(finfo.n_components)
                        if finfo.plane[c] == i)
            rows = -((-height) >> finfo.h_sub[comp])
            cols = -((-width) >> finfo.w_sub[comp])
            planes.append((offsets[i], rows, strides[i],
                           cols * finfo.pixel_stride[comp],
                           finfo.pixel_stride[comp]))
        return finfo.name, width, height, planes

    def _map_files(self, buf):
        """Maps each file of the buffer's fd memories once, read-only, from
        offset 0 (mmap offsets must be page aligned) to the end of the last
        memory in it. The fd stays the memory's: mmap.mmap works on a
        duplicate of it, closed when the mapping is."""
        ends = {}
        for i in range(buf.n_memory()):
            mem = buf.peek_memory(i)
            if GstAllocators.is_fd_memory(mem):
                fd = GstAllocators.fd_memory_get_fd(mem)
                # a shared GstFdMemory's offset counts from the start of
                # the file: fddepay's parent memory maps the file from 0
                ends[fd] = max(ends.get(fd, 0), mem.offset + mem.size)
        for fd, end in ends.items():
            self.maps[fd] = mmap.mmap(fd, end, mmap.MAP_SHARED,
                                      mmap.PROT_READ)

    def _plane_bytes(self, buf, offset, length):
        """A read-only memoryview of `length` bytes at `offset` in the
        buffer, over a mapping of the file of the memory holding them."""
        found, idx, n_mems, skip = buf.find_memory(offset, length)
        if not found:
            raise ValueError("plane at %u is not in the buffer" % offset)
        mem = buf.peek_memory(idx)
        if n_mems == 1 and GstAllocators.is_fd_memory(mem) \
                and skip + length <= mem.size:
            fd = GstAllocators.fd_memory_get_fd(mem)
            start = mem.offset + skip
            return memoryview(self.maps[fd])[start:start + length]
        if not FrameArrays.copies_reported:
            print("fdpass_numpy_gi: memory without a file descriptor: "
                  "copying it (Gst.Buffer.map)", file=sys.stderr)
            FrameArrays.copies_reported = True
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            raise ValueError("could not map a buffer")
        try:
            return memoryview(bytes(info.data[offset:offset + length]))
        finally:
            buf.unmap(info)

    def _plane_array(self, buf, offset, rows, stride, row_bytes,
                     pixel_stride):
        data = self._plane_bytes(buf, offset, rows * stride)
        # numpy.frombuffer keeps a buffer export of the memoryview, so the
        # mmap cannot be closed while an array of it lives; the slice
        # leaves the row padding out without copying
        pixels = numpy.frombuffer(data, dtype=numpy.uint8).reshape(
            rows, stride)[:, :row_bytes]
        if pixel_stride > 1:
            pixels = pixels.view()
            pixels.shape = (rows, row_bytes // pixel_stride, pixel_stride)
        return pixels

    def close(self):
        self.arrays = []
        for m in self.maps.values():
            try:
                m.close()
            except BufferError:
                raise RuntimeError("an array of a frame outlived it: copy "
                                   "it to keep it (the sender may reuse the "
                                   "memory once the sample is gone)") from None
        self.maps = {}
        self.sample = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def build_pipeline(args):
    pipeline = Gst.Pipeline.new("fdpass-numpy")
    src = Gst.ElementFactory.make("unixsocketsrc", None)
    depay = Gst.ElementFactory.make("fddepay", None)
    sink = Gst.ElementFactory.make("appsink", None)
    if src is None or depay is None or sink is None:
        raise SystemExit("fdpass_numpy_gi: unixsocketsrc, fddepay or appsink "
                         "is missing: is the fdpass plugin in "
                         "GST_PLUGIN_PATH?")
    if args.connect:
        src.set_property("path", args.connect)
    else:
        fd = args.fd if args.fd is not None else os.environ.get("FDPASS_FD")
        if fd is None:
            raise SystemExit("fdpass_numpy_gi: give --fd N, --connect PATH "
                             "or set FDPASS_FD")
        src.set_property("fd", int(fd))  # unixsocketsrc owns it from now on
    sink.set_property("sync", False)
    sink.set_property("max-buffers", 2)  # hold the sender back, not memory
    for e in (src, depay, sink):
        pipeline.add(e)
    src.link(depay)
    depay.link(sink)
    return pipeline, sink


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--fd", type=int,
                       help="connected Unix socket (default: $FDPASS_FD)")
    where.add_argument("--connect", metavar="PATH",
                       help="connect to the unixsocketsink at PATH")
    args = parser.parse_args()

    Gst.init(None)
    pipeline, sink = build_pipeline(args)
    pipeline.set_state(Gst.State.PLAYING)
    n_frames = 0
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:  # EOS or an error
            break
        with FrameArrays(sample) as frame:
            print(fdpass_numpy.describe(n_frames, None, frame.format_name,
                                        frame.width, frame.height,
                                        frame.arrays))
        n_frames += 1

    status = 0
    msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    if msg is not None:
        err, debug = msg.parse_error()
        print("fdpass_numpy_gi: error: %s (%s)" % (err.message, debug),
              file=sys.stderr)
        status = 1
    pipeline.set_state(Gst.State.NULL)
    print("received %u frames" % n_frames)
    return status


if __name__ == "__main__":
    sys.exit(main())
