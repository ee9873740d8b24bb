#!/usr/bin/python3
"""Benchmark of ways to move raw video between two processes.

Runs every transport back to back, interleaved, --reps times, each with a
producer process and a consumer process (bench/node.py), and writes
DIR/results.json, DIR/plot.png and DIR/logs/. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import cpuprofile
import footprint
import segments

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"
NODE = os.path.join(HERE, "node.py")

# every transport the harness knows; which of them run under which runtime
# is RUNTIME_TRANSPORTS (the default) or --transports
ALL_TRANSPORTS = ["unixsocket", "unixsocket-noyield", "unixfd", "shm",
                  "shm-copy", "multisocket",
                  "tcp", "tcp-inline", "pipe", "limit-1", "limit-2",
                  "limit-memcpy", "limit-wakeup"]
# The default rows of each runtime. Every row of a table runs under the
# runtime of its table, so that no comparison measures the difference
# between two GStreamer builds (see README.md, "Fairness").
RUNTIMES = ["1.26", "1.22"]
RUNTIME_TRANSPORTS = {
    "1.26": ["unixsocket", "unixsocket-noyield", "unixfd", "shm",
             "multisocket", "limit-1", "limit-2"],
    "1.22": ["unixsocket", "shm", "multisocket", "tcp", "tcp-inline", "pipe",
             "limit-1", "limit-2"],
}
# unixfdsink/unixfdsrc appeared in GStreamer 1.24
NEEDS_124 = {"unixfd"}
# one process (or, limit-wakeup, no GStreamer at all)
LIMITS = {"limit-1", "limit-2", "limit-memcpy", "limit-wakeup"}
# runs once per repetition, outside the runtimes (no GStreamer)
NO_RUNTIME = {"limit-wakeup"}
# latency rows only: what one setting of a transport changes on a paced
# stream
PACED_ONLY = {"limit-wakeup", "unixsocket-noyield"}
# rows that copy every frame through the kernel (fewer frames per run)
KERNEL_COPY = {"tcp", "tcp-inline", "pipe"}
PATTERNS = ["black", "smpte"]
# receive: touches no frame data; checksum: reads every byte; paced: a
# live 30 fps producer and a receive consumer, for latency without queueing
KINDS = ["receive", "checksum", "paced"]
# frames a queue or a transport may hold in the one-process, two-thread
# limit (limit-2); unixsocketsink's max-pending default is 8 too
LIMIT2_QUEUE = 8

DESCRIPTIONS = {
    "unixsocket": "fdpay ! unixsocketsink -> unixsocketsrc ! fddepay",
    "unixsocket-noyield": "unixsocket with unixsocketsink "
                          "yield-after-send=false (paced rows only): the "
                          "latency without the yield after each frame",
    "unixfd": "unixfdsink -> unixfdsrc (GStreamer 1.24 and later)",
    "multisocket": "fdpay wait-for-release=1s ! multisocketsink "
                   "send-messages=true -> socketsrc send-messages=true ! "
                   "fddepay (socketpair)",
    "shm": "shmsink -> shmsrc, producer writes into shmsink's memory "
           "(zero-copy)",
    "shm-copy": "shmsink -> shmsrc, shmsink copies each frame in "
                "(identity drop-allocation=true)",
    "tcp": "tcpserversink -> tcpclientsrc ! rawvideoparse, 127.0.0.1",
    "tcp-inline": "fdpay payload=inline ! tcpserversink -> tcpclientsrc ! "
                  "fddepay, 127.0.0.1 (frames into memfds)",
    "pipe": "fdsink -> fdsrc ! rawvideoparse over a pipe (1 MiB)",
    "limit-1": "videotestsrc ! fakesink, one process, one thread: the "
               "frame's generation and the consumer's read, nothing moved",
    "limit-2": "videotestsrc ! queue max-size-buffers=%d ! fakesink, one "
               "process, two threads: the frame handed to another core "
               "with no transport at all, the physical limit of a "
               "two-process transport" % LIMIT2_QUEUE,
    "limit-memcpy": "one memcpy of a frame (one process)",
    "limit-wakeup": "no GStreamer: a 224-byte message with one fd over a "
                    "Unix socket to a process waiting in poll(), 30 per "
                    "second (bench/wakeup.c): the latency floor of a paced "
                    "socket transport",
}


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def frame_size(w, h, fmt):
    # NV12 and I420: a full-size luma plane and two quarter-size chroma planes
    return w * h + 2 * (((w + 1) // 2) * ((h + 1) // 2))


def warm_frames(n):
    """Frames (from 0) before the steady state: a quarter of the run."""
    return max(1, n // 4)


def frames_for(size, t, args):
    if args.smoke:
        return args.smoke_frames
    # about the same number of bytes per run: ~2-4 s on a slow transport.
    # At least 480 frames, so that the fastest rows at 3840x2160 (near 2000
    # fps) measure a few hundred ms; the rows that copy every frame through
    # the kernel take seconds per 60 frames there, and keep 60 at least
    least = 60 if t in KERNEL_COPY else 480
    return max(least, min(6000, int(args.mbytes * 1e6 / size)))


# --- environments -------------------------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lib_path(args, *dirs):
    """LD_LIBRARY_PATH with libgstfdpass-1.0 of the build first, so that the
    plugin finds the library it was built with under either runtime."""
    return ":".join([args.fdpass_libdir] + [d for d in dirs if d])


def env_122(args):
    """Debian's GStreamer (the system one)."""
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = args.plugin_path
    env["LD_LIBRARY_PATH"] = lib_path(args, os.environ.get("LD_LIBRARY_PATH"))
    env["GST_REGISTRY"] = os.path.join(args.out, "registry-1.22.bin")
    return env


def env_126(args):
    """The 1.26 build in the peers dir (as its gstreamer-1.26.env sets it
    up), with the fdpass plugin built against 1.22 on GST_PLUGIN_PATH; None
    when the build is not there.

    Its shared-library symlinks may have been copied as small text files
    holding the target's name; a private directory of real symlinks fixes
    that without touching the peers dir."""
    root = os.path.join(args.peers, "gstreamer-1.26")
    libdir = os.path.join(root, "lib", "x86_64-linux-gnu")
    if not os.path.isdir(libdir):
        return None
    shadow = os.path.join(args.out, "peer-libs")
    if not os.path.isdir(shadow):
        os.makedirs(shadow)
        for name in os.listdir(libdir):
            path = os.path.join(libdir, name)
            if not os.path.isfile(path) or ".so" not in name:
                continue
            target = path
            if os.path.getsize(path) < 256:
                with open(path, "rb") as f:
                    head = f.read()
                if not head.startswith(b"\x7fELF"):
                    cand = os.path.join(libdir, head.decode().strip())
                    if os.path.isfile(cand):
                        target = cand
            os.symlink(target, os.path.join(shadow, name))
    env = dict(os.environ)
    env["PATH"] = os.path.join(root, "bin") + ":" + env.get("PATH", "")
    env["LD_LIBRARY_PATH"] = lib_path(args, shadow)
    env["GST_PLUGIN_SYSTEM_PATH"] = os.path.join(libdir, "gstreamer-1.0")
    env["GST_PLUGIN_PATH"] = args.plugin_path
    env["GST_PLUGIN_SCANNER"] = os.path.join(
        root, "libexec", "gstreamer-1.0", "gst-plugin-scanner")
    env["GST_REGISTRY"] = os.path.join(args.out, "registry-1.26.bin")
    return env


