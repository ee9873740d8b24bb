#!/usr/bin/python3
"""Markdown report of a bench/bench.py result directory.

usage: report.py DIR [--plot RELPATH] > docs/performance.md

Every number comes from DIR/results.json; medians over the repetitions with
the spread (min-max) where there is more than one."""

import argparse
import json
import os
import statistics
import sys


def fmt(v, digits=0):
    if v is None:
        return "–"
    return "{:,.{d}f}".format(v, d=digits).replace(",", " ")


def spread(vals, digits=0, scale=1.0):
    vals = [v * scale for v in vals if v is not None]
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1 or min(vals) == max(vals):
        return fmt(med, digits)
    return "%s (%s–%s)" % (fmt(med, digits), fmt(min(vals), digits),
                           fmt(max(vals), digits))


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or not b:
        return "–"
    return "%.2f" % (a / b)


def memfds_cell(rows):
    a = med([r.get("memfds_per_frame") for r in rows])
    b = med([r.get("mappings_per_frame") for r in rows])
    if a is None and b is None:
        return "–"
    return "%s / %s" % (fmt(a, 2), fmt(b, 2))


def vals(groups, resolution, transport, consumer, key):
    rows = [r for r in groups.get((resolution, transport, consumer), [])
            if not r.get("error")]
    return [r[key] for r in rows if r.get(key) is not None]


def compare(a, b, higher_better=True):
    """Verdict of a >= b (or a <= b) over per-repetition values: 'met' when
    the medians say so and the ranges do not overlap, 'tie' when the medians
    say so but the spread is larger than the difference, else 'not met'."""
    if not a or not b:
        return "no data"
    ma, mb = statistics.median(a), statistics.median(b)
    if higher_better:
        better, clear = ma >= mb, min(a) > max(b)
        worse_clear = max(a) < min(b)
    else:
        better, clear = ma <= mb, max(a) < min(b)
        worse_clear = min(a) > max(b)
    if better and clear:
        return "met"
    if worse_clear:
        return "not met"
    return "met, within the spread" if better else \
        "not met, within the spread"


