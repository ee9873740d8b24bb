"""Where the time of a paced frame goes (bench.py --segments).

One run traced with perf, the scheduler's switches and the system calls
that send, on CLOCK_MONOTONIC like the probes of bench/probe.c, so that each
frame's time from the producer's probe to the consumer's probe splits into

  push -> send        the producer's work until its first system call that
                      sends after the frame left the source (sendmsg,
                      sendto, write, writev, by any of its GStreamer
                      threads)
  send -> running     until the consumer's streaming thread runs (0 when it
                      was running already)
  running -> arrival  the consumer's work until the frame reaches the
                      consumer's probe

and whether the consumer ran before the producer's streaming thread went to
sleep (it preempted the producer, ran on the other CPU, or the producer
yielded), or only after.
"""

import bisect
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile

SEND_SYSCALLS = ("sendmsg", "sendto", "write", "writev")
EVENTS = (["sched:sched_switch"] +
          ["syscalls:sys_enter_%s" % s for s in SEND_SYSCALLS])

_LINE = re.compile(r"^\s*(\d+)/(\d+)\s+(\d+)\.(\d+):\s+(\S+):\s*(.*)$")
_SWITCH = re.compile(r"prev_pid=(\d+) .*prev_state=(\S+) ==> "
                     r".*next_pid=(\d+)")


def _record_argv(perf, path):
    """perf record of EVENTS, system-wide, on the probes' clock, into
    @path."""
    argv = [perf, "record", "-a", "-k", "CLOCK_MONOTONIC", "-q", "-o", path]
    for e in EVENTS:
        # not the writes of perf itself, which would trace themselves
        argv += ["-e", e, "--exclude-perf"]
    return argv


def available():
    """(True, None) when perf can trace the scheduler and system calls
    system-wide on CLOCK_MONOTONIC here, else (False, why)."""
    perf = shutil.which("perf")
    if perf is None:
        return False, "perf is not installed (Debian: linux-perf)"
    with tempfile.TemporaryDirectory(prefix="bench-perf-") as d:
        argv = _record_argv(perf, os.path.join(d, "probe.data"))
        r = subprocess.run(argv + ["--", "true"], capture_output=True,
                           text=True)
        if r.returncode != 0:
            why = (r.stderr.strip().splitlines() or ["exit status %d"
                                                     % r.returncode])[0]
            return False, "perf cannot trace here: %s" % why
    return True, None


class Recorder:
    """perf record -a of EVENTS into @path until stop(), or with @argv,
    that perf record command (bench/cpuprofile.py)."""

    def __init__(self, path, argv=None):
        self.path = path
        self.p = subprocess.Popen(argv or _record_argv("perf", path),
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL,
                                  start_new_session=True)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        # perf ends as the SIGINT would once it has written its file
        return (self.p.returncode in (0, -signal.SIGINT) and
                os.path.exists(self.path))


def read_events(path):
    """The events of perf.data @path as (time_ns, pid, tid, kind, detail):
    kind "send" (detail: the system call) or "switch" (detail: prev_tid,
    prev_state, next_tid)."""
    r = subprocess.run(["perf", "script", "-i", path, "--ns",
                        "-F", "pid,tid,time,event,trace"],
                       capture_output=True, text=True)
    return parse_script(r.stdout)


def script_time_ns(sec, frac):
    """The time of perf script --ns, "SEC.FRAC", in nanoseconds."""
    return int(sec) * 1000000000 + int(frac.ljust(9, "0")[:9])


def parse_script(text):
    """The events of the output of perf script -F pid,tid,time,event,trace
    --ns, in the form read_events() gives them."""
    events = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        pid, tid, sec, frac, name, trace = m.groups()
        t = script_time_ns(sec, frac)
        if name == "sched:sched_switch":
            s = _SWITCH.search(trace)
            if s:
                events.append((t, int(pid), int(tid), "switch",
                               (int(s.group(1)), s.group(2),
                                int(s.group(3)))))
        elif name.startswith("syscalls:sys_enter_"):
            events.append((t, int(pid), int(tid), "send",
                           name[len("syscalls:sys_enter_"):]))
    events.sort(key=lambda e: e[0])
    return events


def split_frames(push_ns, arrive_ns, warm, events, prod_pid, prod_tid,
                 cons_tid):
    """Per-frame segments of the frames from @warm on (the n-th push is the
    n-th arrival, as for the latency): medians in microseconds and the
    share of frames whose consumer ran before the producer's streaming
    thread @prod_tid slept. None when no frame could be split."""
    # the main thread runs the Python harness, which sends nothing
    sends = [e[0] for e in events
             if e[3] == "send" and e[1] == prod_pid and e[2] != prod_pid]
    # when the consumer's thread was switched in (True) or out (False)
    cons = [(e[0], e[4][2] == cons_tid) for e in events
            if e[3] == "switch" and cons_tid in (e[4][0], e[4][2])]
    sleeps = [e[0] for e in events
              if e[3] == "switch" and e[4][0] == prod_tid and
              e[4][1][:1] in ("S", "D")]
    cons_times = [c[0] for c in cons]
    push_send, send_run, run_arrive, before = [], [], [], 0
    for i in range(warm, min(len(push_ns), len(arrive_ns))):
        push, arrive = push_ns[i], arrive_ns[i]
        k = bisect.bisect_left(sends, push)
        if k == len(sends) or sends[k] > arrive:
            continue
        send = sends[k]
        k = bisect.bisect_left(cons_times, send)
        if k > 0 and cons[k - 1][1]:
            run = send              # it was running already
        elif k < len(cons) and cons[k][1] and cons[k][0] <= arrive:
            run = cons[k][0]
        else:
            continue                # not traced
        k = bisect.bisect_left(sleeps, send)
        if k == len(sleeps) or run < sleeps[k]:
            before += 1
        push_send.append((send - push) / 1000.0)
        send_run.append((run - send) / 1000.0)
        run_arrive.append((arrive - run) / 1000.0)
    if not push_send:
        return None
    return {"frames": len(push_send),
            "push_send_us": statistics.median(push_send),
            "send_run_us": statistics.median(send_run),
            "run_arrive_us": statistics.median(run_arrive),
            "ran_before_sleep": before / len(push_send)}
