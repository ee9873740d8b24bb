#!/usr/bin/python3
# One process of a gst-fdpass benchmark run, driven by bench/bench.py.
#
# Roles:
#   producer  runs a pipeline whose element "stamp" (the capsfilter after the
#             source) has its src pad probed: the first buffer waits there
#             until bench.py writes "go" on stdin (so that no frame is sent
#             before the consumer is connected), then every buffer's push time
#             is read from CLOCK_MONOTONIC. Runs until stdin is closed.
#   consumer  runs a pipeline ending in "fakesink name=sink"; the sink pad's
#             probe reads CLOCK_MONOTONIC at each frame's arrival and, with
#             --checksum, CRC-32s every byte of it. Exits after --frames frames.
#   single    producer and consumer probes in one pipeline, one process.
#   memcpy    no GStreamer: copies a frame --frames times (the copy limit).
#
# Each role writes a JSON file (--out) with the per-frame CLOCK_MONOTONIC
# times and getrusage(RUSAGE_SELF) taken at its first and at its last frame,
# so that start-up and tear-down are not counted against the frames.
#
# Needs /usr/bin/python3 with PyGObject (python3-gi) and the Gst typelib.

import argparse
import ctypes
import json
import os
import resource
import sys
import threading
import time
import zlib


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def rusage():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"utime": ru.ru_utime, "stime": ru.ru_stime,
            "minflt": ru.ru_minflt, "majflt": ru.ru_majflt,
            "maxrss_kb": ru.ru_maxrss}


class Recorder:
    """Per-frame times plus rusage at the first and the last frame."""

    def __init__(self, frames):
        self.frames = frames
        self.times = []
        self.first = None
        self.last = None

    def mark(self):
        t = now_ns()
        self.times.append(t)
        n = len(self.times)
        if n == 1:
            self.first = rusage()
        if n == self.frames:
            self.last = rusage()
        return n

    def result(self):
        if self.last is None and self.times:
            self.last = rusage()
        return {"times_ns": self.times, "ru_first": self.first,
                "ru_last": self.last}


# --- reading every byte without a copy ------------------------------------
# Without gst-python's overrides (not in Debian 12's python3-gi), gi's
# Gst.Buffer.map() returns the data as a bytes copy, which would add a memcpy
# to the consumer. Map through libgstreamer with ctypes instead: hash() of a
# gi boxed wrapper is the address of the GstBuffer.

class GstMapInfo(ctypes.Structure):
    _fields_ = [("memory", ctypes.c_void_p), ("flags", ctypes.c_int),
                ("data", ctypes.c_void_p), ("size", ctypes.c_size_t),
                ("maxsize", ctypes.c_size_t),
                ("user_data", ctypes.c_void_p * 4),
                ("_gst_reserved", ctypes.c_void_p * 4)]


_libgst = None


def crc32_buffer(buf, crc):
    global _libgst
    if _libgst is None:
        _libgst = ctypes.CDLL("libgstreamer-1.0.so.0")
        _libgst.gst_buffer_map.argtypes = [ctypes.c_void_p,
                                           ctypes.POINTER(GstMapInfo),
                                           ctypes.c_int]
        _libgst.gst_buffer_map.restype = ctypes.c_int
        _libgst.gst_buffer_unmap.argtypes = [ctypes.c_void_p,
                                             ctypes.POINTER(GstMapInfo)]
    info = GstMapInfo()
    ptr = hash(buf)
    if not _libgst.gst_buffer_map(ptr, ctypes.byref(info), 1):  # GST_MAP_READ
        raise RuntimeError("cannot map a buffer")
    try:
        data = (ctypes.c_char * info.size).from_address(info.data)
        crc = zlib.crc32(memoryview(data), crc)
    finally:
        _libgst.gst_buffer_unmap(ptr, ctypes.byref(info))
    return crc


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the memcpy limit ------------------------------------------------------