def targets(groups, resolutions, slow):
    """The targets of the recycling path (unixsocket), each with the
    numbers it rests on."""
    out = []
    w = out.append
    us = "unixsocket"
    big = "3840x2160" if "3840x2160" in resolutions else resolutions[-1]
    small = resolutions[0]
    w("## Targets")
    w("")
    w("For the recycling path (`unixsocket`). A target is *met* when the "
      "medians satisfy it and the ranges over the repetitions do not "
      "overlap; *within the spread* means the medians satisfy it (or not) "
      "but the repetitions overlap, so the difference is not shown.")
    w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")

    # 1. 4K reading consumer vs unixfd and shm
    a = vals(groups, big, us, "checksum", "fps")
    u = vals(groups, big, "unixfd-1.26", "checksum", "fps")
    if a and u:
        need = [1.5 * x for x in u]
        w("| %s, checksum consumer: fps ≥ 1.5 × unixfd | unixsocket %s fps, "
          "unixfd %s fps: %.2f× | %s |" % (
              big, spread(a), spread(u), statistics.median(a) /
              statistics.median(u), compare(a, need)))
    sh = vals(groups, big, "shm", "checksum", "fps")
    if a and sh:
        w("| %s, checksum consumer: fps > shmsink (zero-copy) | unixsocket "
          "%s fps, shm %s fps: %.2f× | %s |" % (
              big, spread(a), spread(sh), statistics.median(a) /
              statistics.median(sh), compare(a, sh)))
    c = vals(groups, big, us, "checksum", "cpu_s_per_frame")
    lim = vals(groups, big, "limit-videotestsrc", "checksum",
               "cpu_s_per_frame")
    if c and lim:
        w("| %s, checksum consumer: CPU per frame ≤ 1.2 × the limit "
          "(videotestsrc plus one read of the frame, one process) | "
          "unixsocket %s ms, limit %s ms: %.2f× | %s |" % (
              big, spread(c, 2, 1e3), spread(lim, 2, 1e3),
              statistics.median(c) / statistics.median(lim),
              compare(c, [1.2 * x for x in lim], higher_better=False)))

    # 2. receive-only consumer vs shm and unixfd, every resolution
    for res in resolutions:
        for peer in ("shm", "unixfd-1.26"):
            fa = vals(groups, res, us, "receive", "fps")
            fb = vals(groups, res, peer, "receive", "fps")
            ca = vals(groups, res, us, "receive", "cpu_s_per_frame")
            cb = vals(groups, res, peer, "receive", "cpu_s_per_frame")
            if not (fa and fb and ca and cb):
                continue
            w("| %s, receive consumer: fps ≥ %s | %s vs %s fps | %s |"
              % (res, peer, spread(fa), spread(fb), compare(fa, fb)))
            w("| %s, receive consumer: CPU per frame ≤ %s | %s vs %s ms | "
              "%s |" % (res, peer, spread(ca, 3, 1e3), spread(cb, 3, 1e3),
                        compare(ca, cb, higher_better=False)))

    # 3. no page faults, no new memfd or mapping per frame: the median over
    # the repetitions of each resolution and consumer, the worst of those;
    # and every memfd or mapping made in any steady state, counted
    fault_keys = ("minflt_per_frame_producer", "minflt_per_frame_consumer")
    worst = {}
    made = {"memfds_per_frame": 0.0, "mappings_per_frame": 0.0,
            "fds_per_frame": 0.0}
    n_runs = n_frames = 0
    for res in resolutions:
        for kind in ("receive", "checksum", "paced"):
            for key in fault_keys:
                v = vals(groups, res, us, kind, key)
                if v:
                    worst[key] = max(worst.get(key, 0.0),
                                     statistics.median(v))
            for r in groups.get((res, us, kind), []):
                if r.get("error") or r.get("memfds_per_frame") is None:
                    continue
                steady = max(0, r["frames_asked"] - r["warm_frames"] - 1)
                n_runs += 1
                n_frames += steady
                for key in made:
                    made[key] += (r.get(key) or 0.0) * steady
    if len(worst) == len(fault_keys) and n_frames:
        # a few faults per run (Python's allocator, GLib) are not per frame;
        # a pool that grows by a buffer once, when a consumer lagged, is not
        # a memfd per frame
        met = (worst[fault_keys[0]] < 0.5 and worst[fault_keys[1]] < 0.5 and
               made["memfds_per_frame"] < 0.001 * n_frames and
               made["mappings_per_frame"] < 0.001 * n_frames)
        w("| steady state: no page faults, no new memfd and no new mapping "
          "per frame, either process | minor faults per frame, producer / "
          "consumer (median of the repetitions, worst resolution and "
          "consumer): %s / %s; over all %d runs (%s steady frames): %s new "
          "memfds, %s new mappings, %s file descriptors passed | %s |" % (
              fmt(worst[fault_keys[0]], 2), fmt(worst[fault_keys[1]], 2),
              n_runs, fmt(n_frames, 0), fmt(made["memfds_per_frame"], 0),
              fmt(made["mappings_per_frame"], 0),
              fmt(made["fds_per_frame"], 0),
              "met" if met else "not met"))

    # 4. stopped consumer
    by_t = {s["transport"]: s for s in slow}
    s_us = by_t.get(us)
    if s_us and s_us.get("rss_peak_kb") and s_us.get("rss_before_kb"):
        growth = (s_us["rss_peak_kb"] - s_us["rss_before_kb"]) / 1024.0
        others = []
        for t in ("tcp", "multisocket", "unixfd-1.26"):
            s = by_t.get(t)
            if not s or not s.get("rss_peak_kb"):
                continue
            g = (s["rss_peak_kb"] - s["rss_before_kb"]) / 1024.0
            shm = (s.get("shmem_growth_kb") or 0) / 1024.0
            others.append("%s +%s MB RSS, +%s MB Shmem" % (t, fmt(g, 0),
                                                          fmt(shm, 0)))
        frame_mb = None
        try:
            wd, ht = (int(x) for x in s_us["resolution"].split("x"))
            frame_mb = wd * ht * 1.5 / 1e6
        except (KeyError, ValueError):
            pass
        bound = "" if frame_mb is None else \
            " (max-pending 8 frames of %.1f MB: %.0f MB)" % (frame_mb,
                                                            8 * frame_mb)
        w("| stopped consumer (%s s): producer memory bounded by its "
          "settings | unixsocket +%s MB RSS, +%s MB Shmem%s; %s | %s |" % (
              fmt(s_us.get("stall_s"), 0), fmt(growth, 0),
              fmt((s_us.get("shmem_growth_kb") or 0) / 1024.0, 0), bound,
              "; ".join(others) or "no other transport",
              "met" if frame_mb is None or growth < 12 * frame_mb + 16
              else "not met"))

    # 5. latency
    for kind, what in (("receive", "full speed, the consumer faster than "
                        "the producer"),
                       ("paced", "30 fps live source, the machine idle "
                        "between frames")):
        la = vals(groups, small, us, kind, "lat_median_us")
        if not la:
            continue
        ls = vals(groups, small, "shm", kind, "lat_median_us")
        lu = vals(groups, small, "unixfd-1.26", kind, "lat_median_us")
        lw = vals(groups, small, "limit-wakeup", kind, "lat_median_us")
        floor = ("; the floor, one message waking a process in poll() "
                 "(limit-wakeup): %s" % spread(lw)) if lw else ""
        w("| median latency < 50 µs (%s, %s) | unixsocket %s µs; shm %s, "
          "unixfd %s%s | %s |" % (small, what, spread(la), spread(ls),
                                  spread(lu), floor,
                                  compare(la, [50.0], higher_better=False)))
    w("")
    return out


