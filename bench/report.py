#!/usr/bin/python3
"""Markdown report of a bench/bench.py result directory.

usage: report.py DIR [--plot RELPATH] > docs/performance.md

Every number and every comparison in the text comes from DIR/results.json:
medians over the repetitions with the spread (min-max) where there is more
than one. Rows are only ever compared with rows of the same runtime (the
GStreamer build they ran under) and the same videotestsrc pattern."""

import argparse
import json
import os
import statistics
import sys

import cpuprofile
import footprint

# what the targets are about: the recycling path, with the cheapest source
# (its cost hides the least of the transport's) under the newest runtime
US = "unixsocket"
# the same, without unixsocketsink's yield after each frame (paced only)
NOYIELD = "unixsocket-noyield"
TARGET_RUNTIME = "1.26"
TARGET_PATTERN = "black"
BIG = "3840x2160"
# unixsocketsink's max-pending default (gstunixsocketsink.c)
MAX_PENDING = 8


def fmt(v, digits=0):
    if v is None:
        return "–"
    return "{:,.{d}f}".format(v, d=digits).replace(",", " ")


def spread(vals, digits=0, scale=1.0):
    vals = [v * scale for v in vals if v is not None]
    if not vals:
        return "–"
    m = statistics.median(vals)
    if len(vals) == 1 or min(vals) == max(vals):
        return fmt(m, digits)
    return "%s (%s–%s)" % (fmt(m, digits), fmt(min(vals), digits),
                           fmt(max(vals), digits))


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or not b:
        return "–"
    return "%.2f" % (a / b)


def rt_label(rt):
    return "GStreamer %s" % rt if rt else "no GStreamer"


class Results:
    def __init__(self, res):
        self.res = res
        self.groups = {}
        self.order = []
        for r in res["runs"]:
            key = (r.get("runtime"), r.get("pattern"), r["resolution"],
                   r["transport"], r["consumer"])
            if key not in self.groups:
                self.groups[key] = []
                self.order.append(key)
            self.groups[key].append(r)
        self.runtimes = list(res.get("runtimes") or {})
        self.patterns = res.get("patterns") or []
        self.resolutions = res.get("resolutions") or []

    def rows(self, rt, pat, resolution, t, kind, good=True):
        if t == "limit-wakeup":
            rt = pat = None
        rows = self.groups.get((rt, pat, resolution, t, kind), [])
        return [r for r in rows if not r.get("error")] if good else rows

    def vals(self, rt, pat, resolution, t, kind, key):
        return [r[key] for r in self.rows(rt, pat, resolution, t, kind)
                if r.get(key) is not None]

    def by_rep(self, rt, pat, resolution, t, kind, key):
        return {r["rep"]: r[key]
                for r in self.rows(rt, pat, resolution, t, kind)
                if r.get(key) is not None}

    def med(self, rt, pat, resolution, t, kind, key, scale=1.0):
        v = med(self.vals(rt, pat, resolution, t, kind, key))
        return v * scale if v is not None else None


def rep_ratios(a, b):
    """a[rep] / b[rep] for the repetitions both have: the two rows ran
    within minutes of each other, so their ratio is steadier than the
    values."""
    return [a[k] / b[k] for k in sorted(a) if k in b and b[k]]


def verdict(vals, limit, higher_better=True):
    """'met' when every repetition satisfies the target, 'not met' when
    none does, else 'within the spread' with what the median says."""
    if not vals:
        return "no data"
    ok = [(v >= limit) if higher_better else (v <= limit) for v in vals]
    if all(ok):
        return "met"
    if not any(ok):
        return "not met"
    m = statistics.median(vals)
    good = m >= limit if higher_better else m <= limit
    return "within the spread (median %s)" % ("met" if good else "not met")


def pick(options, preferred, fallback_last=False):
    if preferred in options:
        return preferred
    if not options:
        return None
    return options[-1] if fallback_last else options[0]


# --- targets ------------------------------------------------------------------

