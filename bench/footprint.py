"""What one paced frame costs with cold caches (bench.py --footprint).

A paced frame arrives after 33 ms of idleness, during which the CPU ran
other things: the code and data a transport touches for it mostly come
from memory again. On the 2-core VM of docs/performance.md a cache line
from memory costs tens of nanoseconds, so the number of cache lines a
transport touches per frame, more than its instruction count, sets its
paced latency. perf cannot count cache misses in a VM, so this counts them
in a simulation: one process of a paced run of a transport runs under
valgrind's cachegrind, with caches of a fixed size (32 KiB L1 instruction
and data caches, a 1 MiB last-level cache), and with bench/evict.c
preloaded, whose thread sweeps 4 MiB of data and 128 KiB of code every 5
ms: every frame starts with cold simulated caches, as it does on the VM.

Each process runs twice, with SHORT and LONG frames; the difference of the
two runs, divided by LONG - SHORT, is the cost of one frame in the steady
state (start-up and shutdown cancel out), per function, grouped into this
project's code, GStreamer, GLib and the rest. The cache lines that had to
come from memory are the last-level misses: of code (ILmr) and of data
(DLmr + DLmw). The evicter's own costs (evict.c) are left out.

Where the evicter's sweeps fall against the frames changes from run to
run, and with it a total by up to a third: each process is measured REPS
times, and the measurement with the median total is reported, with the
range of the totals.
"""

import collections
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

SHORT, LONG = 30, 150
REPS = 3
CACHES = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64"]
GROUPS = ["gst-fdpass", "GStreamer", "GLib", "other"]
GROUP_NAMES = {
    "gst-fdpass": "this project",
    "GStreamer": "GStreamer",
    "GLib": "GLib, GObject, GIO",
    "other": "C library, unnamed",
}
TRANSPORTS = ("unixsocket", "shm")
# the C library's copies: in the producer, mostly videotestsrc drawing the
# frame (the same for every transport)
COPY_FUNCTION = re.compile(r"__(memcpy|memmove|mempcpy)")
SIDES = ("producer", "consumer")
OUR_DIRS = (os.sep + os.path.join("gst", "fdpass") + os.sep,
            os.sep + os.path.join("gst-libs", "gst", "fdpass") + os.sep)


def available(evict_lib):
    """(True, None) when cachegrind and the evicter are here."""
    if shutil.which("valgrind") is None:
        return False, "valgrind is not installed (Debian: valgrind)"
    if not os.path.exists(evict_lib):
        return False, "%s is missing: build the project first" % evict_lib
    return True, None


def parse_cachegrind(text):
    """The events of cachegrind output @text and the cost of each
    (file, function) in them: (events, {(file, function): [counts]})."""
    events = []
    costs = collections.defaultdict(list)
    fl = fn = None
    for line in text.splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("fl="):
            fl = line[3:]
        elif line.startswith("fn="):
            fn = line[3:]
        elif line[:1].isdigit() and fn is not None:
            counts = [int(x) for x in line.split()[1:]]
            acc = costs[(fl, fn)]
            if len(acc) < len(counts):
                acc.extend([0] * (len(counts) - len(acc)))
            for i, c in enumerate(counts):
                acc[i] += c
    return events, dict(costs)


def is_ours(fl):
    """Whether source file @fl is of this project's plugin or library."""
    fl = os.path.normpath(fl)
    return any(d in fl for d in OUR_DIRS)


def is_evicter(fl, fn):
    """Whether @fn is bench/evict.c's (its code sweep has no line
    information: only its name tells)."""
    return fl.endswith("evict.c") or fn.startswith("fdpass_bench_evict")


def group_of(fn, ours):
    """The group of function @fn; @ours: the names of this project's
    functions (its inlined code keeps the file name of its header)."""
    if fn in ours:
        return "gst-fdpass"
    if re.match(r"_?gst_", fn):
        return "GStreamer"
    if re.match(r"g_", fn):
        return "GLib"
    return "other"


def per_frame(short, long, frames):
    """Per-frame costs from the parsed outputs @short and @long of two runs
    @frames frames apart: {"instructions", "code_lines", "data_lines",
    "copy_lines" (the data lines of the C library's copy functions),
    "groups": {group: {"instructions", "code_lines", "data_lines"}},
    "top": [(function, code and data lines, instructions)]}."""
    events, a = short
    _, b = long
    idx = {e: i for i, e in enumerate(events)}
    missing = {"Ir", "ILmr", "DLmr", "DLmw"} - set(events)
    if missing:
        raise ValueError("no %s in the cachegrind output"
                         % ", ".join(sorted(missing)))

    def ev(v, name):
        i = idx[name]
        return v[i] if i < len(v) else 0

    ours = {fn for fl, fn in list(a) + list(b)
            if is_ours(fl) and not is_evicter(fl, fn)}
    zero = [0] * len(events)
    total = {g: collections.Counter() for g in GROUPS}
    funcs = collections.Counter()
    instr = collections.Counter()
    copy_lines = 0.0
    for key in set(a) | set(b):
        fl, fn = key
        if is_evicter(fl, fn):
            continue
        va, vb = a.get(key, zero), b.get(key, zero)
        d = {e: (ev(vb, e) - ev(va, e)) / frames for e in events}
        g = group_of(fn, ours)
        code = d["ILmr"]
        data = d["DLmr"] + d["DLmw"]
        total[g]["instructions"] += d["Ir"]
        total[g]["code_lines"] += code
        total[g]["data_lines"] += data
        funcs[fn] += code + data
        instr[fn] += d["Ir"]
        if COPY_FUNCTION.match(fn):
            copy_lines += data
    out = {k: sum(total[g][k] for g in GROUPS)
           for k in ("instructions", "code_lines", "data_lines")}
    out["copy_lines"] = copy_lines
    out["groups"] = {g: dict(total[g]) for g in GROUPS}
    out["top"] = [(fn, round(n, 1), round(instr[fn]))
                  for fn, n in funcs.most_common(12)]
    return out