def run_memcpy(args):
    # a ring of sources and destinations, so that small frames are not all
    # copied within the cache
    ring = 4
    src = [bytearray(os.urandom(64)) * (args.size // 64 + 1)
           for _ in range(ring)]
    src = [memoryview(s)[:args.size] for s in src]
    dst = [bytearray(args.size) for _ in range(ring)]
    for d in dst:
        d[:] = src[0]  # fault the pages in before measuring
    push = Recorder(args.frames)
    arrive = Recorder(args.frames)
    for i in range(args.frames):
        push.mark()
        dst[i % ring][:] = src[i % ring]
        arrive.mark()
    write_json(args.out, {"role": "memcpy", "producer": push.result(),
                          "consumer": arrive.result(), "size": args.size})
    return 0


# --- GStreamer roles -------------------------------------------------------

def run_pipeline(args):
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib, Gst

    Gst.init(None)
    pipeline = Gst.parse_launch(args.pipeline)
    loop = GLib.MainLoop()
    state = {"rc": 0, "error": None, "eos": False, "bad_sizes": 0,
             "crc": 0, "done": False}
    go = threading.Event()
    producing = args.role in ("producer", "single")
    consuming = args.role in ("consumer", "single")
    push = Recorder(args.frames)
    arrive = Recorder(args.frames)

    # sockets handed over by bench.py (multisocketsink / socketsrc)
    if args.add_socket_fd is not None:
        sink = pipeline.get_by_name("sink")
        pipeline.set_state(Gst.State.READY)
        sink.emit("add", Gio.Socket.new_from_fd(args.add_socket_fd))
    if args.socket_fd is not None:
        src = pipeline.get_by_name("src")
        src.set_property("socket", Gio.Socket.new_from_fd(args.socket_fd))

    def on_push(pad, info):
        if not go.is_set():
            go.wait(args.timeout)
        push.mark()
        return Gst.PadProbeReturn.OK

    def on_arrive(pad, info):
        if state["done"]:
            return Gst.PadProbeReturn.DROP
        n = arrive.mark()
        buf = info.get_buffer()
        if args.frame_size and buf.get_size() != args.frame_size:
            state["bad_sizes"] += 1
        if args.checksum:
            state["crc"] = crc32_buffer(buf, state["crc"])
        if n >= args.frames and args.role == "consumer":
            state["done"] = True
            GLib.idle_add(loop.quit)
        return Gst.PadProbeReturn.OK

    if producing:
        stamp = pipeline.get_by_name("stamp")
        stamp.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                              on_push)
    if consuming:
        sink = pipeline.get_by_name("sink")
        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER,
                                              on_arrive)

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            if not state["done"]:
                state["error"] = "%s: %s" % (msg.src.get_name(), err.message)
                sys.stderr.write("node %s: error: %s (%s)\n"
                                 % (args.role, state["error"], dbg))
                state["rc"] = 1
                loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            state["eos"] = True
            if args.role != "producer":
                loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def clients_ready():
        if not args.wait_clients:
            return True
        name, prop = args.wait_clients.split(":", 1)
        elem = pipeline.get_by_name(name)
        if "." in prop:
            prop, field = prop.split(".", 1)
            st = elem.get_property(prop)
            ok, val = st.get_uint(field)
            if not ok:
                ok, val = st.get_int(field)
            return ok and val >= 1
        return elem.get_property(prop) >= 1

    def read_stdin():
        # producer: "go" starts the frames, end of file ends the process
        for line in sys.stdin:
            if line.strip() == "go":
                deadline = time.monotonic() + args.timeout
                while not clients_ready() and time.monotonic() < deadline:
                    time.sleep(0.01)
                go.set()
        go.set()
        GLib.idle_add(loop.quit)

    if args.role == "producer":
        threading.Thread(target=read_stdin, daemon=True).start()
    else:
        go.set()

    if args.role == "consumer":
        # a consumer that got fewer frames than asked for ends here
        GLib.timeout_add_seconds(int(args.timeout), loop.quit)

        # counted in checks rather than by the clock, so that a consumer
        # that was stopped (SIGSTOP) is not taken for a stalled one
        idle = {"checks": 0, "seen": 0}

        def check_stall():
            t = arrive.times
            if len(t) != idle["seen"]:
                idle["seen"], idle["checks"] = len(t), 0
            elif t:
                idle["checks"] += 1
            if idle["checks"] * 0.25 > args.stall_timeout:
                state["error"] = ("stalled: no frame for %.0f s after %d"
                                  % (args.stall_timeout, len(t)))
                sys.stderr.write("node consumer: %s\n" % state["error"])
                state["done"] = True
                loop.quit()
                return False
            return True

        GLib.timeout_add(250, check_stall)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        sys.stderr.write("node %s: cannot start the pipeline\n" % args.role)
        state["rc"] = 1
    else:
        say("READY")
        loop.run()

    pipeline.set_state(Gst.State.NULL)
    out = {"role": args.role, "error": state["error"], "eos": state["eos"],
           "bad_sizes": state["bad_sizes"], "ru_end": rusage()}
    if producing:
        out["producer"] = push.result()
    if consuming:
        out["consumer"] = arrive.result()
        if args.checksum:
            out["crc32"] = "%08x" % state["crc"]
    write_json(args.out, out)
    return state["rc"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("role", choices=["producer", "consumer", "single",
                                    "memcpy"])
    p.add_argument("--pipeline", help="gst-launch description")
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--frame-size", type=int, default=0,
                   help="expected bytes per frame (counted if different)")
    p.add_argument("--size", type=int, default=0, help="memcpy: bytes")
    p.add_argument("--checksum", action="store_true",
                   help="consumer: CRC-32 every byte of every frame")
    p.add_argument("--add-socket-fd", type=int,
                   help="emit 'add' on the element 'sink' with this fd")
    p.add_argument("--socket-fd", type=int,
                   help="set the element 'src''s socket to this fd")
    p.add_argument("--wait-clients", metavar="ELEMENT:PROP[.FIELD]",
                   help="producer: after 'go', wait until this is >= 1")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--stall-timeout", type=float, default=5.0,
                   help="consumer: give up when no frame came for this long")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if args.role == "memcpy":
        return run_memcpy(args)
    return run_pipeline(args)


if __name__ == "__main__":
    sys.exit(main())