def check_env(env, elements):
    """(version string, the elements of @elements that are missing), or
    (None, why) when GStreamer does not start in @env."""
    code = ("import gi,sys; gi.require_version('Gst','1.0');"
            "from gi.repository import Gst; Gst.init(None);"
            "m=[e for e in sys.argv[1:] if not Gst.ElementFactory.find(e)];"
            "print(Gst.version_string()); print(' '.join(m))")
    try:
        r = subprocess.run([PYTHON, "-c", code] + elements, env=env,
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "GStreamer did not start within 120 s"
    lines = r.stdout.split("\n")
    if r.returncode != 0 or len(lines) < 2:
        return None, (r.stderr.strip().split("\n") or ["?"])[-1]
    return lines[0].strip(), lines[1].split()


# the elements each transport needs in its runtime
ELEMENTS = {
    "unixsocket": ["fdpay", "fddepay", "unixsocketsink", "unixsocketsrc"],
    "unixsocket-noyield": ["fdpay", "fddepay", "unixsocketsink",
                           "unixsocketsrc"],
    "unixfd": ["unixfdsink", "unixfdsrc"],
    "shm": ["shmsink", "shmsrc"],
    "shm-copy": ["shmsink", "shmsrc", "identity"],
    "multisocket": ["fdpay", "fddepay", "multisocketsink", "socketsrc"],
    "tcp": ["tcpserversink", "tcpclientsrc", "rawvideoparse"],
    "tcp-inline": ["fdpay", "fddepay", "tcpserversink", "tcpclientsrc"],
    "pipe": ["fdsink", "fdsrc", "rawvideoparse"],
    "limit-1": [],
    "limit-2": ["queue"],
    "limit-memcpy": [],
}


# --- one run -----------------------------------------------------------------

class Proc:
    def __init__(self, argv, env, log_path, pass_fds=(), stdin=False):
        self.log = open(log_path, "ab")
        self.log.write(("$ %s\n" % " ".join(shlex.quote(a) for a in argv))
                       .encode())
        self.log.flush()
        self.p = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=self.log,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            pass_fds=pass_fds, start_new_session=True)
        self.rusage = None
        self.status = None

    def wait_line(self, want, timeout):
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        buf = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    return False
                buf += chunk
                if want.encode() in buf:
                    return True
        return False

    def wait(self, timeout):
        """wait4() with a timeout; kills the process group at the end of it.
        Returns True when the process exited by itself."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid == self.p.pid:
                self.status, self.rusage = status, ru
                self.p.returncode = os.waitstatus_to_exitcode(status)
                self.log.close()
                return True
            if time.monotonic() > deadline:
                self.kill()
                pid, status, ru = os.wait4(self.p.pid, 0)
                self.status, self.rusage = status, ru
                self.p.returncode = os.waitstatus_to_exitcode(status)
                self.log.close()
                return False
            time.sleep(0.01)

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except (BrokenPipeError, OSError):
            pass


def transport_plan(t, w, h, fmt, n, d, args, pattern="smpte"):
    """Producer and consumer node.py arguments for one transport."""
    caps = ("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1"
            % (fmt, w, h))
    head = ("videotestsrc num-buffers=%d pattern=%s ! capsfilter "
            "name=stamp caps=%s" % (n, pattern, caps))
    tail = "fakesink name=sink sync=false enable-last-sample=false"
    parse = ("rawvideoparse width=%d height=%d format=%s framerate=30/1"
             % (w, h, fmt.lower()))
    path = os.path.join(d, "sock")
    size = frame_size(w, h, fmt)
    # shmsink stalls unless its area holds enough frames (see README.md)
    shm_size = args.shm_frames * (size + 4096) + (1 << 20)
    plan = {"prod": None, "cons": None, "prod_args": [], "cons_args": [],
            "prod_fds": [], "cons_fds": [], "close": []}
    if t in ("unixsocket", "unixsocket-noyield"):
        yield_off = " yield-after-send=false" if t != "unixsocket" else ""
        plan["prod"] = (head + " ! fdpay name=pay ! unixsocketsink name=sink "
                        "path=%s "
                        "slow-client-policy=block sync=false%s"
                        % (path, yield_off))
        plan["prod_args"] = ["--wait-clients", "sink:stats.n-clients"]
        plan["cons"] = ("unixsocketsrc path=%s ! fddepay name=depay ! %s"
                        % (path, tail))
    elif t == "multisocket":
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fa, fb = a.detach(), b.detach()
        plan["close"] = [fa, fb]
        # send-messages: the upstream channel of GstNetworkMessage events
        # that brings fddepay's releases back to fdpay; wait-for-release
        # holds the sender back as slow-client-policy=block does in the
        # unixsocket row (multisocketsink itself never does)
        plan["prod"] = (head + " ! fdpay name=pay wait-for-release=1000000000"
                        " ! multisocketsink name=sink send-messages=true "
                        "sync=false")
        plan["prod_args"] = ["--add-socket-fd", str(fa)]
        plan["prod_fds"] = [fa]
        plan["cons"] = ("socketsrc name=src send-messages=true ! "
                        "fddepay name=depay ! %s" % tail)
        plan["cons_args"] = ["--socket-fd", str(fb)]
        plan["cons_fds"] = [fb]
    elif t in ("shm", "shm-copy"):
        mid = " ! identity drop-allocation=true" if t == "shm-copy" else ""
        plan["prod"] = (head + mid + " ! shmsink name=sink socket-path=%s "
                        "shm-size=%d wait-for-connection=true sync=false"
                        % (path, shm_size))
        plan["cons"] = ("shmsrc socket-path=%s is-live=true ! %s"
                        % (path, tail))
        if t == "shm":
            # videotestsrc's pool allocates from shmsink's area; unbounded,
            # it grows while the consumer lags until the area is full and
            # shmsink stalls (README.md). At most --shm-pool frames in
            # flight, like unixsocketsink's max-pending.
            plan["prod_args"] = ["--bound-pool", str(args.shm_pool)]
    elif t == "tcp":
        port = free_port()
        plan["prod"] = (head + " ! tcpserversink name=sink host=127.0.0.1 "
                        "port=%d sync=false" % port)
        plan["prod_args"] = ["--wait-clients", "sink:num-handles"]
        plan["cons"] = ("tcpclientsrc host=127.0.0.1 port=%d ! %s ! %s"
                        % (port, parse, tail))
    elif t == "tcp-inline":
        port = free_port()
        plan["prod"] = (head + " ! fdpay name=pay payload=inline ! "
                        "tcpserversink name=sink host=127.0.0.1 port=%d "
                        "sync=false" % port)
        plan["prod_args"] = ["--wait-clients", "sink:num-handles"]
        plan["cons"] = ("tcpclientsrc host=127.0.0.1 port=%d ! "
                        "fddepay name=depay ! %s" % (port, tail))
    elif t == "pipe":
        r, wfd = os.pipe()
        try:
            import fcntl
            fcntl.fcntl(wfd, 1031, 1 << 20)  # F_SETPIPE_SZ
        except OSError:
            pass
        plan["close"] = [r, wfd]
        plan["prod"] = head + " ! fdsink fd=%d sync=false" % wfd
        plan["prod_fds"] = [wfd]
        plan["cons"] = ("fdsrc fd=%d blocksize=1048576 ! %s ! %s"
                        % (r, parse, tail))
        plan["cons_fds"] = [r]
    elif t == "unixfd":
        plan["prod"] = (head + " ! unixfdsink name=sink socket-path=%s "
                        "wait-for-connection=true sync=false" % path)
        plan["cons"] = "unixfdsrc socket-path=%s ! %s" % (path, tail)
    elif t == "limit-1":
        plan["single"] = head + " ! " + tail
    elif t == "limit-2":
        # a queue starts a second streaming thread: the consumer's probe
        # runs on another thread, usually another core, than the source
        plan["single"] = (head + " ! queue max-size-buffers=%d "
                          "max-size-bytes=0 max-size-time=0 ! %s"
                          % (LIMIT2_QUEUE, tail))
    elif t == "limit-memcpy":
        plan["memcpy"] = size
    elif t == "limit-wakeup":
        plan["wakeup"] = True
    else:
        raise ValueError(t)
    return plan


def cpu(ru):
    return ru["utime"] + ru["stime"]


def side_stats(rec):
    """CPU seconds and minor faults of one process in the steady state:
    from its warm-th frame to its last."""
    if not rec or rec.get("ru_warm") is None or rec.get("ru_last") is None:
        return None, None
    return (cpu(rec["ru_last"]) - cpu(rec["ru_warm"]),
            rec["ru_last"]["minflt"] - rec["ru_warm"]["minflt"])


def usage_growth(rec, key):
    """How much the probe's count @key grew in the steady state, or None
    where the probe did not count it (missing, or negative)."""
    if not rec or rec.get("ru_warm") is None or rec.get("ru_last") is None:
        return None
    a = rec["ru_warm"].get(key)
    b = rec["ru_last"].get(key)
    if a is None or b is None or a < 0 or b < 0:
        return None
    return b - a


def preemptions(rec):
    """Involuntary context switches in the steady state of the streaming
    thread that pushes (producer) or receives (consumer) the frames: in the
    paced runs, how often the other process, woken on its CPU, preempted
    it; None where not counted."""
    return usage_growth(rec, "nivcsw_thread")


def thread_faults(rec):
    """Minor faults of the threads other than the main one (GStreamer's:
    the main thread runs the Python harness) in the steady state, or None
    where the probe did not count them."""
    return usage_growth(rec, "minflt_threads")


def percentile(sorted_vals, q):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1,
                   int(round(q / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def stat_growth(res, key, frames):
    """How much an element statistic grew per frame in the steady state."""
    if not res or not res.get("stats_warm") or not res.get("stats_end"):
        return None
    a, b = res["stats_warm"].get(key), res["stats_end"].get(key)
    if a is None or b is None or frames <= 0:
        return None
    return (b - a) / frames


def compute(row, pres, cres, frames):
    """Everything per frame is taken over the steady state: the frames
    after the warm-th one (a quarter of the run), so that pools and caches
    filling up at the start do not count as per-frame costs."""
    prod = pres.get("producer") if pres else None
    cons = cres.get("consumer") if cres else None
    pt = prod["times_ns"] if prod else []
    ct = cons["times_ns"] if cons else []
    warm = cons.get("warm", 0) if cons else 0
    row["frames"] = len(ct)
    row["frames_sent"] = len(pt)
    row["warm_frames"] = warm
    row["complete"] = len(ct) == frames
    st = ct[warm:]
    if len(st) >= 2:
        row["fps"] = (len(st) - 1) / ((st[-1] - st[0]) / 1e9)
    else:
        row["fps"] = 0.0
    if ct and len(pt) >= len(ct):
        lat = sorted((c - p) / 1000.0 for p, c in
                     list(zip(pt, ct))[warm:])
        row["lat_median_us"] = statistics.median(lat) if lat else None
        row["lat_p99_us"] = percentile(lat, 99)
    else:
        row["lat_median_us"] = row["lat_p99_us"] = None
    intervals = max(1, len(st) - 1)
    pc, pf = side_stats(prod)
    cc, cf = side_stats(cons)
    if pres is cres:  # one process: count it once
        cc, cf = 0.0, None
    if pc is not None and cc is not None:
        row["cpu_s_per_frame"] = (pc + cc) / intervals
    else:
        row["cpu_s_per_frame"] = None
    row["minflt_per_frame_producer"] = (pf / intervals
                                        if pf is not None else None)
    row["minflt_per_frame_consumer"] = (cf / intervals
                                        if cf is not None else None)
    # the same without the harness: GStreamer's threads only
    pt_, ct_ = thread_faults(prod), thread_faults(cons)
    row["minflt_gst_per_frame_producer"] = (pt_ / intervals
                                            if pt_ is not None else None)
    row["minflt_gst_per_frame_consumer"] = (
        ct_ / intervals if ct_ is not None and pres is not cres else None)
    pp, cp = preemptions(prod), preemptions(cons)
    row["nivcsw_per_frame_producer"] = (pp / intervals
                                        if pp is not None else None)
    row["nivcsw_per_frame_consumer"] = (
        cp / intervals if cp is not None and pres is not cres else None)
    # new memfds (sender) and new mappings (receiver) per frame, where the
    # elements count them (fdpay, fddepay)
    steady = max(0, frames - warm - 1)
    row["memfds_per_frame"] = stat_growth(pres, "pay.memfds-created", steady)
    # sends of a memfd that was sent before, and memfds closed; None where
    # this fdpay does not count them
    row["reused_per_frame"] = stat_growth(pres, "pay.memfds-reused", steady)
    row["freed_per_frame"] = stat_growth(pres, "pay.memfds-freed", steady)
    row["mappings_per_frame"] = stat_growth(cres, "depay.mappings-created",
                                            steady)
    row["copies_per_frame"] = stat_growth(pres, "pay.copies", steady)
    # descriptors unixsocketsink passed: a memfd's goes once per connection
    row["fds_per_frame"] = stat_growth(pres, "sink.fds", steady)


def rss_kb(proc):
    return proc.rusage.ru_maxrss if proc and proc.rusage else None


def total_cpu(proc):
    if not proc or not proc.rusage:
        return None
    return proc.rusage.ru_utime + proc.rusage.ru_stime


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def run_one(t, res, kind, rep, args, envs, runtime, pattern, trace=None,
            sample=None):
    """One run of transport @t under @runtime ("1.22", "1.26", or None for
    limit-wakeup) with videotestsrc pattern @pattern; returns its row.
    With @trace, a path, the frames run under perf (bench/segments.py) and
    the row gets their segments; with @sample, a path, perf samples them
    (bench/cpuprofile.py) and the row gets the profile of its streaming
    threads."""
    w, h = res
    fmt = args.format
    size = frame_size(w, h, fmt)
    n = run_frames(res, t, kind, args)
    if sample:
        # enough samples of the steady state for its small shares
        n *= cpuprofile.FRAMES_FACTOR
    d = tempfile.mkdtemp(prefix="run-", dir=args.tmp)
    env = envs[runtime] if runtime else dict(os.environ)
    logp = os.path.join(args.out, "logs", "%s-%s-%s-%dx%d-%s-%s.log"
                        % (runtime or "none", pattern or "none", t, w, h,
                           kind, ("traced-%d" % rep) if trace else
                           ("profiled-%d" % rep) if sample else rep))
    row = {"runtime": runtime, "pattern": pattern, "transport": t,
           "resolution": "%dx%d" % (w, h), "format": fmt,
           "consumer": kind, "rep": rep, "frames_asked": n,
           "frame_bytes": size, "error": None}
    plan = transport_plan(t, w, h, fmt, n, d, args, pattern or "smpte")
    if kind == "paced":
        for k in ("prod", "single"):
            if plan.get(k):
                plan[k] = plan[k].replace("videotestsrc ",
                                          "videotestsrc is-live=true ", 1)
    pjson = os.path.join(d, "producer.json")
    cjson = os.path.join(d, "consumer.json")
    common = ["--frames", str(n), "--frame-size", str(size),
              "--warm", str(warm_frames(n)), "--probe-lib", args.probe_lib,
              "--timeout", str(args.run_timeout)]
    prod = cons = recorder = None
    try:
        if "wakeup" in plan:
            prod = Proc([args.wakeup_bin, str(n), "33333", pjson], env, logp)
            if not prod.wait(args.run_timeout + 30):
                row["error"] = "timed out"
            pres = read_json(pjson)
            if pres is None:
                row["error"] = row["error"] or "no result"
                return row
            row.update(pres)
            row["complete"] = True
            row["rss_peak_kb_producer"] = rss_kb(prod)
            row["rss_peak_kb_consumer"] = None
            row["cpu_total_s"] = total_cpu(prod)
            return row
        if "memcpy" in plan or "single" in plan:
            if "memcpy" in plan:
                argv = [PYTHON, NODE, "memcpy", "--size", str(size),
                        "--frames", str(n), "--warm", str(warm_frames(n)),
                        "--out", pjson]
            else:
                argv = [PYTHON, NODE, "single", "--pipeline", plan["single"],
                        "--out", pjson] + common
                if kind == "checksum":
                    argv.append("--checksum")
            prod = Proc(argv, env, logp)
            if not prod.wait(args.run_timeout + 30):
                row["error"] = "timed out"
            pres = read_json(pjson)
            compute(row, pres, pres, n)
            row["rss_peak_kb_producer"] = rss_kb(prod)
            row["rss_peak_kb_consumer"] = None
            row["cpu_total_s"] = total_cpu(prod)
            return row

        pargv = ([PYTHON, NODE, "producer", "--pipeline", plan["prod"],
                  "--out", pjson] + common + plan["prod_args"])
        prod = Proc(pargv, env, logp, pass_fds=plan["prod_fds"], stdin=True)
        if not prod.wait_line("READY", 60):
            row["error"] = "producer did not start"
            return row
        cargv = ([PYTHON, NODE, "consumer", "--pipeline", plan["cons"],
                  "--out", cjson] + common + plan["cons_args"])
        if kind == "checksum":
            cargv.append("--checksum")
        cons = Proc(cargv, env, logp, pass_fds=plan["cons_fds"])
        for fd in plan["close"]:
            os.close(fd)
        plan["close"] = []
        if not cons.wait_line("READY", 60):
            row["error"] = "consumer did not start"
        else:
            if trace:
                recorder = segments.Recorder(trace)
            elif sample:
                recorder = segments.Recorder(sample,
                                             cpuprofile.record_argv(sample))
            if recorder:
                time.sleep(1)       # perf opens its events
            prod.p.stdin.write(b"go\n")
            prod.p.stdin.flush()
            if not cons.wait(args.run_timeout + 10):
                row["error"] = "consumer timed out"
            if recorder and not recorder.stop():
                row["error"] = row["error"] or "perf record failed"
        prod.close_stdin()
        if not prod.wait(15):
            row["error"] = row["error"] or "producer did not stop"
        if cons.rusage is None:
            cons.wait(5)
        pres, cres = read_json(pjson), read_json(cjson)
        compute(row, pres, cres, n)
        for side, res_ in (("producer", pres), ("consumer", cres)):
            if res_ and res_.get("error") and not row["error"]:
                row["error"] = "%s: %s" % (side, res_["error"])
        if cres and cres.get("bad_sizes"):
            row["error"] = row["error"] or (
                "%d frames of the wrong size" % cres["bad_sizes"])
        if not row["complete"] and not row["error"]:
            row["error"] = "got %d of %d frames" % (row["frames"], n)
        if trace and not row["error"]:
            push, arrive = pres["producer"], cres["consumer"]
            row["segments"] = segments.split_frames(
                push["times_ns"], arrive["times_ns"], arrive["warm"],
                segments.read_events(trace), prod.p.pid, push.get("tid"),
                arrive.get("tid"))
            if row["segments"] is None:
                row["error"] = "no frame in the trace"
        if sample and not row["error"]:
            push, arrive = pres["producer"], cres["consumer"]
            row["profile"] = cpuprofile.split_samples(
                cpuprofile.read_samples(sample),
                {"producer": push.get("tid"), "consumer": arrive.get("tid")},
                push["times_ns"], arrive["times_ns"], arrive["warm"])
            if row["profile"] is None:
                row["error"] = "no sample of the streaming threads"
        row["rss_peak_kb_producer"] = rss_kb(prod)
        row["rss_peak_kb_consumer"] = rss_kb(cons)
        pc, cc = total_cpu(prod), total_cpu(cons)
        row["cpu_total_s"] = (pc + cc) if pc is not None and cc is not None \
            else None
        return row
    finally:
        for fd in plan["close"]:
            try:
                os.close(fd)
            except OSError:
                pass
        for p in (prod, cons):
            if p and p.p.returncode is None:
                p.kill()
                p.wait(5)
        if recorder:
            recorder.stop()
        for path in (trace, sample):
            if path and os.path.exists(path):
                os.unlink(path)
        shutil.rmtree(d, ignore_errors=True)


# --- slow consumer ---------------------------------------------------------------

def vmrss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def shmem_kb():
    """System-wide Shmem: memfd and shm pages that no process maps any
    more (queued in a socket, say) are not in anyone's VmRSS."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("Shmem:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_slow(t, res, args, envs, runtime, pattern):
    """Producer at 30 fps; the consumer is stopped (SIGSTOP) for
    --stall seconds in the middle; the producer's RSS is sampled."""
    w, h = res
    fmt = args.format
    before, after = 2.0, 2.0
    n = int((before + args.stall + after) * 30)
    d = tempfile.mkdtemp(prefix="slow-", dir=args.tmp)
    env = envs[runtime]
    logp = os.path.join(args.out, "logs", "slow-%s-%s-%dx%d.log"
                        % (runtime, t, w, h))
    plan = transport_plan(t, w, h, fmt, n, d, args, pattern)
    # paced like a camera
    plan["prod"] = plan["prod"].replace("videotestsrc ",
                                        "videotestsrc is-live=true ", 1)
    if t == "unixsocket":
        # the default policy: a stopped client costs at most max-pending
        plan["prod"] = plan["prod"].replace(" slow-client-policy=block", "")
    pjson = os.path.join(d, "producer.json")
    cjson = os.path.join(d, "consumer.json")
    timeout = before + args.stall + after + 30
    common = ["--frames", str(n), "--timeout", str(timeout),
              "--probe-lib", args.probe_lib]
    out = {"runtime": runtime, "pattern": pattern, "transport": t,
           "resolution": "%dx%d" % (w, h), "format": fmt,
           "stall_s": args.stall, "samples": [], "error": None}
    prod = cons = None
    try:
        prod = Proc([PYTHON, NODE, "producer", "--pipeline", plan["prod"],
                     "--out", pjson] + common + plan["prod_args"], env, logp,
                    pass_fds=plan["prod_fds"], stdin=True)
        if not prod.wait_line("READY", 60):
            out["error"] = "producer did not start"
            return out
        cons = Proc([PYTHON, NODE, "consumer", "--pipeline", plan["cons"],
                     "--out", cjson] + common + plan["cons_args"], env, logp,
                    pass_fds=plan["cons_fds"])
        for fd in plan["close"]:
            os.close(fd)
        plan["close"] = []
        if not cons.wait_line("READY", 60):
            out["error"] = "consumer did not start"
            return out
        prod.p.stdin.write(b"go\n")
        prod.p.stdin.flush()
        t0 = time.monotonic()
        stopped = resumed = False
        while time.monotonic() - t0 < before + args.stall + after + 20:
            el = time.monotonic() - t0
            if not stopped and el >= before:
                os.kill(cons.p.pid, signal.SIGSTOP)
                stopped = True
                out["stop_at_s"] = el
            if stopped and not resumed and el >= before + args.stall:
                os.kill(cons.p.pid, signal.SIGCONT)
                resumed = True
                out["resume_at_s"] = el
            rss = vmrss_kb(prod.p.pid)
            if rss is None:
                break
            out["samples"].append([round(el, 3), rss, shmem_kb()])
            pid, status, ru = os.wait4(cons.p.pid, os.WNOHANG)
            if pid == cons.p.pid:
                cons.status, cons.rusage = status, ru
                cons.p.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.1)
        if cons.p.returncode is None:
            os.kill(cons.p.pid, signal.SIGCONT)
            cons.wait(10)
        prod.close_stdin()
        prod.wait(15)
        cres = read_json(cjson)
        out["frames_received"] = (len(cres["consumer"]["times_ns"])
                                  if cres and cres.get("consumer") else 0)
        out["frames_sent"] = n
        rss = [s[1] for s in out["samples"]]
        out["rss_before_kb"] = rss[0] if rss else None
        out["rss_peak_kb"] = max(rss) if rss else None
        shm = [s[2] for s in out["samples"] if s[2] is not None]
        out["shmem_growth_kb"] = max(shm) - shm[0] if shm else None
        return out
    finally:
        for fd in plan["close"]:
            try:
                os.close(fd)
            except OSError:
                pass
        for p in (prod, cons):
            if p and p.p.returncode is None:
                try:
                    os.kill(p.p.pid, signal.SIGCONT)
                except OSError:
                    pass
                p.kill()
                p.wait(5)
        shutil.rmtree(d, ignore_errors=True)


