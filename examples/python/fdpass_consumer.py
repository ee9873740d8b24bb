#!/usr/bin/env python3
# gst-fdpass example: a consumer of the fdpass wire protocol without GStreamer.
#
# Copyright (C) 2026 gst-fdpass contributors
# SPDX-License-Identifier: LGPL-2.0-or-later
"""Receive frames sent by fdpay ! multisocketsink and print one line each.

The socket comes from --fd N, the FDPASS_FD environment variable,
--connect PATH, or --tcp HOST:PORT for a sender of inline frames (fdpay
payload=inline ! tcpserversink, protocol 1.3), whose bytes are received
with the messages instead of mapped. For every frame the output is

    frame <index> id=<buffer id> pts=<ns|none> size=<bytes> crc32=<8 hex digits>

then `received <n> frames`. Without the id= field (which only the wire
protocol carries) the lines are those of `fdpass-two-process --consumer`.
Only the Python standard library is used; docs/wire-protocol.md describes
the messages parsed here.

Nothing is copied: each received file is mapped read-only with mmap, and a
frame is handed out as memoryview slices of those mappings (Frame.memories,
and Frame.plane() for the planes the video meta describes). To use it as a
module, give Consumer an on_frame callback; fdpass_numpy.py does, to look at
the planes as numpy arrays.
"""

import argparse
import array
import collections
import errno
import mmap
import os
import socket
import stat
import struct
import sys
import zlib

MAGIC = 0x53504446  # b"FDPS" read as a little-endian uint32
HEADER = struct.Struct("<IHHII")  # magic, type, n_fds, flags, payload_size
HELLO = struct.Struct("<HHI")  # version major, minor, features
BUFFER = struct.Struct("<QQQQQQIHH")  # id, pts, dts, duration, offset,
#                                       offset_end, flags, n_fds, n_memories
FD_ENTRY = struct.Struct("<IIQQQ")  # kind, reserved, dev, ino, size
MEM_ENTRY = struct.Struct("<IIQQ")  # fd_index, reserved, offset, size
EXT_HEADER = struct.Struct("<HHI")  # type, reserved, size
VIDEO_META = struct.Struct("<IIIIII4Q4i")  # format, flags, width, height,
#                                  n_planes, reserved, offset[4], stride[4]

MSG_HELLO, MSG_CAPS, MSG_BUFFER, MSG_EOS, MSG_RELEASE = 1, 2, 3, 4, 5
FD_KIND_FILE, FD_KIND_DMABUF = 0, 1
EXT_VIDEO_META = 1
MAX_PAYLOAD = 64 * 1024
MAX_FDS = 16
MAX_MEMORIES = 16
CLOCK_TIME_NONE = 0xFFFFFFFFFFFFFFFF
MAX_PENDING_FDS = 4 * MAX_FDS
# protocol 1.3: the buffer's bytes follow its message (fdpay payload=inline)
HEADER_FLAG_INLINE = 0x1
INLINE_FD_INDEX = 0xFFFFFFFF

# The layout of the GstVideoFormat values this example knows: its name and,
# for each plane, how its width and height are subsampled (as a shift: 1 is
# half, rounded up) and how many bytes a pixel of it takes. Frames of other
# formats are still received; only Frame.plane() refuses them.
_I420 = ((0, 0, 1), (1, 1, 1), (1, 1, 1))
_NV12 = ((0, 0, 1), (1, 1, 2))
VIDEO_FORMATS = {
    2: ("I420", _I420), 3: ("YV12", _I420),
    4: ("YUY2", ((0, 0, 2),)), 5: ("UYVY", ((0, 0, 2),)),
    7: ("RGBx", ((0, 0, 4),)), 8: ("BGRx", ((0, 0, 4),)),
    9: ("xRGB", ((0, 0, 4),)), 10: ("xBGR", ((0, 0, 4),)),
    11: ("RGBA", ((0, 0, 4),)), 12: ("BGRA", ((0, 0, 4),)),
    13: ("ARGB", ((0, 0, 4),)), 14: ("ABGR", ((0, 0, 4),)),
    15: ("RGB", ((0, 0, 3),)), 16: ("BGR", ((0, 0, 3),)),
    17: ("Y41B", ((0, 0, 1), (2, 0, 1), (2, 0, 1))),
    18: ("Y42B", ((0, 0, 1), (1, 0, 1), (1, 0, 1))),
    20: ("Y444", ((0, 0, 1), (0, 0, 1), (0, 0, 1))),
    23: ("NV12", _NV12), 24: ("NV21", _NV12),
    25: ("GRAY8", ((0, 0, 1),)), 27: ("GRAY16_LE", ((0, 0, 2),)),
}