def guide(groups, resolutions, slow):
    """What the numbers mean for someone choosing a transport; every
    figure is taken from the results."""
    out = []
    w = out.append
    big = "3840x2160" if "3840x2160" in resolutions else resolutions[-1]

    def m(t, kind, key, res=big, scale=1.0):
        v = vals(groups, res, t, kind, key)
        return statistics.median(v) * scale if v else None

    def slow_growth(t):
        for s in slow:
            if s["transport"] == t and s.get("rss_peak_kb"):
                return ((s["rss_peak_kb"] - s["rss_before_kb"]) / 1024.0,
                        (s.get("shmem_growth_kb") or 0) / 1024.0)
        return None, None

    w("## What this means when choosing a transport")
    w("")
    us_c = m("unixsocket", "checksum", "cpu_s_per_frame", scale=1e3)
    shm_c = m("shm", "checksum", "cpu_s_per_frame", scale=1e3)
    lim_c = m("limit-videotestsrc", "checksum", "cpu_s_per_frame", scale=1e3)
    if us_c and shm_c and lim_c:
        w("- **unixsocket and shm (zero-copy) cost the same per frame**: at "
          "%s with a consumer that reads every byte, %s ms and %s ms of CPU "
          "per frame for both processes, against %s ms to generate and "
          "read the frame in one process. What is left is the frame's "
          "generation and its one read; moving it costs a few syscalls. "
          "shmsink needs its area sized for the frames in flight and stalls "
          "when a pool holds it (see the failed runs, if any); unixsocketsink "
          "recycles sealed memfds per client and bounds what a client may "
          "hold (`max-pending`)." % (big, fmt(us_c, 2), fmt(shm_c, 2),
                                     fmt(lim_c, 2)))
    ms_c = m("multisocket", "checksum", "cpu_s_per_frame", scale=1e3)
    ms_f = m("multisocket", "checksum", "minflt_per_frame_producer")
    if ms_c and us_c:
        w("- **fdpay with upstream multisocketsink/socketsrc** needs no "
          "element of ours on the wire, but nothing tells the sender when a "
          "frame is free, so every frame gets a new memfd: %s minor faults "
          "per frame in the producer and %s ms of CPU per frame at %s, "
          "%.1f× unixsocket." % (fmt(ms_f, 0), fmt(ms_c, 2), big,
                                 ms_c / us_c))
    ud_c = m("unixfd-1.26", "receive", "cpu_s_per_frame", scale=1e3)
    s126_c = m("shm-1.26", "receive", "cpu_s_per_frame", scale=1e3)
    ud_f = m("unixfd-1.26", "checksum", "minflt_per_frame_consumer")
    if ud_c and s126_c:
        w("- **unixfdsink/unixfdsrc (GStreamer 1.24+)** is zero-copy too. "
          "Compare it with `shm-1.26`, its same-version partner: the 1.26 "
          "build's videotestsrc is slower than Debian's 1.22 one, so "
          "against the 1.22 rows it also pays for a slower source (receive "
          "at %s: unixfd %s ms, shm-1.26 %s ms per frame). Its receiver "
          "maps each frame anew: %s minor faults per frame in a consumer "
          "that reads them." % (big, fmt(ud_c, 2), fmt(s126_c, 2),
                                fmt(ud_f, 0)))
    tcp_c = m("tcp", "receive", "cpu_s_per_frame", scale=1e3)
    pipe_c = m("pipe", "receive", "cpu_s_per_frame", scale=1e3)
    us_r = m("unixsocket", "receive", "cpu_s_per_frame", scale=1e3)
    if tcp_c and pipe_c and us_r:
        w("- **tcp and pipes copy every frame** through the kernel, twice: "
          "%s and %s ms per frame at %s against %s ms for unixsocket "
          "(receive)." % (fmt(tcp_c, 2), fmt(pipe_c, 2), big, fmt(us_r, 2)))
    g_tcp, _ = slow_growth("tcp")
    g_us, s_us = slow_growth("unixsocket")
    g_ms, s_ms = slow_growth("multisocket")
    if g_tcp is not None and g_us is not None:
        w("- **A stopped consumer**: tcpserversink queued +%s MB in the "
          "producer, multisocketsink +%s MB of memfds in socket buffers "
          "(system Shmem; its RSS stays flat), unixsocketsink +%s MB RSS "
          "(+%s MB Shmem): it holds at most `max-pending` frames per client "
          "and drops the rest for that client only." % (
              fmt(g_tcp, 0), fmt(s_ms, 0), fmt(g_us, 0), fmt(s_us, 0)))
    small = resolutions[0]
    lat = {t: m(t, "paced", "lat_median_us", res=small)
           for t in ("unixsocket", "shm", "unixfd-1.26", "limit-wakeup")}
    if lat["unixsocket"] is not None and lat["limit-wakeup"] is not None:
        w("- **A paced source (a camera, 30 fps) on an idle machine**: each "
          "frame wakes the receiver from sleep, and that alone takes %s µs "
          "here (`limit-wakeup`, no GStreamer). At %s the median latency "
          "is %s µs with shm, %s µs with unixsocket and %s µs with unixfd: "
          "what comes on top of the wake-up is the elements' work on cold "
          "caches (fdpay and fddepay are two more elements than shmsink and "
          "shmsrc). At full speed, with the receiver awake, unixsocket takes "
          "%s µs." % (
              fmt(lat["limit-wakeup"], 0), small, fmt(lat["shm"], 0),
              fmt(lat["unixsocket"], 0), fmt(lat["unixfd-1.26"], 0),
              fmt(m("unixsocket", "receive", "lat_median_us", res=small), 0)))
    w("")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dir")
    p.add_argument("--plot", default="plot.png",
                   help="path of the plot as the report should link it")
    args = p.parse_args()
    with open(os.path.join(args.dir, "results.json")) as f:
        res = json.load(f)

    runs = res["runs"]
    groups = {}
    order = []
    for r in runs:
        key = (r["resolution"], r["transport"], r["consumer"])
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(r)

    def ok(rows):
        return [r for r in rows if not r.get("error")]

    def cpu_med(resolution, transport, consumer):
        rows = ok(groups.get((resolution, transport, consumer), []))
        if not rows and transport == "limit-memcpy":
            rows = ok(groups.get((resolution, transport, "copy"), []))
        return med([r["cpu_s_per_frame"] for r in rows])

    def fps_med(resolution, transport, consumer):
        rows = ok(groups.get((resolution, transport, consumer), []))
        return med([r["fps"] for r in rows])

    out = []
    w = out.append
    m = res["machine"]
    w("# Performance")
    w("")
    w("Measured by `bench/run` (bench/bench.py); every number below is "
      "generated from its `results.json` by `bench/report.py`, none is "
      "typed by hand.")
    w("")
    w("- Command: `%s`" % res["command"])
    w("- Machine: %s, %s CPUs, %s; `%s`"
      % (m.get("cpu_model", "?"), m.get("cpus"), m.get("mem_total", "?"),
         m.get("uname")))
    w("- GStreamer: %s" % ", ".join("%s (%s)" % (v, k) for k, v in
                                     res.get("gstreamer", {}).items()))
    w("- Run: %s to %s; %s repetitions; raw %s; transports interleaved "
      "within each repetition." % (res.get("started"), res.get("finished"),
                                   res.get("reps"), res.get("format")))
    w("")
    w("Transports:")
    w("")
    for t, d in res["transports"].items():
        w("- `%s`: %s" % (t, d))
    for t, why in res.get("skipped", {}).items():
        w("- `%s`: skipped, %s" % (t, why))
    w("")
    w("How it measures: producer and consumer are separate processes "
      "(bench/node.py drives GStreamer through PyGObject), except for the "
      "two `limit-*` rows. The producer is `videotestsrc pattern=smpte`, "
      "not paced and `sync=false` everywhere, except in the `paced` rows "
      "(a live source at 30 fps). The per-frame work of the measurement "
      "is C (bench/probe.c), so no Python runs on the path of a frame: a "
      "pad probe after the source reads CLOCK_MONOTONIC as each frame is "
      "pushed, one at the consumer's `fakesink` as it arrives, and latency "
      "pairs the n-th push with the n-th arrival (every transport here is "
      "lossless). The `receive` consumer touches no frame data; the "
      "`checksum` consumer CRC-32s every byte of every frame (zlib, on a "
      "read-only map). Everything per frame is taken over the steady "
      "state, the last three quarters of each run, so that pools and "
      "caches filling up at the start are not counted as per-frame costs: "
      "fps, CPU time (user+sys of both processes, getrusage()), minor "
      "page faults, latency, and for our elements the memfds fdpay creates "
      "and the mappings fddepay makes. Peak RSS is wait4()'s ru_maxrss "
      "(it includes the Python interpreter, about 25 MB). Without pacing, "
      "latency includes the time a frame waits in the transport's queue "
      "when the consumer is the slower side.")
    w("")
    w("Each cell is the median over the repetitions, with the lowest and "
      "the highest value in parentheses.")
    w("")
    if os.path.exists(os.path.join(args.dir, "plot.png")):
        w("![fps per CPU-second and latency](%s)" % args.plot)
        w("")

    resolutions = []
    for key in order:
        if key[0] not in resolutions:
            resolutions.append(key[0])
    out.extend(targets(groups, resolutions, res.get("slow_consumer") or []))
    out.extend(guide(groups, resolutions, res.get("slow_consumer") or []))
    for resolution in resolutions:
        w("## %s" % resolution)
        w("")
        w("| transport | consumer | fps | CPU ms/frame | CPU ÷ shm | "
          "CPU ÷ memcpy | fps ÷ shm | latency median µs | latency p99 µs | "
          "minor faults/frame prod / cons | new memfds / mappings per "
          "frame | peak RSS MB prod / cons | failed runs |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for key in order:
            if key[0] != resolution:
                continue
            _, t, c = key
            rows = groups[key]
            good = ok(rows)
            cpu = med([r.get("cpu_s_per_frame") for r in good])
            fps = med([r["fps"] for r in good])
            shm_c = "receive" if c == "copy" else c
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | "
              "%s | %s / %s | %d of %d |" % (
                  t, c,
                  spread([r["fps"] for r in good]),
                  spread([r.get("cpu_s_per_frame") for r in good], 3, 1000.0),
                  ratio(cpu, cpu_med(resolution, "shm", shm_c)),
                  ratio(cpu, cpu_med(resolution, "limit-memcpy", "copy")),
                  ratio(fps, fps_med(resolution, "shm", shm_c)),
                  spread([r.get("lat_median_us") for r in good]),
                  spread([r.get("lat_p99_us") for r in good]),
                  fmt(med([r.get("minflt_per_frame_producer") for r in good]), 1),
                  fmt(med([r.get("minflt_per_frame_consumer") for r in good]), 1),
                  memfds_cell(good),
                  fmt(med([r.get("rss_peak_kb_producer") for r in good
                           if r.get("rss_peak_kb_producer")]) and
                      med([r.get("rss_peak_kb_producer") for r in good
                           if r.get("rss_peak_kb_producer")]) / 1024, 1),
                  fmt(med([r.get("rss_peak_kb_consumer") for r in good
                           if r.get("rss_peak_kb_consumer")]) and
                      med([r.get("rss_peak_kb_consumer") for r in good
                           if r.get("rss_peak_kb_consumer")]) / 1024, 1),
                  len(rows) - len(good), len(rows)))
        w("")

    slow = res.get("slow_consumer") or []
    if slow:
        w("## Slow consumer")
        w("")
        w("The producer runs live at 30 fps; the consumer is stopped "
          "(SIGSTOP) for %s s after 2 s, then continued. The producer's "
          "VmRSS, sampled every 0.1 s (MB, shown once a second):"
          % slow[0].get("stall_s"))
        w("")
        secs = 0
        for s in slow:
            if s["samples"]:
                secs = max(secs, int(s["samples"][-1][0]))
        w("Shmem growth is the peak rise of /proc/meminfo's system-wide "
          "Shmem during the run: memfds that were sent and unmapped are in "
          "no process's RSS (noisy on a shared machine).")
        w("")
        w("| transport | resolution | frames received / sent | RSS before | "
          "RSS peak | Shmem growth | " + " | ".join("%d s" % i for i in range(secs + 1))
          + " |")
        w("|---|---|---|---|---|---|" + "---|" * (secs + 1))
        for s in slow:
            per_sec = {}
            for t, kb, *_ in s["samples"]:
                per_sec.setdefault(int(t), kb)
            w("| %s | %s | %s / %s | %s | %s | %s | %s |" % (
                s["transport"], s["resolution"],
                s.get("frames_received", "–"), s.get("frames_sent", "–"),
                fmt(s.get("rss_before_kb") and s["rss_before_kb"] / 1024, 1),
                fmt(s.get("rss_peak_kb") and s["rss_peak_kb"] / 1024, 1),
                fmt(s.get("shmem_growth_kb") is not None and
                    s["shmem_growth_kb"] / 1024, 1),
                " | ".join(fmt(per_sec[i] / 1024, 0) if i in per_sec else "–"
                           for i in range(secs + 1))))
        w("")
        errs = [s for s in slow if s.get("error")]
        for s in errs:
            w("- `%s`: %s" % (s["transport"], s["error"]))
        if errs:
            w("")

    failed = [r for r in runs if r.get("error")]
    if failed:
        w("## Failed runs")
        w("")
        for r in failed:
            w("- %s %s %s rep %d: %s" % (r["transport"], r["resolution"],
                                         r["consumer"], r["rep"],
                                         r["error"]))
        w("")
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