# --- main ------------------------------------------------------------------------

def machine_info():
    info = {"uname": " ".join(platform.uname()), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["mem_total"] = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    return info


def parse_res(s):
    out = []
    for item in s.split(","):
        w, h = item.lower().split("x")
        out.append((int(w), int(h)))
    return out


def res_name(res):
    return "%dx%d" % res


# Rough costs for the duration estimate printed at the start, measured on
# a 2-core VM (AMD EPYC): starting and stopping the processes of a run, and
# how fast frames move (GB/s): the source's pace under each runtime and
# pattern, and the slowest transports' own.
EST_START_S = {"limit-wakeup": 0.3, "limit-memcpy": 0.3, "limit-1": 0.3,
               "limit-2": 0.3}
EST_START_DEFAULT_S = 0.7
EST_SOURCE_GBPS = {("black", "1.22"): 3.0, ("black", "1.26"): 3.0,
                   ("smpte", "1.22"): 1.6, ("smpte", "1.26"): 0.6}
EST_TRANSPORT_GBPS = {"multisocket": 0.25, "tcp": 0.25, "tcp-inline": 0.25,
                      "pipe": 0.15,
                      "shm-copy": 1.5, "limit-memcpy": 5.0}


def describe_perf_run(row):
    """One line of what a traced or a sampled run found."""
    if row.get("segments"):
        sg = row["segments"]
        return ("push->send %.0f us, send->running %.0f us, running->arrival "
                "%.0f us" % (sg["push_send_us"], sg["send_run_us"],
                             sg["run_arrive_us"]))
    pf = row["profile"]
    return ("producer %.2f ms, consumer %.2f ms of CPU per frame"
            % (pf["producer"]["ms_per_frame"], pf["consumer"]["ms_per_frame"]))


def run_order(items, rep):
    """The order in which @items run in repetition @rep: a Williams design
    (0, 1, n-1, 2, n-2, ... shifted by @rep, and reversed every other n
    repetitions when n is odd). Over n repetitions (2n when n is odd) each
    item runs once (twice) in every position and right after every other
    item once (twice): no row is always measured right after the same one,
    whose leftovers (page cache, freed memory, a warm or a cold CPU) would
    then always fall on it. A rotation of one fixed order does not do
    that: it keeps every row behind the same one."""
    n = len(items)
    if n == 0:
        return []
    seq, lo, hi = [0], 1, n - 1
    while len(seq) < n:
        if len(seq) % 2:
            seq.append(lo)
            lo += 1
        else:
            seq.append(hi)
            hi -= 1
    order = [items[(i + rep) % n] for i in seq]
    if n % 2 and (rep // n) % 2:
        order.reverse()
    return order


def estimate_s(run, args):
    """Seconds one run (runtime, pattern, resolution, transport, kind)
    should take on the machine above."""
    runtime, pattern, res, t, kind = run
    n = run_frames(res, t, kind, args)
    start = EST_START_S.get(t, EST_START_DEFAULT_S)
    if kind == "paced":
        return start + n / 30.0
    gb = n * frame_size(res[0], res[1], args.format) / 1e9
    rate = min(EST_SOURCE_GBPS.get((pattern, runtime), 1.0),
               EST_TRANSPORT_GBPS.get(t, 100.0))
    return start + gb / rate


def run_frames(res, t, kind, args):
    if kind == "paced":
        return args.smoke_frames if args.smoke else args.paced_frames
    return frames_for(frame_size(res[0], res[1], args.format), t, args)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--smoke", action="store_true",
                   help="a few frames per row, 640x360, one rep, pattern "
                        "black (unless --patterns), no slow-consumer run")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--paced-reps", type=int, default=None,
                   help="repetitions of the paced (latency) rows, whose "
                   "medians move most from run to run (default: --reps; "
                   "more than --reps adds repetitions of the paced rows "
                   "only)")
    p.add_argument("--resolutions", default="640x360,1920x1080,3840x2160")
    p.add_argument("--paced-resolutions", default=None,
                   help="resolutions of the paced (30 fps) runs (default: "
                        "the first of --resolutions)")
    p.add_argument("--runtimes", default=",".join(RUNTIMES),
                   help="GStreamer builds to run under: 1.22 (Debian's), "
                        "1.26 (the build in --peers); one table each")
    p.add_argument("--patterns", default=None,
                   help="videotestsrc patterns, one table each (default "
                        "black,smpte; --smoke: black)")
    p.add_argument("--transports", default=None,
                   help="rows to run under every runtime (default: "
                        + "; ".join("%s: %s" % (r, ",".join(ts))
                                    for r, ts in RUNTIME_TRANSPORTS.items())
                        + "; plus limit-wakeup). Known: "
                        + ",".join(ALL_TRANSPORTS))
    p.add_argument("--consumers", default=",".join(KINDS))
    p.add_argument("--format", default="NV12", choices=["NV12", "I420"])
    p.add_argument("--mbytes", type=float, default=1500,
                   help="megabytes of frames per run (sets the frame count: "
                        "60 to 6000 frames)")
    p.add_argument("--smoke-frames", type=int, default=10)
    p.add_argument("--paced-frames", type=int, default=60,
                   help="frames of a paced (30 fps) run")
    p.add_argument("--shm-frames", type=int, default=32,
                   help="shmsink shm-size in frames")
    p.add_argument("--shm-pool", type=int, default=8,
                   help="frames the producer's pool may hold in the shm row "
                        "(videotestsrc waits for one to come back beyond "
                        "that)")
    p.add_argument("--stall", type=float, default=10.0,
                   help="seconds the consumer is stopped in the slow-consumer "
                        "run (0 = no slow-consumer run)")
    p.add_argument("--slow-resolution", default="1920x1080")
    p.add_argument("--run-timeout", type=float, default=60.0)
    p.add_argument("--out", default=None, help="result directory")
    p.add_argument("--build", default=os.path.join(REPO, "build"),
                   help="meson build directory (for gst/fdpass)")
    p.add_argument("--peers", default=os.path.join(REPO, "..", "shared",
                                                   "peers"))
    p.add_argument("--estimate", action="store_true",
                   help="print the runs and the estimated duration, run "
                        "nothing")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--segments", type=int, default=0, metavar="N",
                   help="after the repetitions, N more paced runs of each "
                        "two-process transport under perf (system-wide "
                        "tracing of the scheduler and of the system calls "
                        "that send: root or perf_event_paranoid -1), each "
                        "frame split into the producer's work, the wake-up "
                        "and the consumer's work (bench/segments.py)")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="after the repetitions, N more runs of each "
                        "two-process transport at the largest resolution "
                        "with the checksum consumer, sampled by perf "
                        "(system-wide: root or perf_event_paranoid -1): "
                        "how the streaming threads' time splits into the "
                        "source's copies, the consumer's read, this "
                        "project, the kernel and the rest "
                        "(bench/cpuprofile.py)")
    p.add_argument("--footprint", action="store_true",
                   help="after the repetitions, count the cache lines one "
                        "paced frame brings from memory in each process of "
                        "the unixsocket and shm rows, under valgrind's "
                        "cachegrind with caches emptied between frames, the "
                        "median of three measurements (bench/footprint.py; "
                        "about 3 min)")
    args = p.parse_args()
    # run the finally blocks (they kill the children) on SIGTERM too
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))

    if args.smoke:
        args.reps = 1
        args.paced_reps = 1
        args.resolutions = "640x360"
        args.stall = 0
    if args.paced_reps is None:
        args.paced_reps = args.reps
    if args.patterns is None:
        args.patterns = "black" if args.smoke else ",".join(PATTERNS)
    patterns = [x for x in args.patterns.split(",") if x]
    runtimes = [x for x in args.runtimes.split(",") if x]
    for r in runtimes:
        if r not in RUNTIMES:
            p.error("unknown runtime %s (known: %s)" % (r, ", ".join(RUNTIMES)))
    resolutions = parse_res(args.resolutions)
    paced_res = (parse_res(args.paced_resolutions) if args.paced_resolutions
                 else resolutions[:1])
    kinds = [k for k in args.consumers.split(",") if k]
    if args.transports:
        wanted = [t for t in args.transports.split(",") if t]
        for t in wanted:
            if t not in ALL_TRANSPORTS:
                p.error("unknown transport %s (known: %s)"
                        % (t, ", ".join(ALL_TRANSPORTS)))
        per_runtime = {r: [t for t in wanted if t not in NO_RUNTIME and
                           not (t in NEEDS_124 and r == "1.22")]
                       for r in runtimes}
        wakeup = "limit-wakeup" in wanted
    else:
        per_runtime = {r: list(RUNTIME_TRANSPORTS[r]) for r in runtimes}
        wakeup = True

    if args.out is None:
        args.out = os.path.join(REPO, "bench", "results",
                                datetime.datetime.now().strftime(
                                    "%Y%m%d-%H%M%S"))
    args.out = os.path.abspath(args.out)
    build = os.path.abspath(args.build)
    args.peers = os.path.abspath(args.peers)
    args.plugin_path = os.environ.get("GST_PLUGIN_PATH") or os.path.join(
        build, "gst", "fdpass")
    args.fdpass_libdir = os.path.join(build, "gst-libs", "gst", "fdpass")
    args.probe_lib = os.path.join(build, "bench", "libfdpassbench.so")
    args.wakeup_bin = os.path.join(build, "bench", "fdpass-bench-wakeup")
    args.evict_lib = os.path.join(build, "bench", "libfdpassbenchevict.so")

    def kinds_for(t, res):
        # a memcpy reads every byte already: one kind; the wake-up floor
        # is about paced frames only; paced runs at --paced-resolutions
        ks = ["copy"] if t == "limit-memcpy" else kinds
        if t in PACED_ONLY:
            ks = ["paced"] if "paced" in kinds else []
        return [k for k in ks if k != "paced" or res in paced_res]

    def reps_of(kind):
        return args.paced_reps if kind == "paced" else args.reps

    def plan_runs(per_runtime, wakeup):
        runs = []
        for rep in range(max(args.reps, args.paced_reps)):
            # a new order each repetition, in which no row always runs
            # right after the same one (run_order())
            for pattern in patterns:
                for res in resolutions:
                    for rt in run_order(runtimes, rep):
                        ts = [t for t in per_runtime[rt] if kinds_for(t, res)]
                        for t in run_order(ts, rep):
                            for kind in kinds_for(t, res):
                                if rep < reps_of(kind):
                                    runs.append((rep, rt, pattern, res, t,
                                                 kind))
            if wakeup and rep < args.paced_reps:
                for kind in kinds_for("limit-wakeup", paced_res[0]):
                    runs.append((rep, None, None, paced_res[0],
                                 "limit-wakeup", kind))
        return runs

    def slow_runs(per_runtime):
        if args.stall <= 0:
            return []
        res = parse_res(args.slow_resolution)[0]
        return [(rt, t, res) for rt in runtimes for t in per_runtime[rt]
                if t not in LIMITS and t not in PACED_ONLY]

    def segment_runs(per_runtime):
        """(repetition, runtime, pattern, resolution, transport) of the
        traced runs: the paced rows of the two-process transports, pattern
        black."""
        if args.segments <= 0 or "paced" not in kinds:
            return []
        pattern = "black" if "black" in patterns else patterns[0]
        return [(rep, rt, pattern, paced_res[0], t)
                for rep in range(args.segments) for rt in runtimes
                for t in per_runtime[rt] if t not in LIMITS]

    def profile_runs(per_runtime):
        """(repetition, runtime, pattern, resolution, transport) of the
        sampled runs: the two-process transports of one runtime (1.26,
        whose videotestsrc draws with the C library's copies, where it can;
        with ORC, its drawing is generated code), pattern black, the
        largest resolution, the checksum consumer."""
        if args.profile <= 0 or "checksum" not in kinds:
            return []
        pattern = "black" if "black" in patterns else patterns[0]
        res = max(resolutions, key=lambda r: r[0] * r[1])
        for rt in sorted(runtimes, key=lambda r: r != "1.26"):
            ts = [t for t in per_runtime[rt]
                  if t not in LIMITS and t not in PACED_ONLY]
            if ts:
                return [(rep, rt, pattern, res, t)
                        for rep in range(args.profile) for t in ts]
        return []

    def footprint_plan(per_runtime):
        """(runtime, resolution, transports) of --footprint, or None: the
        first runtime with the unixsocket and shm rows, 1.26 first."""
        if not args.footprint:
            return None
        for rt in sorted(runtimes, key=lambda r: r != "1.26"):
            ts = [t for t in footprint.TRANSPORTS if t in per_runtime[rt]]
            if len(ts) == len(footprint.TRANSPORTS):
                return rt, paced_res[0], ts
        return None

    def estimate(runs, slow, traced=(), fp=None, sampled=()):
        secs = sum(estimate_s(r[1:], args) for r in runs)
        secs += len(slow) * (args.stall + 6)
        secs += sum(estimate_s((rt, p, res, t, "paced"), args) + 10
                    for _, rt, p, res, t in traced)
        secs += sum(estimate_s((rt, p, res, t, "checksum"), args) *
                    cpuprofile.FRAMES_FACTOR + 5
                    for _, rt, p, res, t in sampled)
        if fp:
            # two runs of each process, REPS times: valgrind's start and
            # the frames
            secs += len(fp[2]) * len(footprint.SIDES) * 2 * footprint.REPS * (
                8 + (footprint.SHORT + footprint.LONG) / 2 / 30)
        return secs

    if args.estimate:
        runs = plan_runs(per_runtime, wakeup)
        slow = slow_runs(per_runtime)
        traced = segment_runs(per_runtime)
        sampled = profile_runs(per_runtime)
        print("%d runs, %d slow-consumer runs, %d traced runs and %d "
              "sampled runs, about %.0f min"
              % (len(runs), len(slow), len(traced), len(sampled),
                 estimate(runs, slow, traced, footprint_plan(per_runtime),
                          sampled) / 60))
        return 0

    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    args.tmp = tempfile.mkdtemp(prefix="gst-fdpass-bench-")
    if not os.path.exists(args.probe_lib):
        log("%s is missing: build the project with meson first "
            "(bench/run does)" % args.probe_lib)
        return 1
    if wakeup and not os.path.exists(args.wakeup_bin):
        wakeup = False
        log("skipping limit-wakeup: %s is missing" % args.wakeup_bin)

    results = {"command": " ".join(shlex.quote(a) for a in
                                   [os.environ.get("BENCH_COMMAND",
                                                   sys.argv[0])]
                                   + sys.argv[1:]),
               "started": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": machine_info(), "format": args.format,
               "reps": args.reps, "paced_reps": args.paced_reps,
               "segment_reps": args.segments, "profile_reps": args.profile,
               "order": "williams",
               "patterns": patterns,
               "resolutions": [res_name(r) for r in resolutions],
               "paced_resolutions": [res_name(r) for r in paced_res],
               "runtimes": {}, "transports": {}, "skipped": {},
               "runs": [], "slow_consumer": [], "segments": [],
               "profiles": [],
               "gstreamer": {}}

    envs = {}
    for rt in list(runtimes):
        env = env_122(args) if rt == "1.22" else env_126(args)
        ts = per_runtime[rt]
        need = sorted({e for t in ts for e in ELEMENTS.get(t, [])}
                      | {"videotestsrc", "fakesink"})
        v, missing = check_env(env, need) if env else (
            None, "no GStreamer 1.26 build in %s" % args.peers)
        if v is None:
            results["skipped"][rt] = "GStreamer %s: %s" % (rt, missing)
            log("skipping every row of GStreamer %s: %s" % (rt, missing))
            runtimes.remove(rt)
            continue
        if ("fdpay" in missing and rt == "1.22"):
            log("the fdpass plugin is missing (GST_PLUGIN_PATH=%s)"
                % args.plugin_path)
            return 1
        for t in list(ts):
            lack = [e for e in ELEMENTS.get(t, []) if e in missing]
            if lack:
                ts.remove(t)
                why = "%s not found" % ", ".join(lack)
                results["skipped"]["%s/%s" % (rt, t)] = why
                log("skipping %s under GStreamer %s: %s" % (t, rt, why))
        envs[rt] = env
        results["gstreamer"][rt] = v
        results["runtimes"][rt] = {"version": v, "transports": ts}
        for t in ts:
            results["transports"][t] = DESCRIPTIONS[t]
    if wakeup:
        results["transports"]["limit-wakeup"] = DESCRIPTIONS["limit-wakeup"]
    if not runtimes:
        log("no runtime to run under")
        return 1
    # rows that were skipped in one runtime keep the other's order
    runs = plan_runs(per_runtime, wakeup)
    slow = slow_runs(per_runtime)
    traced = segment_runs(per_runtime)
    sampled = profile_runs(per_runtime)
    if traced or sampled:
        ok, why = segments.available()
        if not ok:
            for key, planned in (("segments", traced), ("profile", sampled)):
                if planned:
                    results["skipped"][key] = why
            log("no runs under perf: %s" % why)
            traced, sampled = [], []
    fp = footprint_plan(per_runtime)
    if args.footprint and fp is None:
        results["skipped"]["footprint"] = ("no runtime with both the "
                                           "unixsocket and the shm rows")
    elif fp:
        ok, why = footprint.available(args.evict_lib)
        if not ok:
            results["skipped"]["footprint"] = why
            log("no footprint: %s" % why)
            fp = None
    est = estimate(runs, slow, traced, fp, sampled)
    results["estimated_s"] = round(est)
    log("%d runs and %d slow-consumer runs (%s; %s; %d repetitions): "
        "about %.0f min"
        % (len(runs), len(slow), ", ".join("GStreamer " + r
                                           for r in runtimes),
           "patterns " + ",".join(patterns), args.reps, est / 60))

    out_json = os.path.join(args.out, "results.json")

    def save():
        tmp = out_json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1)
        os.rename(tmp, out_json)

    started = time.monotonic()
    try:
        for i, (rep, rt, pattern, res, t, kind) in enumerate(runs):
            row = run_one(t, res, kind, rep, args, envs, rt, pattern)
            results["runs"].append(row)
            save()
            log("[%d/%d %.0fs] %-4s %-5s %-12s %-9s %-8s rep %d: %s"
                % (i + 1, len(runs), time.monotonic() - started, rt or "-",
                   pattern or "-", t, row["resolution"], kind, rep,
                   row["error"] or "%.1f fps, %s us median"
                   % (row["fps"], "%.0f" % row["lat_median_us"]
                      if row.get("lat_median_us") is not None else "-")))
        for rt, t, res in slow:
            log("slow consumer: %s under GStreamer %s" % (t, rt))
            results["slow_consumer"].append(
                run_slow(t, res, args, envs, rt, patterns[0]))
            save()
        # the runs under perf: traced (segments), then sampled (profiles)
        perf_data = os.path.join(args.tmp, "perf.data")
        for key, kind, planned in (("segments", "paced", traced),
                                   ("profiles", "checksum", sampled)):
            for rep, rt, pattern, res, t in planned:
                row = run_one(t, res, kind, rep, args, envs, rt, pattern,
                              trace=perf_data if key == "segments" else None,
                              sample=perf_data if key == "profiles" else None)
                results[key].append(row)
                save()
                log("%s: %-4s %-12s rep %d: %s" % (
                    "traced" if key == "segments" else "sampled", rt, t, rep,
                    row["error"] or describe_perf_run(row)))
        if fp:
            rt, res, ts = fp
            results["footprint"] = {
                "runtime": rt, "resolution": res_name(res),
                "format": args.format, "pattern": "black",
                "frames": [footprint.SHORT, footprint.LONG],
                "reps": footprint.REPS,
                "caches": footprint.CACHES, "rows": []}
            logp = os.path.join(args.out, "logs", "footprint.log")
            for t in ts:
                for side in footprint.SIDES:
                    row = footprint.measure(t, side, res, args.format,
                                            envs[rt], args.evict_lib, logp)
                    row.update(transport=t, side=side)
                    results["footprint"]["rows"].append(row)
                    save()
                    log("footprint: %-4s %-12s %-8s %s" % (
                        rt, t, side, row.get("error") or
                        "%.0f instructions, %.0f code and %.0f data lines "
                        "per frame" % (row["instructions"],
                                       row["code_lines"],
                                       row["data_lines"])))
    finally:
        results["finished"] = datetime.datetime.now().isoformat(
            timespec="seconds")
        results["elapsed_s"] = round(time.monotonic() - started)
        save()
        shutil.rmtree(args.tmp, ignore_errors=True)

    log("took %.0f min (estimated %.0f min)"
        % ((time.monotonic() - started) / 60, est / 60))
    if not args.no_plot:
        r = subprocess.run([PYTHON, os.path.join(HERE, "plot.py"), out_json,
                            os.path.join(args.out, "plot.png")],
                           timeout=300)
        if r.returncode != 0:
            log("no plot (is python3-matplotlib installed?)")
    log("results in %s" % out_json)
    failed = [r for r in results["runs"] if r["error"]]
    for r in failed:
        log("FAILED %s %s %s %s %s rep %d: %s"
            % (r["runtime"], r["pattern"], r["transport"], r["resolution"],
               r["consumer"], r["rep"], r["error"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