class ProtocolError(Exception):
    pass


class VideoMeta(collections.namedtuple(
        "VideoMeta", "format flags width height n_planes offsets strides")):
    """The video meta extension block of a buffer message (4.3.4): the
    plane offsets count from the start of the buffer contents."""

    @property
    def format_name(self):
        known = VIDEO_FORMATS.get(self.format)
        return known[0] if known else "format-%u" % self.format


class Plane(collections.namedtuple(
        "Plane", "data rows stride row_bytes pixel_stride")):
    """One plane of a frame: `data` is a read-only memoryview of
    rows * stride bytes in the mapping; the first row_bytes of each row are
    pixels (pixel_stride bytes each), the rest is padding."""


def _scale(value, shift):
    return -((-value) >> shift)  # value / 2**shift, rounded up


class Frame:
    """A received buffer, mapped read-only and not copied.

    `memories` are memoryview slices of the mappings, in table order; the
    buffer contents are their concatenation. The consumer closes the frame
    once its on_frame callback returns: every view is released and each
    mapping unmapped. A numpy array (or any other object) still holding a
    view keeps its mapping alive until it goes away; the mapping is
    unmapped then, by the mmap object itself.
    """

    def __init__(self, index, buf_id, pts, maps, mems, video):
        self.index = index
        self.id = buf_id
        self.pts = pts  # nanoseconds, or None
        self.video = video  # a VideoMeta, or None
        self._maps = maps
        self._views = [memoryview(m) if m is not None else None
                       for m in maps]
        # a file that only empty memories use is not mapped
        self.memories = [(self._views[i] or memoryview(b""))[offset:
                                                             offset + size]
                         for i, offset, size in mems]
        self.size = sum(len(m) for m in self.memories)

    def plane(self, i):
        """Returns plane `i` of the video meta as a Plane, whose data is a
        view of the one memory holding it. Raises ValueError for a frame
        without video meta, of a format this module does not know, or with
        a plane split over several memories (which only a copy could join)."""
        if self.video is None:
            raise ValueError("frame %u has no video meta" % self.index)
        known = VIDEO_FORMATS.get(self.video.format)
        if known is None or i >= len(known[1]):
            raise ValueError("plane %u of %s is not known to this example"
                             % (i, self.video.format_name))
        x_shift, y_shift, pixel_stride = known[1][i]
        rows = _scale(self.video.height, y_shift)
        stride = self.video.strides[i]
        length = rows * stride
        start = self.video.offsets[i]
        for mem in self.memories:
            if start < len(mem):
                if start + length > len(mem):
                    raise ValueError("plane %u of frame %u spans several "
                                     "memories" % (i, self.index))
                return Plane(mem[start:start + length], rows, stride,
                             _scale(self.video.width, x_shift) * pixel_stride,
                             pixel_stride)
            start -= len(mem)
        raise ValueError("plane %u is outside of frame %u" % (i, self.index))

    def close(self):
        """Releases the views and unmaps the files, unless something still
        holds a view of them (then their mmap objects unmap them when the
        last one goes away). Each mmap object has its own duplicate of the
        file descriptor, which it closes when it unmaps."""
        for view in self.memories + self._views:
            if view is not None:
                view.release()
        for m in self._maps:
            if m is not None and hasattr(m, "close"):  # not inline bytes
                try:
                    m.close()
                except BufferError:
                    pass  # still exported: left to the garbage collector
        self.memories, self._views, self._maps = [], [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_video_meta(video, total):
    """Refuses a video meta whose planes do not lie in the `total` bytes of
    the buffer, with the rule fddepay applies, for the formats known."""
    if video.format == 0 or not 1 <= video.n_planes <= 4:
        raise ProtocolError("video meta of format %u with %u planes"
                            % (video.format, video.n_planes))
    if not (0 < video.width < 2 ** 31 and 0 < video.height < 2 ** 31):
        raise ProtocolError("video meta of %ux%u pixels"
                            % (video.width, video.height))
    known = VIDEO_FORMATS.get(video.format)
    if known is None:
        return
    if video.n_planes != len(known[1]):
        raise ProtocolError("video meta of %u planes for %s"
                            % (video.n_planes, known[0]))
    for i, (x_shift, y_shift, pixel_stride) in enumerate(known[1]):
        rows = _scale(video.height, y_shift)
        row_bytes = _scale(video.width, x_shift) * pixel_stride
        stride, offset = video.strides[i], video.offsets[i]
        if stride < row_bytes or offset > total \
                or rows * stride > total - offset:
            raise ProtocolError("plane %u (offset %u, stride %d) does not "
                                "fit in the %u bytes of the buffer"
                                % (i, offset, stride, total))


def print_frame(frame, show_inode=None):
    """The line of the module documentation, for one frame."""
    crc = 0
    for mem in frame.memories:
        crc = zlib.crc32(mem, crc)
    line = "frame %u id=%u pts=%s size=%u crc32=%08x" % (
        frame.index, frame.id, "none" if frame.pts is None else frame.pts,
        frame.size, crc)
    if show_inode is not None:
        line += " dev=%s ino=%s" % show_inode
    print(line)


class Consumer:
    def __init__(self, sock, verbose=False, show_inode=False,
                 max_size=256 * 1024 * 1024, on_frame=None):
        """on_frame(frame) is called with each Frame; the default prints its
        line. The frame is closed when it returns."""
        self.sock = sock
        self.on_frame = on_frame
        self.verbose = verbose
        self.show_inode = show_inode
        self.max_size = max_size
        self.data = bytearray()  # received bytes not parsed yet
        self.fds = collections.deque()  # received fds not claimed yet
        self.n_frames = 0
        self.n_dropped_fds = 0  # duplicates and strays that were closed

    def close_fds(self):
        while self.fds:
            os.close(self.fds.popleft())
            self.n_dropped_fds += 1

    def receive(self):
        """Reads once from the socket; returns False at the end of file."""
        fd_size = array.array("i").itemsize
        anc_size = socket.CMSG_SPACE(MAX_PENDING_FDS * fd_size)
        # large enough for any message on a SOCK_SEQPACKET socket
        data, ancdata, flags, _ = self.sock.recvmsg(
            MAX_PAYLOAD + HEADER.size, anc_size, socket.MSG_CMSG_CLOEXEC)
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[:len(payload) - len(payload) % fd_size])
                self.fds.extend(fds)
        if flags & socket.MSG_CTRUNC:
            raise ProtocolError("file descriptors were lost (MSG_CTRUNC)")
        if flags & socket.MSG_TRUNC:
            raise ProtocolError("a packet was truncated (MSG_TRUNC)")
        while len(self.fds) > MAX_PENDING_FDS:  # a flood: drop the oldest
            os.close(self.fds.popleft())
            self.n_dropped_fds += 1
        self.data += data
        return len(data) > 0

    def run(self):
        """Returns True when the EOS message arrived, False on end of file."""
        while self.receive():
            while len(self.data) >= HEADER.size:
                magic, mtype, n_fds, hflags, size = HEADER.unpack_from(
                    self.data)
                if magic != MAGIC:
                    raise ProtocolError("bad magic 0x%08x" % magic)
                if size > MAX_PAYLOAD or n_fds > MAX_FDS:
                    raise ProtocolError("message too large: %u bytes, %u fds"
                                        % (size, n_fds))
                if n_fds and mtype in (MSG_HELLO, MSG_CAPS, MSG_EOS,
                                       MSG_RELEASE):
                    raise ProtocolError("message of type %u with fds" % mtype)
                end = HEADER.size + size
                if len(self.data) < end:
                    break  # wait for the rest of the message
                payload = bytes(self.data[HEADER.size:end])
                if mtype == MSG_BUFFER and hflags & HEADER_FLAG_INLINE:
                    # its bytes follow it: checked before we wait for them
                    data_size = self.inline_size(payload)
                    if len(self.data) < end + data_size:
                        break
                    data = bytes(self.data[end:end + data_size])
                    del self.data[:end + data_size]
                    self.handle_buffer(n_fds, payload, data)
                    continue
                del self.data[:end]
                if self.handle(mtype, n_fds, payload):
                    return True
        if self.data:
            raise ProtocolError("end of file in the middle of a message")
        return False

    def handle(self, mtype, n_fds, payload):
        """Handles one message; returns True on EOS."""
        if mtype == MSG_HELLO:
            if len(payload) < HELLO.size:
                raise ProtocolError("truncated hello")
            major, minor, features = HELLO.unpack_from(payload)
            if major != 1:
                raise ProtocolError("unsupported protocol version %u.%u"
                                    % (major, minor))
            if self.verbose:
                print("hello version %u.%u features 0x%x"
                      % (major, minor, features), file=sys.stderr)
        elif mtype == MSG_CAPS:
            if not payload or payload.find(b"\0") != len(payload) - 1:
                raise ProtocolError("caps are not one NUL-terminated string")
            try:
                caps = payload[:-1].decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("caps are not valid UTF-8") from None
            print("caps", caps, file=sys.stderr)
        elif mtype == MSG_BUFFER:
            self.handle_buffer(n_fds, payload)
        elif mtype == MSG_EOS:
            return True
        # anything else (release, later additions) is skipped
        return False

    def claim_fd(self, dev, ino):
        """Takes the first pending fd that is (dev, ino); closes the others
        in front of it, duplicates from partial writes."""
        while self.fds:
            fd = self.fds.popleft()
            st = os.fstat(fd)
            if st.st_dev == dev and st.st_ino == ino:
                return fd, st
            os.close(fd)
            self.n_dropped_fds += 1
        raise ProtocolError("no received fd is dev %u ino %u" % (dev, ino))

    def inline_size(self, payload):
        """The size of the data after an inline buffer message: no files,
        memories one after the other (protocol 1.3)."""
        if len(payload) < BUFFER.size:
            raise ProtocolError("truncated buffer message")
        fields = BUFFER.unpack_from(payload)
        body_fds, n_mems = fields[7], fields[8]
        if body_fds != 0 or n_mems > MAX_MEMORIES:
            raise ProtocolError("inline buffer %u has %u files, %u memories"
                                % (fields[0], body_fds, n_mems))
        if len(payload) < BUFFER.size + n_mems * MEM_ENTRY.size:
            raise ProtocolError("truncated memory table")
        total = 0
        for i in range(n_mems):
            index, _, offset, size = MEM_ENTRY.unpack_from(
                payload, BUFFER.size + i * MEM_ENTRY.size)
            if index != INLINE_FD_INDEX or offset != total:
                raise ProtocolError("memory %u of inline buffer %u is not "
                                    "the data after the one before" %
                                    (i, fields[0]))
            total += size
        if total > self.max_size:
            raise ProtocolError("buffer %u needs %u bytes, more than "
                                "--max-size %u" % (fields[0], total,
                                                   self.max_size))
        return total

    def handle_buffer(self, n_fds, payload, inline=None):
        """A buffer message; @inline: the bytes that followed it, for an
        inline one (whose memories index them)."""
        if len(payload) < BUFFER.size:
            raise ProtocolError("truncated buffer message")
        (buf_id, pts, _, _, _, _, _, body_fds,
         n_mems) = BUFFER.unpack_from(payload)
        if body_fds != n_fds or n_mems > MAX_MEMORIES:
            raise ProtocolError("bad fd or memory count in buffer %u" % buf_id)
        pos = BUFFER.size
        table_end = pos + n_fds * FD_ENTRY.size + n_mems * MEM_ENTRY.size
        if len(payload) < table_end:
            raise ProtocolError("truncated fd or memory table")
        fd_infos = []
        for _ in range(n_fds):
            kind, _, dev, ino, _ = FD_ENTRY.unpack_from(payload, pos)
            if kind not in (FD_KIND_FILE, FD_KIND_DMABUF):
                raise ProtocolError("unknown fd kind %u" % kind)
            fd_infos.append((kind, dev, ino))
            pos += FD_ENTRY.size
        mems = []
        needed = [0] * n_fds  # bytes each file must have
        total = 0
        for _ in range(n_mems):
            index, _, offset, size = MEM_ENTRY.unpack_from(payload, pos)
            if inline is not None:
                index = 0  # checked by inline_size()
            elif index >= n_fds:
                raise ProtocolError("memory uses fd %u of %u" % (index, n_fds))
            else:
                needed[index] = max(needed[index], offset + size)
            mems.append((index, offset, size))
            total += size
            pos += MEM_ENTRY.size
        # the sizes come from the sender: a sparse file costs it nothing,
        # reading it costs us as much as it says
        if total > self.max_size or max(needed, default=0) > self.max_size:
            raise ProtocolError("buffer %u needs %u bytes, more than "
                                "--max-size %u" % (buf_id, max(total, max(
                                    needed, default=0)), self.max_size))
        # extension blocks: the video meta gives the planes; unknown blocks
        # are skipped by their size
        video = None
        while pos < len(payload):
            if len(payload) - pos < EXT_HEADER.size:
                raise ProtocolError("truncated extension block")
            ext_type, _, ext_size = EXT_HEADER.unpack_from(payload, pos)
            pos += EXT_HEADER.size
            if ext_size > len(payload) - pos:
                raise ProtocolError("truncated extension block %u" % ext_type)
            if ext_type == EXT_VIDEO_META:
                if video is not None or ext_size < VIDEO_META.size:
                    raise ProtocolError("a second or short video meta in "
                                        "buffer %u" % buf_id)
                fields = VIDEO_META.unpack_from(payload, pos)
                video = VideoMeta(*fields[:5], fields[6:10], fields[10:14])
                check_video_meta(video, total)
            pos += ext_size

        fds, stats, maps = [], [], []
        if inline is not None:
            # the bytes came with the message: nothing to map
            maps = [inline]
            fd_infos = []
        try:
            for kind, dev, ino in fd_infos:
                fd, st = self.claim_fd(dev, ino)
                fds.append(fd)
                stats.append(st)
                if kind == FD_KIND_FILE:
                    if not stat.S_ISREG(st.st_mode):
                        raise ProtocolError("fd is not a regular file")
                    file_size = st.st_size
                else:
                    # a DMA buffer is no regular file; one labelled so
                    # would skip the checks above
                    if stat.S_ISREG(st.st_mode):
                        raise ProtocolError("a regular file passed as a "
                                            "DMA buffer")
                    file_size = os.lseek(fd, 0, os.SEEK_END)
                if file_size < needed[len(fds) - 1]:
                    raise ProtocolError("file of %u bytes, the buffer needs %u"
                                        % (file_size, needed[len(fds) - 1]))
            # one read-only mapping per file from offset 0 (mmap offsets must
            # be page aligned), covering all memories in it. mmap.mmap keeps
            # a duplicate of the fd (until Python 3.13's trackfd=False), so
            # ours is closed below, right after mapping
            for fd, n in zip(fds, needed):
                maps.append(mmap.mmap(fd, n, mmap.MAP_SHARED, mmap.PROT_READ)
                            if n > 0 else None)
        except BaseException:
            for m in maps:
                if m is not None:
                    m.close()
            raise
        finally:
            for fd in fds:
                os.close(fd)

        frame = Frame(self.n_frames, buf_id,
                      None if pts == CLOCK_TIME_NONE else pts, maps, mems,
                      video)
        self.n_frames += 1
        with frame:
            if self.on_frame is not None:
                self.on_frame(frame)
            else:
                inode = None
                if self.show_inode:
                    if stats:
                        st = stats[mems[0][0] if mems else 0]
                        inode = (st.st_dev, st.st_ino)
                    else:
                        inode = ("none", "none")
                print_frame(frame, inode)


