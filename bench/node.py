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
#             --checksum, reads every byte of it (an XOR checksum). Exits
#             after --frames frames.
#   single    producer and consumer probes in one pipeline, one process.
#   memcpy    no GStreamer: copies a frame --frames times (the copy limit).
#
# The probes are C (bench/probe.c, libfdpassbench.so in the build directory,
# --probe-lib): no Python runs on the path of a frame. Each role writes a
# JSON file (--out) with the per-frame CLOCK_MONOTONIC times and
# getrusage(RUSAGE_SELF) taken at its first frame, at its --warm-th frame
# (the start of the steady state) and at its last frame, so that start-up,
# warm-up and tear-down can be kept apart from the steady state. Element
# statistics that tell whether a transport makes new files or mappings per
# frame (fdpay's memfds-created, fddepay's mappings-created) are read when
# the warm-th frame passes and at the end.
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


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def rusage():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"utime": ru.ru_utime, "stime": ru.ru_stime,
            "minflt": ru.ru_minflt, "majflt": ru.ru_majflt,
            "nvcsw": ru.ru_nvcsw, "nivcsw": ru.ru_nivcsw}


def usage_dict(vals):
    keys = ("utime", "stime", "minflt", "majflt", "nvcsw", "nivcsw",
            "minflt_threads", "nivcsw_thread")
    return dict(zip(keys, vals))


class Recorder:
    """Per-frame times plus rusage at the first, the warm-th and the last
    frame, timed in Python (the memcpy limit only)."""

    def __init__(self, frames, warm):
        self.frames = frames
        self.warm = warm
        self.times = []
        self.ru = {}

    def mark(self):
        self.times.append(now_ns())
        n = len(self.times)
        if n == 1:
            self.ru["ru_first"] = rusage()
        if n == self.warm + 1:
            self.ru["ru_warm"] = rusage()
        if n == self.frames:
            self.ru["ru_last"] = rusage()

    def result(self):
        out = {"times_ns": self.times, "warm": self.warm}
        out.update(self.ru)
        return out


class Probe:
    """A probe of bench/probe.c on a pad. hash() of a PyGObject wrapper is
    the address of its GObject."""

    lib = None

    @classmethod
    def load(cls, path):
        lib = ctypes.CDLL(path)
        vp, u, i = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
        lib.fdpass_bench_probe_new.argtypes = [vp, vp, u, u, i,
                                               ctypes.c_uint64, i]
        lib.fdpass_bench_probe_new.restype = vp
        lib.fdpass_bench_probe_open.argtypes = [vp]
        lib.fdpass_bench_probe_open.restype = None
        lib.fdpass_bench_probe_count.argtypes = [vp]
        lib.fdpass_bench_probe_count.restype = u
        lib.fdpass_bench_probe_times.argtypes = [
            vp, ctypes.POINTER(ctypes.c_uint64)]
        lib.fdpass_bench_probe_times.restype = u
        lib.fdpass_bench_probe_usage.argtypes = [
            vp, i, ctypes.POINTER(ctypes.c_double)]
        lib.fdpass_bench_probe_usage.restype = i
        lib.fdpass_bench_probe_checksum.argtypes = [vp]
        lib.fdpass_bench_probe_checksum.restype = ctypes.c_uint64
        lib.fdpass_bench_probe_bad_sizes.argtypes = [vp]
        lib.fdpass_bench_probe_bad_sizes.restype = u
        lib.fdpass_bench_probe_tid.argtypes = [vp]
        lib.fdpass_bench_probe_tid.restype = i
        lib.fdpass_bench_bound_pool.argtypes = [vp, u]
        lib.fdpass_bench_bound_pool.restype = None
        cls.lib = lib

    def __init__(self, element, pad, frames, warm, checksum=False,
                 frame_size=0, gated=False):
        self.frames = frames
        self.warm = warm
        self.ptr = self.lib.fdpass_bench_probe_new(
            hash(element), hash(pad), frames, warm, int(checksum),
            frame_size, int(gated))

    def open(self):
        self.lib.fdpass_bench_probe_open(self.ptr)

    def count(self):
        return self.lib.fdpass_bench_probe_count(self.ptr)

    def checksum(self):
        return self.lib.fdpass_bench_probe_checksum(self.ptr)

    def bad_sizes(self):
        return self.lib.fdpass_bench_probe_bad_sizes(self.ptr)

    def result(self):
        arr = (ctypes.c_uint64 * self.frames)()
        n = self.lib.fdpass_bench_probe_times(self.ptr, arr)
        out = {"times_ns": list(arr[:n]), "warm": self.warm,
               "tid": self.lib.fdpass_bench_probe_tid(self.ptr)}
        vals = (ctypes.c_double * 8)()
        for which, key in ((0, "ru_first"), (1, "ru_warm"), (2, "ru_last")):
            if self.lib.fdpass_bench_probe_usage(self.ptr, which, vals):
                out[key] = usage_dict(vals)
        if "ru_last" not in out and n:
            out["ru_last"] = rusage()
        return out


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
    push = Recorder(args.frames, args.warm)
    arrive = Recorder(args.frames, args.warm)
    for i in range(args.frames):
        push.mark()
        dst[i % ring][:] = src[i % ring]
        arrive.mark()
    write_json(args.out, {"role": "memcpy", "producer": push.result(),
                          "consumer": arrive.result(), "size": args.size})
    return 0


# --- GStreamer roles -------------------------------------------------------