def pipelines(t, w, h, fmt, n, sock):
    """The producer's and the consumer's gst-launch-1.0 pipelines of the
    paced row of @t, pattern black, @n frames."""
    caps = ("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1"
            % (fmt, w, h))
    head = ("videotestsrc is-live=true num-buffers=%d pattern=black ! "
            "capsfilter caps=%s" % (n, caps))
    tail = "fakesink sync=false enable-last-sample=false"
    if t == "unixsocket":
        return (head + " ! fdpay ! unixsocketsink socket-path=%s "
                "slow-client-policy=block wait-for-connection=true "
                "sync=false" % sock,
                "unixsocketsrc socket-path=%s ! fddepay ! %s" % (sock, tail))
    if t == "shm":
        # room for every frame: a consumer that starts slowly under
        # valgrind must not make the producer wait or drop
        size = (n + 8) * (w * h * 2 + 4096) + (1 << 20)
        return (head + " ! shmsink socket-path=%s shm-size=%d "
                "wait-for-connection=true sync=false" % (sock, size),
                "shmsrc socket-path=%s is-live=true ! %s" % (sock, tail))
    raise ValueError("no footprint pipelines for %s" % t)


def _wait(p, timeout):
    """Waits @timeout seconds for @p, then kills its process group."""
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def run_once(t, side, n, res, fmt, env, evict_lib, d, log):
    """One run of @t with @n frames, @side under cachegrind: the parsed
    output, or None (the reason is in the log file @log)."""
    w, h = res
    sock = os.path.join(d, "sock-%s-%s-%d" % (t, side, n))
    prod, cons = pipelines(t, w, h, fmt, n, sock)
    out = os.path.join(d, "cachegrind-%s-%s-%d" % (t, side, n))
    vg = (["valgrind", "--tool=cachegrind", "--cache-sim=yes",
           "--cachegrind-out-file=" + out] + CACHES)
    venv = dict(env, LD_PRELOAD=evict_lib)
    launch = ["gst-launch-1.0", "-q"]
    with open(log, "ab") as logf:
        def start(argv, e):
            logf.write(("$ %s\n" % " ".join(shlex.quote(a) for a in argv))
                       .encode())
            logf.flush()
            return subprocess.Popen(argv, env=e, stdout=logf, stderr=logf,
                                    stdin=subprocess.DEVNULL,
                                    start_new_session=True)

        pargv = launch + shlex.split(prod)
        cargv = launch + shlex.split(cons)
        p = start((vg if side == "producer" else []) + pargv,
                  venv if side == "producer" else env)
        c = None
        try:
            for _ in range(600):
                if os.path.exists(sock) or p.poll() is not None:
                    break
                time.sleep(0.1)
            c = start((vg if side == "consumer" else []) + cargv,
                      venv if side == "consumer" else env)
            limit = 60 + n / 10
            _wait(p, limit)
            # shmsrc ends with an error once shmsink is gone; fine here
            _wait(c, 30)
        finally:
            for q in (p, c):
                if q is not None and q.poll() is None:
                    _wait(q, 0.1)
    if not os.path.exists(out):
        return None
    with open(out) as f:
        return parse_cachegrind(f.read())


def total_lines(row):
    """The cache lines from memory per frame of a per_frame() @row, code and
    data, the copies left out."""
    return (row["code_lines"] + row["data_lines"] -
            (row.get("copy_lines") or 0))


def median_row(rows):
    """Of the per_frame() @rows of repeated measurements, the one with the
    median total_lines() (the lower middle of an even number), with
    "reps" and "lines_range" [min, max] of the totals added; None when
    there are none."""
    if not rows:
        return None
    ordered = sorted(rows, key=total_lines)
    row = dict(ordered[(len(ordered) - 1) // 2])
    row["reps"] = len(rows)
    row["lines_range"] = [total_lines(ordered[0]), total_lines(ordered[-1])]
    return row


def measure(t, side, res, fmt, env, evict_lib, log, frames=(SHORT, LONG),
            reps=REPS):
    """The per-frame footprint of @side of the paced row of @t: of @reps
    measurements, each from two runs of @frames frames, the median one
    (median_row()), or a dict with "error" when none worked."""
    rows = []
    for _ in range(reps):
        d = tempfile.mkdtemp(prefix="bench-footprint-")
        try:
            short = run_once(t, side, frames[0], res, fmt, env, evict_lib, d,
                             log)
            long = run_once(t, side, frames[1], res, fmt, env, evict_lib, d,
                            log)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        if short is not None and long is not None:
            rows.append(per_frame(short, long, frames[1] - frames[0]))
    if not rows:
        return {"error": "no cachegrind output (see %s)" % log}
    return median_row(rows)
