#!/usr/bin/python3
"""Plot a bench/bench.py results.json: frames per CPU-second with the
checksum consumer and median latency with the receive consumer, by
transport and resolution, one column per table (runtime and pattern): bars
of different columns ran under different GStreamer builds or sources and
are not compared.

usage: plot.py RESULTS.json OUT.png
Needs python3-matplotlib (Debian package)."""

import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def medians(runs, key):
    """{(runtime, pattern, transport, resolution, consumer): median of key
    over reps}"""
    acc = {}
    for r in runs:
        if r.get("error") or r.get(key) is None:
            continue
        acc.setdefault((r.get("runtime"), r.get("pattern"), r["transport"],
                        r["resolution"], r["consumer"]), []).append(r[key])
    return {k: statistics.median(v) for k, v in acc.items()}


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)
    runs = results["runs"]
    resolutions = results.get("resolutions") or sorted(
        {r["resolution"] for r in runs})
    tables = [(rt, pat) for rt in results.get("runtimes", {})
              for pat in results.get("patterns", [])]
    if not tables:
        return 1
    cpu = medians(runs, "cpu_s_per_frame")
    lat = medians(runs, "lat_median_us")

    def value(table, rt, pat, t, res, c, invert=False):
        v = table.get((rt, pat, t, res, c))
        if v is None and t == "limit-memcpy":
            v = table.get((rt, pat, t, res, "copy"))
        if v is None or v <= 0:
            return 0.0
        return 1.0 / v if invert else v

    fig, axes = plt.subplots(2, len(tables), figsize=(5 * len(tables), 9),
                             squeeze=False)
    width = 0.8 / max(1, len(resolutions))
    for col, (rt, pat) in enumerate(tables):
        transports = results["runtimes"][rt]["transports"]
        xs = range(len(transports))
        for row, (table, c, invert, label) in enumerate((
                (cpu, "checksum", True,
                 "frames per CPU-second, checksum consumer"),
                (lat, "receive", False,
                 "median latency µs, receive consumer"))):
            ax = axes[row][col]
            for i, res in enumerate(resolutions):
                ax.bar([x + (i - (len(resolutions) - 1) / 2) * width
                        for x in xs],
                       [value(table, rt, pat, t, res, c, invert)
                        for t in transports],
                       width, label=res)
            ax.set_yscale("log")
            if col == 0:
                ax.set_ylabel(label)
            ax.set_title("GStreamer %s, pattern %s" % (rt, pat))
            ax.grid(axis="y", which="both", alpha=0.3)
            ax.set_xticks(list(xs))
            ax.set_xticklabels(transports, rotation=35, ha="right")
            if row == 0 and col == 0:
                ax.legend(title="resolution (%s)" % results.get("format", ""))
    fig.suptitle("gst-fdpass bench: %s, %s reps, %s"
                 % (results["machine"].get("cpu_model", "?"),
                    results.get("reps"), results.get("started", "")))
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main())