def open_socket(args):
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        try:
            return socket.create_connection((host or "127.0.0.1", int(port)))
        except (OSError, ValueError) as e:
            raise SystemExit("fdpass_consumer: %s: %s" % (args.tcp, e))
    if args.connect:
        for kind in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
            sock = socket.socket(socket.AF_UNIX, kind)
            try:
                sock.connect(args.connect)
                return sock
            except OSError as e:
                sock.close()
                if e.errno != errno.EPROTOTYPE:  # not a socket of this type
                    raise SystemExit("fdpass_consumer: %s: %s"
                                     % (args.connect, e.strerror))
        raise SystemExit("fdpass_consumer: %s: no stream or seqpacket "
                         "socket" % args.connect)
    fd = args.fd if args.fd is not None else os.environ.get("FDPASS_FD")
    if fd is None:
        raise SystemExit("fdpass_consumer: give --fd N, --connect PATH or "
                         "set FDPASS_FD")
    # the family and type (stream or seqpacket) are read from the fd
    return socket.socket(fileno=int(fd))


def parse_args(description):
    """The command line of this consumer, shared with the examples built on
    it."""
    parser = argparse.ArgumentParser(description=description)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--fd", type=int,
                       help="connected Unix socket (default: $FDPASS_FD)")
    where.add_argument("--connect", metavar="PATH",
                       help="connect to the Unix stream or seqpacket "
                       "socket at PATH")
    where.add_argument("--tcp", metavar="HOST:PORT",
                       help="connect over TCP to a sender of inline frames "
                       "(fdpay payload=inline ! tcpserversink)")
    parser.add_argument("--show-inode", action="store_true",
                        help="append dev= and ino= of the first memory's file")
    parser.add_argument("--max-size", type=int, default=256 * 1024 * 1024,
                        metavar="BYTES",
                        help="refuse buffers larger than this (default: "
                        "256 MiB)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print the hello and how many duplicate "
                        "fds were closed")
    return parser.parse_args()


def run_consumer(consumer, args):
    """Receives until EOS or end of file, closes the socket and every fd
    left, prints the last line; returns the exit status."""
    status = 0
    try:
        if not consumer.run():
            print("fdpass_consumer: end of file before the EOS message",
                  file=sys.stderr)
    except (ProtocolError, OSError) as e:
        print("fdpass_consumer: error:", e, file=sys.stderr)
        status = 1
    finally:
        consumer.close_fds()
        consumer.sock.close()
    if args.verbose:
        print("fdpass_consumer: closed %u duplicate or stray fds"
              % consumer.n_dropped_fds, file=sys.stderr)
    print("received %u frames" % consumer.n_frames)
    return status


def main():
    args = parse_args(__doc__.splitlines()[0])
    consumer = Consumer(open_socket(args), args.verbose, args.show_inode,
                        args.max_size)
    return run_consumer(consumer, args)


if __name__ == "__main__":
    sys.exit(main())