def targets(R):
    out = []
    w = out.append
    rt = pick(R.runtimes, TARGET_RUNTIME)
    pat = pick(R.patterns, TARGET_PATTERN)
    big = pick(R.resolutions, BIG, fallback_last=True)
    paced = (R.res.get("paced_resolutions") or R.resolutions)[0]
    if rt is None or pat is None or big is None:
        return out
    w("## Targets")
    w("")
    w("For the recycling path (`unixsocket`) under %s, pattern %s. Ratios "
      "are taken per repetition (each row against the row it is compared "
      "with in the same repetition): the median ratio, with the lowest and "
      "the highest in parentheses. A target is *met* when every repetition "
      "meets it, *not met* when none does, *within the spread* otherwise."
      % (rt_label(rt), pat))
    w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")

    def ratio_row(title, key, kind, res, peer, factor, higher_better,
                  unit, digits=0, scale=1.0, label=None, subject=US):
        a = R.by_rep(rt, pat, res, subject, kind, key)
        b = R.by_rep(rt, pat, res, peer, kind, key)
        if not a or not b:
            if subject == US:
                w("| %s | no data (%s or %s missing) | no data |"
                  % (title, subject, peer))
            return
        rs = rep_ratios(a, b)
        w("| %s | %s %s %s, %s %s %s: %s× | %s |" % (
            title, subject, spread(list(a.values()), digits, scale), unit,
            label or peer, spread(list(b.values()), digits, scale), unit,
            spread(rs, 2), verdict(rs, factor, higher_better)
            if subject == US else "for reference"))

    ctx = "%s, checksum consumer" % big
    ratio_row("%s: fps ≥ 1.5 × unixfd" % ctx, "fps", "checksum", big,
              "unixfd", 1.5, True, "fps")
    ratio_row("%s: fps ≥ shm (zero-copy)" % ctx, "fps", "checksum", big,
              "shm", 1.0, True, "fps")
    ratio_row("%s: CPU per frame ≤ shm" % ctx, "cpu_s_per_frame", "checksum",
              big, "shm", 1.0, False, "ms", 2, 1e3)
    ratio_row("%s: CPU per frame ≤ 1.1 × limit-2 (one process, two "
              "threads, no transport)" % ctx, "cpu_s_per_frame", "checksum",
              big, "limit-2", 1.1, False, "ms", 2, 1e3)
    ratio_row("%s, paced 30 fps: median latency ≤ shm" % paced,
              "lat_median_us", "paced", paced, "shm", 1.0, False, "µs")
    ratio_row("%s, paced 30 fps, without unixsocketsink's yield after each "
              "frame (`yield-after-send=false`)" % paced, "lat_median_us",
              "paced", paced, "shm", 1.0, False, "µs", subject=NOYIELD)

    # minor faults per frame, each process: GStreamer's threads where the
    # probe counted them (the main thread runs the Python harness, whose
    # faults come with time, not with frames), the whole process besides
    whole = (("producer", "minflt_per_frame_producer"),
             ("consumer", "minflt_per_frame_consumer"))
    gst = (("producer", "minflt_gst_per_frame_producer"),
           ("consumer", "minflt_gst_per_frame_consumer"))
    keys = gst if all(R.vals(rt, pat, big, US, "checksum", k)
                      for _, k in gst) else whole

    def sides(pairs):
        return "; ".join("%s %s" % (side, spread(
            R.vals(rt, pat, big, US, "checksum", key), 2))
            for side, key in pairs)

    text = sides(keys)
    if keys is gst:
        text = ("GStreamer's threads: %s — whole processes, with the Python "
                "harness: %s" % (text, sides(whole)))
    memfds = R.vals(rt, pat, big, US, "checksum", "memfds_per_frame")
    reused = R.vals(rt, pat, big, US, "checksum", "reused_per_frame")
    extra = ""
    if memfds:
        extra = "; new memfds per frame %s, memfds sent again %s" % (
            spread(memfds, 2), spread(reused, 2) if reused else "not counted")
    prod = R.by_rep(rt, pat, big, US, "checksum", keys[0][1])
    cons = R.by_rep(rt, pat, big, US, "checksum", keys[1][1])
    if prod and cons:
        # the worse of the two processes, per repetition
        per_rep = [max(prod[k], cons[k]) for k in prod if k in cons]
        w("| %s: ≤ 0.1 minor faults per frame in each process | %s%s | %s |"
          % (ctx, text, extra,
             verdict(per_rep, 0.1, higher_better=False)))

    # receive-only at every resolution, against shm and unixfd
    for res in R.resolutions:
        for peer in ("shm", "unixfd"):
            ratio_row("%s, receive consumer: fps ≥ %s" % (res, peer), "fps",
                      "receive", res, peer, 1.0, True, "fps")
            ratio_row("%s, receive consumer: CPU per frame ≤ %s"
                      % (res, peer), "cpu_s_per_frame", "receive", res,
                      peer, 1.0, False, "ms", 3, 1e3)

    # a stopped consumer
    slow = R.res.get("slow_consumer") or []
    by_t = {}
    for s in slow:
        by_t.setdefault((s.get("runtime"), s["transport"]), s)
    s_us = by_t.get((rt, US)) or next(
        (s for s in slow if s["transport"] == US), None)
    if s_us and s_us.get("rss_peak_kb") and s_us.get("rss_before_kb"):
        srt = s_us.get("runtime")
        growth = (s_us["rss_peak_kb"] - s_us["rss_before_kb"]) / 1024.0
        others = []
        for (r_, t), s in by_t.items():
            if r_ != srt or t == US or not s.get("rss_peak_kb"):
                continue
            g = (s["rss_peak_kb"] - s["rss_before_kb"]) / 1024.0
            shm = (s.get("shmem_growth_kb") or 0) / 1024.0
            others.append("%s +%s MB RSS, +%s MB Shmem" % (t, fmt(g, 0),
                                                          fmt(shm, 0)))
        wd, ht = (int(x) for x in s_us["resolution"].split("x"))
        frame_mb = wd * ht * 1.5 / 1e6
        bound = MAX_PENDING * frame_mb
        # the bound plus a pool's worth of frames and some slack for the
        # allocator's bookkeeping
        w("| stopped consumer (%s s, %s, %s): producer memory bounded by "
          "its settings | unixsocket +%s MB RSS, +%s MB Shmem (max-pending "
          "%d frames of %.1f MB: %.0f MB); %s | %s |" % (
              fmt(s_us.get("stall_s"), 0), s_us["resolution"],
              rt_label(srt), fmt(growth, 0),
              fmt((s_us.get("shmem_growth_kb") or 0) / 1024.0, 0),
              MAX_PENDING, frame_mb, bound,
              "; ".join(others) or "no other transport",
              "met" if growth < bound + 4 * frame_mb + 16 else "not met"))
    w("")
    return out


# --- prose ----------------------------------------------------------------------

def more_less(a, b, more="more", less="less"):
    """'12% more' / '8% less' / 'the same' for a against b."""
    if a is None or not b:
        return None
    d = (a - b) / b
    if abs(d) < 0.005:
        return "the same as"
    return "%.0f%% %s than" % (abs(d) * 100, more if d > 0 else less)


