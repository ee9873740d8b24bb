#!/usr/bin/env python3
# gst-fdpass example: received frames as numpy arrays, without a copy.
#
# Copyright (C) 2026 gst-fdpass contributors
# SPDX-License-Identifier: LGPL-2.0-or-later
"""Receive frames like fdpass_consumer.py and read their planes as numpy arrays.

Each plane becomes a read-only array over the read-only mapping of the
received memfd: no byte is copied. For every frame the output is

    frame <index> id=<id> <format> <width>x<height> mean=<per plane> crc32=<per plane>

with the mean and the CRC-32 of the pixels of each plane (without the row
padding), then `received <n> frames`. The socket is given as for
fdpass_consumer.py (--fd N, FDPASS_FD or --connect PATH), e.g.

    fdpass-two-process --consumer-cmd "python3 fdpass_numpy.py"

An array of a plane is 2-D (rows x pixels) for planes of one byte per
pixel and 3-D (rows x pixels x bytes) otherwise, so that a BGRx frame is
the (height, width, 4) array OpenCV takes. Its base chain ends at the
memoryview numpy holds on the mmap object: while an array lives, the frame
stays mapped (and, with unixsocketsink, is not released to the sender).
"""

import sys
import zlib

import numpy

import fdpass_consumer


def plane_array(plane):
    """A read-only array of the pixels of `plane` (a fdpass_consumer.Plane),
    sharing its memory.

    numpy.frombuffer() holds a buffer export of the memoryview for as long
    as the array (or any view of it) lives, so the mapping cannot be
    unmapped under it. (numpy.ndarray(buffer=...) does not: with numpy 1.24
    an array made so crashes once the mmap is closed.)
    """
    rows = numpy.frombuffer(plane.data, dtype=numpy.uint8).reshape(
        plane.rows, plane.stride)
    pixels = rows[:, :plane.row_bytes]  # a view: the padding is left out
    if plane.pixel_stride > 1:
        pixels = pixels.view()
        # setting the shape raises instead of copying if no view can do it
        pixels.shape = (plane.rows, plane.row_bytes // plane.pixel_stride,
                        plane.pixel_stride)
    return pixels


def frame_arrays(frame):
    """The arrays of every plane of `frame`."""
    return [plane_array(frame.plane(i))
            for i in range(frame.video.n_planes)]


def describe(index, buf_id, format_name, width, height, arrays):
    """The output line of a frame (without id= when buf_id is None): the
    mean and the CRC-32 of each plane's
    pixels. The CRC runs over the rows one by one: each row of a plane
    array is contiguous, so zlib reads it in place."""
    crcs = []
    for a in arrays:
        crc = 0
        for row in a:
            crc = zlib.crc32(row, crc)
        crcs.append("%08x" % crc)
    return "frame %u%s %s %ux%u mean=%s crc32=%s" % (
        index, "" if buf_id is None else " id=%u" % buf_id, format_name,
        width, height,
        ",".join("%.3f" % a.mean() for a in arrays), ",".join(crcs))


def print_frame(frame):
    if frame.video is None:
        raise fdpass_consumer.ProtocolError("frame %u has no video meta"
                                            % frame.index)
    print(describe(frame.index, frame.id, frame.video.format_name,
                   frame.video.width, frame.video.height,
                   frame_arrays(frame)))


def main():
    args = fdpass_consumer.parse_args(__doc__.splitlines()[0])
    consumer = fdpass_consumer.Consumer(
        fdpass_consumer.open_socket(args), args.verbose,
        max_size=args.max_size, on_frame=print_frame)
    return fdpass_consumer.run_consumer(consumer, args)


if __name__ == "__main__":
    sys.exit(main())
