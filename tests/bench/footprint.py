#!/usr/bin/python3
# Unit test of bench/footprint.py: reading cachegrind's output, and the
# per-frame difference of two runs, grouped, with the evicter left out, on
# made-up outputs whose every count is known. No valgrind runs here.
#
# With BUILD_DIR too, and where valgrind is installed: the consumer of the
# unixsocket row under cachegrind (at 320x240, the frames of bench.py
# --footprint: the first ones arrive in a burst while valgrind starts)
# must show this project's functions, the receiving ones by name, and the
# cache lines they bring from memory; elsewhere that part says it is
# skipped.
#
# usage: footprint.py [BENCH_DIR [BUILD_DIR]]

import os
import sys
import tempfile

from benchcheck import BUILD, check, finish

import footprint

# Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw; trailing zeros left out, as
# cachegrind does
SHORT = """\
desc: I1 cache:         32768 B, 64 B, 8-way associative
cmd: gst-launch-1.0 -q unixsocketsrc ! fddepay ! fakesink
events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
fl=/src/build/../gst/fdpass/gstfddepay.c
fn=gst_fd_depay_make_buffer
10 100 10 10 20 2 2
11 100 5 5
fl=/usr/include/gstreamer-1.0/gst/gstbuffer.h
fn=gst_fd_depay_make_buffer
20 50 1 1
fn=gst_buffer_ref
20 10
fl=???
fn=gst_buffer_new
0 200 20 20 10 4 4 5 1 1
fn=g_mutex_lock
0 40 4 4
fn=fdpass_bench_evict_loop
0 99999 999 999 99999 999 999 99999 999 999
fl=/src/build/../bench/evict.c
fn=fdpass_bench_evict_sleep
3 100 10 10
fl=./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S
fn=__memcpy_avx_unaligned_erms
1 1000 1 1 500 100 100 500 100 100
summary: 1
"""

# 10 frames later: make_buffer +300 Ir, +20 code lines (+10 inlined from
# the header), +2 data lines; gst_buffer_new +100 Ir, +10 code, +5 data;
# g_mutex_lock +40 Ir, +2 code; memcpy +2000 Ir, +400 data lines; the
# evicter grows without counting; a function only in the long run counts
# in full.
LONG = """\
events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
fl=/src/build/../gst/fdpass/gstfddepay.c
fn=gst_fd_depay_make_buffer
10 300 20 20 30 4 4
11 200 15 15
fl=/usr/include/gstreamer-1.0/gst/gstbuffer.h
fn=gst_fd_depay_make_buffer
20 50 11 11
fn=gst_buffer_ref
20 10
fl=???
fn=gst_buffer_new
0 300 30 30 20 7 7 10 3 3
fn=g_mutex_lock
0 80 6 6
fn=fdpass_bench_evict_loop
0 999999 9999 9999 999999 9999 9999 999999 9999 9999
fn=gst_fdpass_release_channel_woke
0 0 0 0
fl=/src/build/../bench/evict.c
fn=fdpass_bench_evict_sleep
3 5000 500 500
fl=/src/build/../gst/fdpass/gstfdpassrelease.c
fn=gst_fdpass_release_channel_take
7 70 7 7
fl=./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S
fn=__memcpy_avx_unaligned_erms
1 3000 1 1 1500 300 300 1500 300 300
summary: 1
"""

def near(what, got, want):
    check(what, round(got, 6), round(want, 6))


events, costs = footprint.parse_cachegrind(SHORT)
check("events read", events[:3], ["Ir", "I1mr", "ILmr"])
check("a function's lines summed",
      costs[("/src/build/../gst/fdpass/gstfddepay.c",
             "gst_fd_depay_make_buffer")], [200, 15, 15, 20, 2, 2])
check("counts left out are zero",
      costs[("???", "g_mutex_lock")], [40, 4, 4])