def guide(R):
    """What the numbers mean for someone choosing a transport; every
    figure and every comparison is computed from the results."""
    out = []
    w = out.append
    rt = pick(R.runtimes, TARGET_RUNTIME)
    pat = pick(R.patterns, TARGET_PATTERN)
    big = pick(R.resolutions, BIG, fallback_last=True)
    if rt is None or pat is None:
        return out
    paced = (R.res.get("paced_resolutions") or R.resolutions)[0]

    def m(t, kind, key, res=big, scale=1.0, r=rt, p=pat):
        return R.med(r, p, res, t, kind, key, scale)

    w("## What this means when choosing a transport")
    w("")
    w("Figures from %s, pattern %s, %s, unless said otherwise."
      % (rt_label(rt), pat, big))
    w("")
    cpu = {t: m(t, "checksum", "cpu_s_per_frame", scale=1e3)
           for t in (US, "shm", "unixfd", "multisocket", "limit-1",
                     "limit-2")}
    if cpu[US] and cpu["limit-2"]:
        parts = ["%s %s ms" % (t, fmt(cpu[t], 2))
                 for t in (US, "shm", "unixfd") if cpu[t]]
        over = ["%s %+.2f ms" % (t, cpu[t] - cpu["limit-2"])
                for t in (US, "shm", "unixfd") if cpu[t]]
        w("- **What moving a frame costs.** With a consumer that reads "
          "every byte, both processes together spend %s of CPU per frame; "
          "`limit-2`, the same source and read in one process with the "
          "frame handed to a second thread and no transport, spends %s ms "
          "(`limit-1`, one thread: %s ms). Over that limit: %s."
          % (", ".join(parts), fmt(cpu["limit-2"], 2), fmt(cpu["limit-1"], 2),
             ", ".join(over)))
    f_us = m(US, "checksum", "fps")
    f_ud = m("unixfd", "checksum", "fps")
    c_ud = m("unixfd", "checksum", "minflt_per_frame_consumer")
    c_us = m(US, "checksum", "minflt_per_frame_consumer")
    if f_us and f_ud:
        why = ""
        if c_ud is not None and c_us is not None and c_ud > 10 * c_us + 1:
            why = (": its receiver maps each frame anew and faults its "
                   "pages in as the consumer reads them")
        w("- **unixsocket and unixfd** (both pass memfds): unixsocket "
          "delivers %s fps, %.2f× unixfd's %s fps, with a consumer that "
          "reads every frame. unixfd's consumer takes %s minor faults per "
          "frame, unixsocket's %s%s."
          % (fmt(f_us, 0), f_us / f_ud, fmt(f_ud, 0), fmt(c_ud, 1),
             fmt(c_us, 1), why))
    ms_new = m("multisocket", "checksum", "memfds_per_frame")
    ms_f = m("multisocket", "checksum", "minflt_per_frame_producer")
    if cpu["multisocket"] and cpu[US] and ms_new is not None:
        how = ("nearly every frame got a new memfd"
               if ms_new >= 0.5 else
               "the memfds went round (fddepay's releases come back "
               "through `send-messages`)")
        w("- **fdpay with upstream multisocketsink/socketsrc** needs no "
          "element of ours on the wire. fdpay made %.2f new memfds per "
          "frame there: %s; its producer takes %s minor faults per frame "
          "and both processes %s ms of CPU per frame, %s unixsocket."
          % (ms_new, how, fmt(ms_f, 1), fmt(cpu["multisocket"], 2),
             more_less(cpu["multisocket"], cpu[US])))
    r122 = pick([r for r in R.runtimes if r != rt], "1.22")
    if r122:
        tcp = R.med(r122, pat, big, "tcp", "receive", "cpu_s_per_frame", 1e3)
        pipe = R.med(r122, pat, big, "pipe", "receive", "cpu_s_per_frame",
                     1e3)
        us2 = R.med(r122, pat, big, US, "receive", "cpu_s_per_frame", 1e3)
        if tcp and pipe and us2:
            w("- **tcp and pipes copy every frame** through the kernel, "
              "twice (%s): %s and %s ms of CPU per frame with the receive "
              "consumer, against %s ms for unixsocket (%.1f× and %.1f×)."
              % (rt_label(r122), fmt(tcp, 2), fmt(pipe, 2), fmt(us2, 2),
                 tcp / us2, pipe / us2))
        ti, tr = ({k: R.med(r122, pat, big, t, "receive", k)
                   for k in ("fps", "cpu_s_per_frame",
                             "minflt_per_frame_consumer")}
                  for t in ("tcp-inline", "tcp"))
        if ti["fps"] and tr["fps"] and ti["cpu_s_per_frame"] and \
                tr["cpu_s_per_frame"]:
            w("- **To another machine** (%s, 127.0.0.1, receive consumer): "
              "`fdpay payload=inline` over tcpserversink delivers %s fps "
              "with %s ms of CPU per frame; raw video over the same "
              "elements %s fps with %s ms. fddepay writes inline frames "
              "into its memfd pool, which it reuses (%s minor faults per "
              "frame in the consumer, %s with rawvideoparse)."
              % (rt_label(r122), fmt(ti["fps"], 0),
                 fmt(ti["cpu_s_per_frame"] * 1e3, 2), fmt(tr["fps"], 0),
                 fmt(tr["cpu_s_per_frame"] * 1e3, 2),
                 fmt(ti["minflt_per_frame_consumer"], 1),
                 fmt(tr["minflt_per_frame_consumer"], 0)))
    if len(R.patterns) > 1 and "smpte" in R.patterns:
        for r in R.runtimes:
            lb = R.med(r, pat, big, "limit-1", "receive", "cpu_s_per_frame",
                       1e3)
            ls = R.med(r, "smpte", big, "limit-1", "receive",
                       "cpu_s_per_frame", 1e3)
            ub = R.med(r, pat, big, US, "receive", "cpu_s_per_frame", 1e3)
            us_ = R.med(r, "smpte", big, US, "receive", "cpu_s_per_frame",
                        1e3)
            if lb and ls and ub and us_:
                w("- **The source's share** (%s): drawing a frame with "
                  "pattern smpte and passing it on in one process costs %s "
                  "ms, with pattern %s %s ms; unixsocket's receive rows "
                  "cost %s and %s ms. The smpte tables show what a "
                  "transport costs next to an expensive source, the %s "
                  "tables what it costs itself." % (
                      rt_label(r), fmt(ls, 2), pat, fmt(lb, 2), fmt(us_, 2),
                      fmt(ub, 2), pat))
    slow = R.res.get("slow_consumer") or []

    def slow_growth(t):
        """(RSS growth MB, Shmem growth MB, runtime) of @t's stopped
        consumer run, under the guide's runtime where it ran there."""
        runs = [s for s in slow if s["transport"] == t and
                s.get("rss_peak_kb")]
        runs.sort(key=lambda s: s.get("runtime") != rt)
        if not runs:
            return None, None, None
        s = runs[0]
        return ((s["rss_peak_kb"] - s["rss_before_kb"]) / 1024.0,
                (s.get("shmem_growth_kb") or 0) / 1024.0, s.get("runtime"))

    g_us, s_us, _ = slow_growth(US)
    if g_us is not None:
        parts = []
        for t in ("unixfd", "multisocket", "tcp", "tcp-inline", "shm"):
            g, s, r = slow_growth(t)
            if g is not None:
                parts.append("%s +%s MB RSS, +%s MB Shmem%s" % (
                    t, fmt(g, 0), fmt(s, 0),
                    "" if r == rt else " (%s)" % rt_label(r)))
        w("- **A stopped consumer** (%s s): the producer grew by %s; "
          "unixsocket +%s MB RSS (+%s MB Shmem): it holds at most "
          "`max-pending` frames per client and drops the rest for that "
          "client only. (Shmem counts memfds queued in socket buffers, "
          "which are in no process's RSS.)"
          % (fmt(slow[0].get("stall_s"), 0), "; ".join(parts) or "–",
             fmt(g_us, 0), fmt(s_us, 0)))
    lat = {t: m(t, "paced", "lat_median_us", res=paced)
           for t in (US, NOYIELD, "shm", "unixfd", "limit-2",
                     "limit-wakeup")}
    if lat[US] is not None and lat["limit-wakeup"] is not None:
        w("- **A paced source (a camera, 30 fps) on an idle machine**: each "
          "frame wakes the receiver from sleep, and that alone takes %s µs "
          "here (`limit-wakeup`, no GStreamer); handing a frame to a "
          "sleeping thread of the same process takes %s µs (`limit-2`). At "
          "%s the median latency is %s µs with unixsocket, %s µs with shm "
          "and %s µs with unixfd. A write to a Unix socket wakes the "
          "receiver on the sender's CPU, since Linux expects the writer to "
          "block next; a live source does not, it prepares its next frame "
          "first, and a receiver that does not preempt it waits for that. "
          "unixsocketsink gives up the CPU after each frame of a live "
          "stream (`yield-after-send`, on by default), so that the receiver "
          "reads the frame first; without that (`%s`) the median is %s µs. "
          "Whatever is left is the work of both processes in a row, and the "
          "unixsocket path has more of it than shmsink and shmsrc, with "
          "fdpay and fddepay around the socket." % (
              fmt(lat["limit-wakeup"], 0), fmt(lat["limit-2"], 0), paced,
              fmt(lat[US], 0), fmt(lat["shm"], 0), fmt(lat["unixfd"], 0),
              NOYIELD, fmt(lat[NOYIELD], 0)))
        seg = {t: segment_medians(R.res, rt, t) for t in (US, "shm")}
        if seg[US] and seg["shm"]:
            w("  The traced runs (below) split a frame: from the push to the "
              "send the producer works %s µs with unixsocket and %s µs with "
              "shm; the consumer runs %s µs and %s µs after the send; from "
              "then to the arrival it works %s µs and %s µs." % (
                  fmt(seg[US]["push_send_us"], 0),
                  fmt(seg["shm"]["push_send_us"], 0),
                  fmt(seg[US]["send_run_us"], 0),
                  fmt(seg["shm"]["send_run_us"], 0),
                  fmt(seg[US]["run_arrive_us"], 0),
                  fmt(seg["shm"]["run_arrive_us"], 0)))
        fp = footprint_lines(R.res)
        if fp.get(US) and fp.get("shm"):
            w("  With the caches cold, as after 33 ms of other work, a "
              "frame brings %s cache lines of code and data from memory "
              "into the two processes with unixsocket and %s with shm "
              "(%s×, below): four elements of ours run per frame (fdpay, "
              "unixsocketsink, unixsocketsrc, fddepay), where shm has "
              "two." % (
                  fmt(fp[US]), fmt(fp["shm"]), ratio(fp[US], fp["shm"])))
        pre = {t: m(t, "paced", "nivcsw_per_frame_producer", res=paced)
               for t in (NOYIELD, "shm", "unixfd")}
        if pre[NOYIELD] is not None and pre["shm"] is not None:
            w("  Without a yield, the receiver runs at once, preempting the "
              "sender, only when the scheduler finds that it is owed CPU "
              "time, which depends on how long each process ran per frame. "
              "The streaming thread of the producer was preempted "
              "(involuntary context switches per frame) at %s of its frames "
              "with `%s`, %s with shm and %s with unixfd; at the others the "
              "receiver waited for it to prepare its next frame. (With the "
              "yield, each frame counts one such switch.)" % (
                  fmt(pre[NOYIELD], 2), NOYIELD, fmt(pre["shm"], 2),
                  fmt(pre["unixfd"], 2)))
    w("")
    return out


