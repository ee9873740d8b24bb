"""Where the streaming threads spend a frame's time (bench.py --profile).

One run of a transport with the checksum consumer, sampled system-wide by
perf on the CPU clock (FREQ samples per second of each CPU), on
CLOCK_MONOTONIC like the probes of bench/probe.c. The samples of the
steady state (from the push of the first frame after the warm-up to the
arrival of the last one) of the producer's streaming thread, which pushes
the frames, and of the consumer's, which receives them (the probes record
both thread ids), fall each into one of

  copy        the C library's copies and fills: in the producer that is
              videotestsrc drawing the frame into the transport's memory,
              the same work for every transport
  read        bench/probe.c reading every byte of the frame (the checksum
              consumer), the same work for every transport
  gst-fdpass  this project's plugin and library
  kernel      the kernel: system calls, page faults, interrupts
  other       the rest: GStreamer, GLib, the other elements

so that what a transport itself costs a thread shows beside what the
source and the consumer cost it, whatever the transport.
"""

import os
import re
import subprocess

import segments

FREQ = 2000
# a sampled run has this many times the frames of a run of the tables, so
# that the few percent a transport takes of a thread rest on some hundred
# samples
FRAMES_FACTOR = 4
CATEGORIES = ("copy", "read", "gst-fdpass", "kernel", "other")
THREADS = ("producer", "consumer")

_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\.(\d+):\s+[0-9a-f]+\s+(.*?)\s+"
                   r"\((.*)\)\s*$")
_COPY = re.compile(r"^__(memcpy|memmove|mempcpy|memset)")


def record_argv(path):
    """perf record of the CPU clock, system-wide, on the probes' clock,
    into @path."""
    return ["perf", "record", "-a", "-k", "CLOCK_MONOTONIC", "-e",
            "cpu-clock", "-F", str(FREQ), "-q", "-o", path]


def read_samples(path):
    """The samples of perf.data @path as (time_ns, tid, symbol, object)
    tuples."""
    r = subprocess.run(["perf", "script", "-i", path, "--ns",
                        "-F", "tid,time,ip,sym,dso"],
                       capture_output=True, text=True)
    return parse_script(r.stdout)


def parse_script(text):
    """The samples of the output of perf script -F tid,time,ip,sym,dso
    --ns, in the form read_samples() gives them."""
    samples = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            tid, sec, frac, symbol, obj = m.groups()
            samples.append((segments.script_time_ns(sec, frac), int(tid),
                            symbol, obj))
    return samples


def category(symbol, obj):
    """The category of CATEGORIES of a sample in @symbol of @obj."""
    name = os.path.basename(obj)
    if obj == "[kernel.kallsyms]":
        return "kernel"
    if name.startswith("libgstfdpass"):
        return "gst-fdpass"
    if name.startswith("libfdpassbench"):
        return "read"
    if name.startswith("libc.so") and _COPY.match(symbol):
        return "copy"
    return "other"


def split_samples(samples, tids, push_ns, arrive_ns, warm):
    """For each thread of THREADS whose id @tids gives, its samples per
    category and in all from the push of frame @warm to the arrival of the
    last frame, and the milliseconds of CPU per frame they stand for. None
    when no sample of the steady state fell in either thread."""
    frames = min(len(push_ns), len(arrive_ns)) - warm
    if frames <= 0:
        return None
    start, end = push_ns[warm], arrive_ns[warm + frames - 1]
    out = {"frames": frames}
    for thread in THREADS:
        tid = tids.get(thread)
        counts = dict.fromkeys(CATEGORIES, 0)
        for t, s_tid, symbol, obj in samples:
            if s_tid == tid and start <= t <= end:
                counts[category(symbol, obj)] += 1
        total = sum(counts.values())
        out[thread] = {"samples": total, "categories": counts,
                       "ms_per_frame": total * 1000.0 / FREQ / frames}
    if not any(out[t]["samples"] for t in THREADS):
        return None
    return out