check("inlined code kept apart by file",
      costs[("/usr/include/gstreamer-1.0/gst/gstbuffer.h",
             "gst_fd_depay_make_buffer")], [50, 1, 1])

r = footprint.per_frame(footprint.parse_cachegrind(SHORT),
                        footprint.parse_cachegrind(LONG), 10)
g = r["groups"]
near("instructions per frame", r["instructions"],
     (300 + 100 + 40 + 2000 + 70) / 10)
near("code lines per frame", r["code_lines"], (20 + 10 + 10 + 2 + 7) / 10)
near("data lines per frame", r["data_lines"], (2 + 5 + 400) / 10)
near("copies counted apart", r["copy_lines"], 40)
near("ours: the plugin's file, its inlined code, a new function",
     g["gst-fdpass"]["code_lines"], (20 + 10 + 7) / 10)
near("GStreamer", g["GStreamer"]["code_lines"] + g["GStreamer"]["data_lines"],
     (10 + 5) / 10)
near("GLib", g["GLib"]["code_lines"], 2 / 10)
near("the rest", g["other"]["data_lines"], 40)
check("the evicter is left out",
      [fn for fn, _, _ in r["top"] if "evict" in fn], [])
check("top function", r["top"][0][0], "__memcpy_avx_unaligned_erms")
check("group of a GStreamer function",
      footprint.group_of("gst_pad_push", set()), "GStreamer")
check("group of one of ours",
      footprint.group_of("gst_fd_depay_chain", {"gst_fd_depay_chain"}),
      "gst-fdpass")
check("ours by path", footprint.is_ours(
    "/x/build/../gst-libs/gst/fdpass/gstfdpassprotocol.c"), True)
check("not ours by path", footprint.is_ours("/usr/include/gst/gst.h"), False)

# repeated measurements: the one with the median total, copies left out
near("total lines, copies left out", footprint.total_lines(r),
     (20 + 10 + 10 + 2 + 7) / 10 + (2 + 5 + 400) / 10 - 40)
runs = [dict(r, code_lines=c, tag=c) for c in (300, 100, 200)]
m = footprint.median_row(runs)
check("the median measurement of three", m["tag"], 200)
check("its repetitions", m["reps"], 3)
near("the lowest total", m["lines_range"][0], footprint.total_lines(runs[1]))
near("the highest total", m["lines_range"][1], footprint.total_lines(runs[0]))
check("of two, the lower", footprint.median_row(runs[:2])["tag"], 100)
check("none", footprint.median_row([]), None)
check("the measurements are left as they were", "reps" in runs[2], False)

try:
    footprint.per_frame((["Ir"], {}), (["Ir"], {}), 10)
    check("an output without cache events is refused", "taken", "refused")
except ValueError:
    print("ok an output without cache events is refused")

if BUILD:
    evict = os.path.join(BUILD, "bench", "libfdpassbenchevict.so")
    ok, why = footprint.available(evict)
    if not ok:
        print("skipped the measured run: %s" % why)
    else:
        env = dict(os.environ,
                   GST_PLUGIN_PATH=os.path.join(BUILD, "gst", "fdpass"),
                   LD_LIBRARY_PATH=os.path.join(BUILD, "gst-libs", "gst",
                                                "fdpass"))
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "footprint.log")
            r = footprint.measure("unixsocket", "consumer", (320, 240),
                                  "NV12", env, evict, log, reps=1)
            if r.get("error"):
                with open(log) as f:
                    sys.stdout.write(f.read()[-3000:])
            check("measured run", r.get("error"), None)
            if not r.get("error"):
                ours = r["groups"]["gst-fdpass"]
                check("our code runs for each frame",
                      ours["instructions"] > 100, True)
                check("and comes from memory, cold",
                      ours["code_lines"] > 50, True)
                names = [fn for fn, _, _ in r["top"]]
                check("fddepay or unixsocketsrc among the top functions",
                      any(fn.startswith(("gst_fd_depay", "gst_unix_socket"))
                          for fn in names), True)

finish()
