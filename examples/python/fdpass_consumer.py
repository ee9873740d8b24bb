#!/usr/bin/env python3
# gst-fdpass example: a consumer of the fdpass wire protocol without GStreamer.
#
# Copyright (C) 2026 gst-fdpass contributors
# SPDX-License-Identifier: LGPL-2.0-or-later
"""Receive frames sent by fdpay ! multisocketsink and print one line each.

The socket comes from --fd N, the FDPASS_FD environment variable, or
--connect PATH. For every frame the output is

    frame <index> id=<buffer id> pts=<ns|none> size=<bytes> crc32=<8 hex digits>

then `received <n> frames`. Without the id= field (which only the wire
protocol carries) the lines are those of `fdpass-two-process --consumer`.
Only the Python standard library is used; docs/wire-protocol.md describes
the messages parsed here.
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

MSG_HELLO, MSG_CAPS, MSG_BUFFER, MSG_EOS, MSG_RELEASE = 1, 2, 3, 4, 5
FD_KIND_FILE, FD_KIND_DMABUF = 0, 1
EXT_VIDEO_META = 1
MAX_PAYLOAD = 64 * 1024
MAX_FDS = 16
MAX_MEMORIES = 16
CLOCK_TIME_NONE = 0xFFFFFFFFFFFFFFFF
MAX_PENDING_FDS = 4 * MAX_FDS


class ProtocolError(Exception):
    pass


class Consumer:
    def __init__(self, sock, verbose=False, show_inode=False,
                 max_size=256 * 1024 * 1024):
        self.sock = sock
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
                magic, mtype, n_fds, _, size = HEADER.unpack_from(self.data)
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

    def handle_buffer(self, n_fds, payload):
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
            if index >= n_fds:
                raise ProtocolError("memory uses fd %u of %u" % (index, n_fds))
            mems.append((index, offset, size))
            needed[index] = max(needed[index], offset + size)
            total += size
            pos += MEM_ENTRY.size
        # the sizes come from the sender: a sparse file costs it nothing,
        # reading it costs us as much as it says
        if total > self.max_size or max(needed, default=0) > self.max_size:
            raise ProtocolError("buffer %u needs %u bytes, more than "
                                "--max-size %u" % (buf_id, max(total, max(
                                    needed, default=0)), self.max_size))
        # extension blocks: only the video meta is known, it is not needed
        # to read the bytes; unknown blocks are skipped by their size
        while pos < len(payload):
            if len(payload) - pos < EXT_HEADER.size:
                raise ProtocolError("truncated extension block")
            ext_type, _, ext_size = EXT_HEADER.unpack_from(payload, pos)
            pos += EXT_HEADER.size + ext_size
            if pos > len(payload):
                raise ProtocolError("truncated extension block %u" % ext_type)

        fds, maps = [], []
        try:
            for kind, dev, ino in fd_infos:
                fd, st = self.claim_fd(dev, ino)
                fds.append(fd)
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
            # be page aligned), covering all memories in it
            maps = [mmap.mmap(fd, n, mmap.MAP_SHARED, mmap.PROT_READ)
                    if n > 0 else None for fd, n in zip(fds, needed)]
            frame = b"".join(maps[i][off:off + size] for i, off, size in mems
                             if size > 0)
            line = "frame %u id=%u pts=%s size=%u crc32=%08x" % (
                self.n_frames, buf_id,
                "none" if pts == CLOCK_TIME_NONE else pts,
                len(frame), zlib.crc32(frame))
            if self.show_inode:
                if fds:
                    st = os.fstat(fds[mems[0][0]] if mems else fds[0])
                    line += " dev=%u ino=%u" % (st.st_dev, st.st_ino)
                else:
                    line += " dev=none ino=none"
            print(line)
            self.n_frames += 1
        finally:
            for m in maps:
                if m is not None:
                    m.close()
            for fd in fds:
                os.close(fd)


def open_socket(args):
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--fd", type=int,
                       help="connected Unix socket (default: $FDPASS_FD)")
    where.add_argument("--connect", metavar="PATH",
                       help="connect to the Unix stream or seqpacket "
                       "socket at PATH")
    parser.add_argument("--show-inode", action="store_true",
                        help="append dev= and ino= of the first memory's file")
    parser.add_argument("--max-size", type=int, default=256 * 1024 * 1024,
                        metavar="BYTES",
                        help="refuse buffers larger than this (default: "
                        "256 MiB)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print the hello and how many duplicate "
                        "fds were closed")
    args = parser.parse_args()

    consumer = Consumer(open_socket(args), args.verbose, args.show_inode,
                        args.max_size)
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


if __name__ == "__main__":
    sys.exit(main())
