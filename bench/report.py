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
      "(bench/node.py, GStreamer through PyGObject), except for the two "
      "`limit-*` rows. The producer is `videotestsrc pattern=smpte` (not "
      "paced, `sync=false` everywhere); a pad probe after it reads "
      "CLOCK_MONOTONIC as each frame is pushed, one at `fakesink` in the "
      "consumer as it arrives; latency pairs the n-th push with the n-th "
      "arrival (every transport here is lossless). The `receive` consumer "
      "touches no frame data; the `checksum` consumer CRC-32s every byte of "
      "every frame (zlib, through a zero-copy map). fps counts frames between "
      "the first and the last arrival; CPU time and minor faults are "
      "getrusage() deltas of both processes between their first and last "
      "frame (start-up and tear-down excluded); peak RSS is wait4()'s "
      "ru_maxrss (it includes the Python interpreter, about 25 MB). Latency "
      "is measured at full throughput, so it includes the time a frame "
      "waits in the transport's queue.")
    w("")
    if os.path.exists(os.path.join(args.dir, "plot.png")):
        w("![fps per CPU-second and latency](%s)" % args.plot)
        w("")

    resolutions = []
    for key in order:
        if key[0] not in resolutions:
            resolutions.append(key[0])
    for resolution in resolutions:
        w("## %s" % resolution)
        w("")
        w("| transport | consumer | fps | CPU ms/frame | CPU ÷ shm | "
          "CPU ÷ memcpy | fps ÷ shm | latency median µs | latency p99 µs | "
          "minor faults/frame prod / cons | peak RSS MB prod / cons | "
          "failed runs |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for key in order:
            if key[0] != resolution:
                continue
            _, t, c = key
            rows = groups[key]
            good = ok(rows)
            cpu = med([r["cpu_s_per_frame"] for r in good])
            fps = med([r["fps"] for r in good])
            shm_c = "receive" if c == "copy" else c
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | "
              "%s / %s | %d of %d |" % (
                  t, c,
                  spread([r["fps"] for r in good]),
                  spread([r["cpu_s_per_frame"] for r in good], 3, 1000.0),
                  ratio(cpu, cpu_med(resolution, "shm", shm_c)),
                  ratio(cpu, cpu_med(resolution, "limit-memcpy", "copy")),
                  ratio(fps, fps_med(resolution, "shm", shm_c)),
                  spread([r["lat_median_us"] for r in good]),
                  spread([r["lat_p99_us"] for r in good]),
                  fmt(med([r["minflt_per_frame_producer"] for r in good]), 1),
                  fmt(med([r["minflt_per_frame_consumer"] for r in good]), 1),
                  fmt(med([r["rss_peak_kb_producer"] for r in good
                           if r["rss_peak_kb_producer"]]) and
                      med([r["rss_peak_kb_producer"] for r in good
                           if r["rss_peak_kb_producer"]]) / 1024, 1),
                  fmt(med([r["rss_peak_kb_consumer"] for r in good
                           if r["rss_peak_kb_consumer"]]) and
                      med([r["rss_peak_kb_consumer"] for r in good
                           if r["rss_peak_kb_consumer"]]) / 1024, 1),
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
