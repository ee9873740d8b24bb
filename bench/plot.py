#!/usr/bin/python3
"""Plot a bench/bench.py results.json: frames per CPU-second and median
per-frame latency, by transport and resolution, one column per consumer.

usage: plot.py RESULTS.json OUT.png
Needs python3-matplotlib (Debian package)."""

import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def medians(runs, key):
    """{(transport, resolution, consumer): median of key over reps}"""
    acc = {}
    for r in runs:
        if r.get("error") or r.get(key) is None:
            continue
        acc.setdefault((r["transport"], r["resolution"], r["consumer"]),
                       []).append(r[key])
    return {k: statistics.median(v) for k, v in acc.items()}


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)
    runs = results["runs"]
    transports = list(results["transports"])
    resolutions = []
    for r in runs:
        if r["resolution"] not in resolutions:
            resolutions.append(r["resolution"])
    cpu = medians(runs, "cpu_s_per_frame")
    lat = medians(runs, "lat_median_us")
    # the memcpy limit has one kind ("copy"): show it in both columns
    consumers = ["receive", "checksum"]

    def value(table, t, res, c, invert=False):
        v = table.get((t, res, c))
        if v is None and t == "limit-memcpy":
            v = table.get((t, res, "copy"))
        if v is None or v <= 0:
            return 0.0
        return 1.0 / v if invert else v

    fig, axes = plt.subplots(2, 2, figsize=(14, 9), sharex=True)
    width = 0.8 / max(1, len(resolutions))
    xs = range(len(transports))
    for col, c in enumerate(consumers):
        for row, (table, invert, label) in enumerate((
                (cpu, True, "frames per CPU-second (both processes)"),
                (lat, False, "median latency, push to arrival (µs)"))):
            ax = axes[row][col]
            for i, res in enumerate(resolutions):
                ax.bar([x + (i - (len(resolutions) - 1) / 2) * width
                        for x in xs],
                       [value(table, t, res, c, invert) for t in transports],
                       width, label=res)
            ax.set_yscale("log")
            ax.set_ylabel(label)
            ax.set_title("consumer: %s" % c)
            ax.grid(axis="y", which="both", alpha=0.3)
            ax.set_xticks(list(xs))
            ax.set_xticklabels(transports, rotation=35, ha="right")
            if row == 0 and col == 0:
                ax.legend(title="resolution (%s)" % results.get("format", ""))
    fig.suptitle("gst-fdpass bench: %s, %s reps, %s"
                 % (results["machine"].get("cpu_model", "?"),
                    results.get("reps"), results.get("started", "")))
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)
    return 0


if __name__ == "__main__":
    sys.exit(main())