# element name -> statistics fields worth recording at the warm-th frame
# and at the end (whether files or mappings are made per frame)
STATS = {"pay": ("memfds-created", "memfds-reused", "memfds-freed",
                 "copies"),
         "depay": ("mappings-created", "mappings-reused"),
         # unixsocketsink: descriptors passed
         "sink": ("fds",)}


def read_stats(pipeline):
    out = {}
    for name, fields in STATS.items():
        elem = pipeline.get_by_name(name)
        if elem is None or elem.find_property("stats") is None:
            continue
        st = elem.get_property("stats")
        if not hasattr(st, "get_uint64"):
            continue
        for field in fields:
            ok, val = st.get_uint64(field)
            if ok:
                out["%s.%s" % (name, field)] = val
    return out


def run_pipeline(args):
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib, Gst

    Gst.init(None)
    Probe.load(args.probe_lib)
    pipeline = Gst.parse_launch(args.pipeline)
    loop = GLib.MainLoop()
    state = {"rc": 0, "error": None, "eos": False, "done": False,
             "stats_warm": None}
    producing = args.role in ("producer", "single")
    consuming = args.role in ("consumer", "single")
    push = arrive = None

    # sockets handed over by bench.py (multisocketsink / socketsrc)
    if args.add_socket_fd is not None:
        sink = pipeline.get_by_name("sink")
        pipeline.set_state(Gst.State.READY)
        sink.emit("add", Gio.Socket.new_from_fd(args.add_socket_fd))
    if args.socket_fd is not None:
        src = pipeline.get_by_name("src")
        src.set_property("socket", Gio.Socket.new_from_fd(args.socket_fd))

    if producing:
        stamp = pipeline.get_by_name("stamp")
        if args.bound_pool:
            Probe.lib.fdpass_bench_bound_pool(hash(stamp.get_static_pad("src")),
                                              args.bound_pool)
        push = Probe(stamp, stamp.get_static_pad("src"), args.frames,
                     args.warm, gated=args.role == "producer")
    if consuming:
        sink = pipeline.get_by_name("sink")
        arrive = Probe(sink, sink.get_static_pad("sink"), args.frames,
                       args.warm, checksum=args.checksum,
                       frame_size=args.frame_size)

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
        elif msg.type == Gst.MessageType.APPLICATION:
            name = msg.get_structure().get_name()
            if name == "fdpass-bench-warm" and state["stats_warm"] is None:
                state["stats_warm"] = read_stats(pipeline)
            elif (name == "fdpass-bench-done" and consuming
                  and msg.src == pipeline.get_by_name("sink")
                  and args.role == "consumer"):
                state["done"] = True
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
                push.open()
        push.open()
        GLib.idle_add(loop.quit)

    if args.role == "producer":
        threading.Thread(target=read_stdin, daemon=True).start()

    if args.role == "consumer":
        # a consumer that got fewer frames than asked for ends here
        GLib.timeout_add_seconds(int(args.timeout), loop.quit)

        # counted in checks rather than by the clock, so that a consumer
        # that was stopped (SIGSTOP) is not taken for a stalled one
        idle = {"checks": 0, "seen": 0}

        def check_stall():
            n = arrive.count()
            if n != idle["seen"]:
                idle["seen"], idle["checks"] = n, 0
            elif n:
                idle["checks"] += 1
            if idle["checks"] * 0.25 > args.stall_timeout:
                state["error"] = ("stalled: no frame for %.0f s after %d"
                                  % (args.stall_timeout, n))
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

    stats_end = read_stats(pipeline)
    pipeline.set_state(Gst.State.NULL)
    out = {"role": args.role, "error": state["error"], "eos": state["eos"],
           "ru_end": rusage(), "stats_warm": state["stats_warm"],
           "stats_end": stats_end}
    if producing:
        out["producer"] = push.result()
    if consuming:
        out["consumer"] = arrive.result()
        out["bad_sizes"] = arrive.bad_sizes()
        if args.checksum:
            out["checksum"] = "%016x" % arrive.checksum()
    write_json(args.out, out)
    return state["rc"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("role", choices=["producer", "consumer", "single",
                                    "memcpy"])
    p.add_argument("--pipeline", help="gst-launch description")
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--warm", type=int, default=0,
                   help="frames (counted from 0) before the steady state")
    p.add_argument("--frame-size", type=int, default=0,
                   help="expected bytes per frame (counted if different)")
    p.add_argument("--size", type=int, default=0, help="memcpy: bytes")
    p.add_argument("--checksum", action="store_true",
                   help="consumer: read every byte of every frame (an XOR "
                   "checksum)")
    p.add_argument("--probe-lib", help="path of libfdpassbench.so")
    p.add_argument("--add-socket-fd", type=int,
                   help="emit 'add' on the element 'sink' with this fd")
    p.add_argument("--socket-fd", type=int,
                   help="set the element 'src''s socket to this fd")
    p.add_argument("--wait-clients", metavar="ELEMENT:PROP[.FIELD]",
                   help="producer: after 'go', wait until this is >= 1")
    p.add_argument("--bound-pool", type=int, default=0, metavar="N",
                   help="producer: limit the buffer pool that the source "
                        "negotiates to N buffers (shmsink)")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--stall-timeout", type=float, default=5.0,
                   help="consumer: give up when no frame came for this long")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if args.role == "memcpy":
        return run_memcpy(args)
    if not args.probe_lib:
        p.error("--probe-lib is needed for the pipeline roles")
    return run_pipeline(args)


if __name__ == "__main__":
    sys.exit(main())