def traced_runs(res, rt, t):
    """The traced runs of @t under @rt, and those of them that gave
    segments."""
    runs = [r for r in res.get("segments") or []
            if r.get("runtime") == rt and r["transport"] == t]
    return runs, [r for r in runs if not r.get("error") and r.get("segments")]


def segment_medians(res, rt, t):
    """The medians over the traced runs of @t under @rt of each segment,
    or None."""
    good = [r["segments"] for r in traced_runs(res, rt, t)[1]]
    if not good:
        return None
    return {k: statistics.median(g[k] for g in good) for k in good[0]}


def segments_table(res):
    runs = res.get("segments") or []
    if not runs:
        return []
    out = []
    w = out.append
    first = runs[0]
    keys = ("lat_median_us", "push_send_us", "send_run_us", "run_arrive_us",
            "ran_before_sleep")
    w("## Where a paced frame's time goes")
    w("")
    w("%s more paced runs of each two-process transport (%s, pattern %s, "
      "%s frames), traced with perf: the scheduler's context switches and "
      "the system calls that send (sendmsg, sendto, write, writev), on "
      "CLOCK_MONOTONIC like the probes (bench/segments.py). Each frame of "
      "the steady state splits into the producer's work from the push at "
      "its probe to its first send, the time until the consumer's "
      "streaming thread runs (0 when it was running), and the consumer's "
      "work from then to the arrival at its probe. A cell is the median "
      "over the runs of each run's median over its frames, the lowest and "
      "the highest in parentheses. The last column is the share of frames "
      "whose consumer ran before the producer's streaming thread went to "
      "sleep. Tracing adds its own cost: these runs are not in the other "
      "tables." % (res.get("segment_reps") or "One or", first["resolution"],
                   first.get("pattern"), first.get("frames_asked")))
    w("")
    w("| runtime | transport | latency median µs | push → send µs | "
      "send → consumer running µs | consumer running → arrival µs | "
      "consumer ran before the producer slept | runs |")
    w("|---|---|---|---|---|---|---|---|")
    order = []
    for r in runs:
        if (r.get("runtime"), r["transport"]) not in order:
            order.append((r.get("runtime"), r["transport"]))
    for rt, t in order:
        mine, good = traced_runs(res, rt, t)
        good = [dict(r["segments"], lat_median_us=r["lat_median_us"])
                for r in good]
        cells = [spread([g[k] for g in good], 2 if k == "ran_before_sleep"
                        else 0) if good else "–" for k in keys]
        w("| %s | %s | %s | %d of %d |" % (
            rt_label(rt), t, " | ".join(cells), len(good), len(mine)))
    w("")
    return out


def profile_shares(run, thread):
    """{category: share of the samples of @thread in @run}, "ms": its CPU
    per frame, and "own": that CPU less the source's copies and the
    consumer's read, or None."""
    pf = (run.get("profile") or {}).get(thread) or {}
    n = pf.get("samples")
    if not n:
        return None
    out = {k: v / float(n) for k, v in pf["categories"].items()}
    out["ms"] = pf["ms_per_frame"]
    out["own"] = pf["ms_per_frame"] * (1.0 - out["copy"] - out["read"])
    return out


def profile_runs(res):
    """{transport: [(producer shares, consumer shares)]} of the sampled
    runs that gave a profile, in the order they ran."""
    runs = {}
    for r in res.get("profiles") or []:
        runs.setdefault(r["transport"], [])
        if r.get("error"):
            continue
        p, c = profile_shares(r, "producer"), profile_shares(r, "consumer")
        if p and c:
            runs[r["transport"]].append((p, c))
    return runs


def profile_table(res):
    runs = profile_runs(res)
    if not runs:
        return []
    first = res["profiles"][0]
    out = []
    w = out.append
    w("## Where a %s frame's time goes" % first["resolution"])
    w("")
    w("%s more runs of each two-process transport (%s, pattern %s, %s "
      "frames, checksum consumer), sampled by perf on the CPU clock, %d "
      "times a second on each CPU, over the steady state (from the push "
      "of the first frame after the warm-up to the arrival of the last; "
      "bench/cpuprofile.py). The samples of each streaming thread split into "
      "the C library's copies and fills (in the producer, videotestsrc "
      "drawing the frame into the transport's memory), the probe reading "
      "every byte of the frame (the checksum consumer), this project's "
      "plugin and library, the kernel (system calls, page faults, "
      "interrupts) and the rest (GStreamer, GLib, the other elements). "
      "Drawing and reading are the same work whatever the transport; the "
      "column before the last is what is left of the thread's CPU per "
      "frame without them. A cell "
      "is the median over the runs, the lowest and the highest in "
      "parentheses. Sampling adds its own cost: these runs are not in the "
      "other tables." % (res.get("profile_reps") or "One or",
                         rt_label(first.get("runtime")),
                         first.get("pattern"), first.get("frames_asked"),
                         cpuprofile.FREQ))
    w("")
    w("| transport | thread | CPU ms per frame | source's copies | "
      "consumer's read | this project | kernel | rest | CPU ms per frame "
      "without the copies and the read | runs |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for t, good in runs.items():
        n = len([r for r in res["profiles"] if r["transport"] == t])
        for i, thread in enumerate(cpuprofile.THREADS):
            shares = [g[i] for g in good]
            cells = ([spread([s["ms"] for s in shares], 3)] +
                     [spread([s[k] for s in shares], 1, 100.0) + " %"
                      for k in cpuprofile.CATEGORIES] +
                     [spread([s["own"] for s in shares], 3)])
            w("| %s | %s | %s | %d of %d |" % (
                t, thread, " | ".join(cells) if shares else
                " | ".join(["–"] * 7), len(good), n))
    w("")
    if runs.get("unixsocket") and runs.get("shm"):
        def own(t):
            return spread([p["own"] + c["own"] for p, c in runs[t]], 3)

        def share(t, i, k):
            return spread([g[i][k] for g in runs[t]], 1, 100.0)
        w("With a consumer that reads every byte, the source's drawing "
          "takes %s %% of the producer's streaming thread with unixsocket "
          "and %s %% with shm, and reading the frame %s %% and %s %% of "
          "the consumer's: what is left to a transport to change there is "
          "%s ms of the two threads' CPU per frame with unixsocket and %s "
          "ms with shm." % (share("unixsocket", 0, "copy"),
                            share("shm", 0, "copy"),
                            share("unixsocket", 1, "read"),
                            share("shm", 1, "read"),
                            own("unixsocket"), own("shm")))
        w("")
    return out


def footprint_lines(res, bound=None):
    """{transport: cache lines from memory per frame, both processes,
    copies left out} of the footprint runs: of the reported (median)
    measurements, or with @bound 0 or 1 the sums of the lowest or highest
    totals of each process's measurements."""
    fp = res.get("footprint") or {}
    totals = {}
    for r in fp.get("rows") or []:
        if r.get("error"):
            continue
        v = footprint.total_lines(r)
        if bound is not None:
            v = (r.get("lines_range") or [v, v])[bound]
        totals[r["transport"]] = totals.get(r["transport"], 0.0) + v
    return totals


def footprint_table(res):
    fp = res.get("footprint")
    if not fp or not fp.get("rows"):
        return []
    short, long = fp.get("frames") or (0, 0)
    reps = fp.get("reps") or 1
    out = []
    w = out.append
    groups = footprint.GROUPS
    names = footprint.GROUP_NAMES
    w("## What a paced frame costs with cold caches")
    w("")
    w("A paced frame comes after 33 ms in which the CPU did other work, so "
      "the code and data a transport touches for it mostly come from "
      "memory again, and on a VM each of those cache lines costs tens of "
      "nanoseconds. perf cannot count cache misses here, so each process "
      "of the paced %s %s runs under valgrind's cachegrind (%s, pattern %s) "
      "with simulated caches of a fixed size (%s) and a thread "
      "(bench/evict.c) that empties them every 5 ms; the difference of a "
      "run of %d frames and one of %d, divided by %d, is the cost of one "
      "frame in the steady state (bench/footprint.py). Lines from memory "
      "are last-level misses: of code, and of data, the C library's copies "
      "counted apart (in the producer that is mostly videotestsrc drawing "
      "the frame, the same for every transport). %sThese are counts, not "
      "times." % (
          fp.get("resolution"), fp.get("format"), rt_label(fp.get("runtime")),
          fp.get("pattern"), ", ".join(c.lstrip("-") for c in
                                       fp.get("caches") or []),
          short, long, long - short,
          "Where the evicter's sweeps fall against the frames moves a count "
          "from run to run, so each process was measured %d times: a row is "
          "the measurement with the median total of lines, the range is that "
          "of the totals. " % reps if reps > 1 else ""))
    w("")

    def n(v):
        # a count that the difference of two runs leaves a little below 0
        return fmt(v if v is None or abs(v) >= 0.5 else 0)

    w("| transport | process | instructions | code lines from memory | "
      "data lines from memory | of which copies | lines without copies "
      "(range) | %s |" % " | ".join("%s: lines" % names[g] for g in groups))
    w("|---|---|---|---|---|---|---|%s" % ("---|" * len(groups)))
    for r in fp["rows"]:
        if r.get("error"):
            w("| %s | %s | %s |%s" % (r["transport"], r["side"], r["error"],
                                      " |" * (5 + len(groups))))
            continue
        gs = r.get("groups") or {}
        lo, hi = r.get("lines_range") or [None, None]
        w("| %s | %s | %s | %s | %s | %s | %s%s | %s |" % (
            r["transport"], r["side"], n(r["instructions"]),
            n(r["code_lines"]), n(r["data_lines"]),
            n(r.get("copy_lines")), n(footprint.total_lines(r)),
            " (%s–%s)" % (n(lo), n(hi)) if lo is not None else "",
            " | ".join(
                n((gs.get(g) or {}).get("code_lines", 0) +
                    (gs.get(g) or {}).get("data_lines", 0)) for g in groups)))
    w("")
    totals = footprint_lines(res)
    lows, highs = footprint_lines(res, 0), footprint_lines(res, 1)
    if "unixsocket" in totals and totals.get("shm"):
        def span(t):
            return " (%s–%s)" % (fmt(lows[t]), fmt(highs[t])) \
                if reps > 1 else ""

        w("Both processes together, copies left out: unixsocket brings "
          "%s cache lines per frame from memory%s, shm %s%s: %s×." % (
              fmt(totals["unixsocket"]), span("unixsocket"),
              fmt(totals["shm"]), span("shm"),
              ratio(totals["unixsocket"], totals["shm"])))
        w("")
    tops = [r for r in fp["rows"] if not r.get("error") and
            r["transport"] == "unixsocket"]
    for r in tops:
        w("unixsocket %s, the functions with the most lines from memory "
          "(lines, instructions): %s." % (r["side"], "; ".join(
              "`%s` %s, %s" % (fn, fmt(lines), fmt(i))
              for fn, lines, i in (r.get("top") or [])[:10])))
        w("")
    return out


# --- tables -----------------------------------------------------------------------

def table(R, rt, pat):
    out = []
    w = out.append
    w("## %s, pattern %s" % (rt_label(rt), pat))
    w("")
    w("| resolution | transport | consumer | fps | CPU ms/frame | CPU ÷ shm | "
      "CPU ÷ limit-2 | fps ÷ shm | latency median µs | latency p99 µs | "
      "minor faults/frame prod / cons | new memfds / memfds sent again / "
      "new mappings per frame | peak RSS MB prod / cons | failed runs |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    kinds = ["receive", "checksum", "paced", "copy"]
    ts = list((R.res.get("runtimes") or {}).get(rt, {}).get("transports")
              or [])
    paced = R.res.get("paced_resolutions") or []
    for res in R.resolutions:
        rows_ts = ts + (["limit-wakeup"] if res in paced[:1] else [])
        for t in rows_ts:
            for c in kinds:
                rows = R.rows(rt, pat, res, t, c, good=False)
                if not rows:
                    continue
                good = [r for r in rows if not r.get("error")]
                cpu = med([r.get("cpu_s_per_frame") for r in good])
                fps = med([r["fps"] for r in good])
                ref = "receive" if c == "copy" else c

                def cell(key, digits):
                    return fmt(med([r.get(key) for r in good]), digits)

                mem = "–"
                if any(r.get("memfds_per_frame") is not None for r in good):
                    mem = "%s / %s / %s" % (
                        cell("memfds_per_frame", 2),
                        cell("reused_per_frame", 2),
                        cell("mappings_per_frame", 2))
                rss = []
                for side in ("producer", "consumer"):
                    v = med([r.get("rss_peak_kb_" + side) for r in good
                             if r.get("rss_peak_kb_" + side)])
                    rss.append(fmt(v / 1024 if v else None, 1))
                w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                  "%s / %s | %s | %s / %s | %d of %d |" % (
                      res, t, c,
                      spread([r["fps"] for r in good]),
                      spread([r.get("cpu_s_per_frame") for r in good], 3,
                             1000.0),
                      ratio(cpu, R.med(rt, pat, res, "shm", ref,
                                       "cpu_s_per_frame")),
                      ratio(cpu, R.med(rt, pat, res, "limit-2", ref,
                                       "cpu_s_per_frame")),
                      ratio(fps, R.med(rt, pat, res, "shm", ref, "fps")),
                      spread([r.get("lat_median_us") for r in good]),
                      spread([r.get("lat_p99_us") for r in good]),
                      cell("minflt_per_frame_producer", 1),
                      cell("minflt_per_frame_consumer", 1),
                      mem, rss[0], rss[1], len(rows) - len(good),
                      len(rows)))
    w("")
    return out


def slow_table(slow):
    out = []
    w = out.append
    w("## Slow consumer")
    w("")
    w("The producer runs live at 30 fps; the consumer is stopped "
      "(SIGSTOP) for %s s after 2 s, then continued. The producer's "
      "VmRSS, sampled every 0.1 s (MB, shown once a second). Shmem growth "
      "is the peak rise of /proc/meminfo's system-wide Shmem during the "
      "run: memfds that were sent and unmapped are in no process's RSS "
      "(noisy on a shared machine)." % slow[0].get("stall_s"))
    w("")
    secs = 0
    for s in slow:
        if s["samples"]:
            secs = max(secs, int(s["samples"][-1][0]))
    w("| runtime | transport | resolution | frames received / sent | "
      "RSS before | RSS peak | Shmem growth | "
      + " | ".join("%d s" % i for i in range(secs + 1)) + " |")
    w("|---|---|---|---|---|---|---|" + "---|" * (secs + 1))
    for s in slow:
        per_sec = {}
        for t, kb, *_ in s["samples"]:
            per_sec.setdefault(int(t), kb)
        w("| %s | %s | %s | %s / %s | %s | %s | %s | %s |" % (
            s.get("runtime") or "–", s["transport"], s["resolution"],
            s.get("frames_received", "–"), s.get("frames_sent", "–"),
            fmt(s.get("rss_before_kb") and s["rss_before_kb"] / 1024, 1),
            fmt(s.get("rss_peak_kb") and s["rss_peak_kb"] / 1024, 1),
            fmt(s.get("shmem_growth_kb") is not None and
                s["shmem_growth_kb"] / 1024, 1),
            " | ".join(fmt(per_sec[i] / 1024, 0) if i in per_sec else "–"
                       for i in range(secs + 1))))
    w("")
    for s in slow:
        if s.get("error"):
            w("- `%s` (%s): %s" % (s["transport"], s.get("runtime"),
                                   s["error"]))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dir")
    p.add_argument("--plot", default="plot.png",
                   help="path of the plot as the report should link it")
    args = p.parse_args()
    with open(os.path.join(args.dir, "results.json")) as f:
        res = json.load(f)
    R = Results(res)

    out = []
    w = out.append
    m = res["machine"]
    w("# Performance")
    w("")
    w("Measured by `bench/run` (bench/bench.py); every number and every "
      "comparison below is generated from its `results.json` by "
      "`bench/report.py`, none is typed by hand.")
    w("")
    w("- Command: `%s`" % res["command"])
    w("- Machine: %s, %s CPUs, %s; `%s`"
      % (m.get("cpu_model", "?"), m.get("cpus"), m.get("mem_total", "?"),
         m.get("uname")))
    w("- Runtimes: %s" % ", ".join(
        "%s (table \"%s\")" % (v.get("version"), rt_label(k))
        for k, v in (res.get("runtimes") or {}).items()))
    paced_reps = res.get("paced_reps") or res.get("reps")
    if res.get("order") == "williams":
        order = ("in an order that changes each repetition so that, over "
                 "as many repetitions as rows (twice as many for an odd "
                 "number), each row runs in every position and right after "
                 "every other row equally often (a Williams design)")
    else:
        order = "their order rotated from one repetition to the next"
    w("- Run: %s to %s (%s min); %s repetitions%s; raw %s; patterns %s; rows "
      "interleaved within each repetition, %s." % (
          res.get("started"), res.get("finished"),
          fmt((res.get("elapsed_s") or 0) / 60.0, 0), res.get("reps"),
          (", %s of the paced rows" % paced_reps
           if paced_reps != res.get("reps") else ""),
          res.get("format"), ", ".join(R.patterns), order))
    w("")
    w("Rows:")
    w("")
    for t, d in res["transports"].items():
        w("- `%s`: %s" % (t, d))
    for t, why in res.get("skipped", {}).items():
        w("- `%s`: skipped, %s" % (t, why))
    w("")
    w("**Fairness.** Every table holds the rows of one runtime, the "
      "GStreamer build all of its processes ran under (our plugin, built "
      "against 1.22, loads under the 1.26 build too), and one videotestsrc "
      "pattern, and rows are only compared within a table. The 1.26 peer "
      "build was configured without ORC, so its videotestsrc draws "
      "patterns in plain C; comparing rows across runtimes would measure "
      "that, which is why every comparison is within one runtime. Pattern "
      "`black` makes the source cheap, so that the transport's own cost "
      "shows; `smpte` is a costlier source.")
    w("")
    w("How it measures: producer and consumer are separate processes "
      "(bench/node.py drives GStreamer through PyGObject), except for the "
      "`limit-*` rows. The producer is `videotestsrc`, not paced and "
      "`sync=false` everywhere, except in the `paced` rows (a live source "
      "at 30 fps). The per-frame work of the measurement is C "
      "(bench/probe.c), so no Python runs on the path of a frame: a pad "
      "probe after the source reads CLOCK_MONOTONIC as each frame is "
      "pushed, one at the consumer's `fakesink` as it arrives, and latency "
      "pairs the n-th push with the n-th arrival (every transport here is "
      "lossless). The `receive` consumer touches no frame data; the "
      "`checksum` consumer reads every byte of every frame on a read-only "
      "map, at the speed of memory (an XOR of its 64-bit words; zlib's "
      "CRC-32, used before, runs at about 6 GB/s here and held every "
      "3840x2160 row, one process included, to the same rate). Everything per frame is taken over the steady "
      "state, the last three quarters of each run, so that pools and "
      "caches filling up at the start are not counted as per-frame costs: "
      "fps, CPU time (user+sys of both processes, getrusage()), minor "
      "page faults of each process (and of its GStreamer threads alone, "
      "all but the main thread, which runs the Python harness), the "
      "involuntary context switches of the streaming thread that pushes "
      "or receives the frames (getrusage()), latency, and for fdpay "
      "the memfds it creates and the memfds it sends again (stats "
      "`memfds-created`, `memfds-reused`), for fddepay the mappings it "
      "makes. Peak RSS is "
      "wait4()'s ru_maxrss (it includes the Python interpreter, about "
      "25 MB). Without pacing, latency includes the time a frame waits in "
      "the transport's queue when the consumer is the slower side.")
    w("")
    w("Each cell is the median over the repetitions, with the lowest and "
      "the highest value in parentheses. `limit-wakeup` runs no GStreamer; "
      "its row is the same in every table.")
    w("")
    if os.path.exists(os.path.join(args.dir, "plot.png")):
        w("![fps per CPU-second and latency](%s)" % args.plot)
        w("")

    out.extend(targets(R))
    out.extend(guide(R))
    out.extend(profile_table(res))
    out.extend(segments_table(res))
    out.extend(footprint_table(res))
    for rt in R.runtimes:
        for pat in R.patterns:
            out.extend(table(R, rt, pat))
    slow = res.get("slow_consumer") or []
    if slow:
        out.extend(slow_table(slow))

    failed = [r for r in res["runs"] if r.get("error")]
    if failed:
        w("## Failed runs")
        w("")
        for r in failed:
            w("- %s, %s, %s %s %s rep %d: %s" % (
                rt_label(r.get("runtime")), r.get("pattern"),
                r["transport"], r["resolution"], r["consumer"], r["rep"],
                r["error"]))
        w("")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
