#!/usr/bin/python3
# Unit test of bench/cpuprofile.py: perf script lines it must read, the
# category of each sample, and the split of the streaming threads' samples
# of the steady state, on a made-up profile whose every sample is known.
# No perf runs here.
#
# With BUILD_DIR too, and where perf may sample system-wide: one sampled
# run of the unixsocket row through bench/bench.py --profile 1 must give a
# profile of both streaming threads; elsewhere that part says it is
# skipped.
#
# usage: cpuprofile.py [BENCH_DIR [BUILD_DIR]]

from benchcheck import BUILD, bench_rows, check, finish

import cpuprofile
import segments

LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
# producer streaming thread 101, consumer streaming thread 201, another
# thread 102; times in seconds
SCRIPT = """\
  101 10.000000100:  7f0000001000 __memmove_avx512_unaligned_erms (%(libc)s)
  101 10.000000200:  7f0000001000 __memcpy_avx_unaligned_erms (%(libc)s)
  101 10.000000300:  7f0000002000 gst_fd_pay_chain (/b/gst/fdpass/libgstfdpass.so)
  101 10.000000400:  ffffffff81000000 unix_seqpacket_sendmsg ([kernel.kallsyms])
  101 10.000000500:  7f0000003000 [unknown] (/x/libgstreamer-1.0.so.0)
  101 10.000000600:  7f0000001000 __memset_avx2_unaligned_erms (%(libc)s)
  201 10.000000150:  7f0000004000 probe_cb (/b/bench/libfdpassbench.so)
  201 10.000000250:  7f0000005000 gst_fdpass_buffer_parse (/b/gst-libs/gst/fdpass/libgstfdpass-1.0.so.0)
  201 10.000000350:  7f0000001000 malloc (%(libc)s)
  102 10.000000450:  7f0000004000 probe_cb (/b/bench/libfdpassbench.so)
  101 10.000000900:  7f0000001000 __memmove_avx512_unaligned_erms (%(libc)s)
   -1 10.000000950:  ffffffff81000000 d_lru_del ([kernel.kallsyms])
not a line of perf script
""" % {"libc": LIBC}

samples = cpuprofile.parse_script(SCRIPT)
check("samples read", len(samples), 11)
check("first sample", samples[0],
      (10000000100, 101, "__memmove_avx512_unaligned_erms", LIBC))
check("a sample in an unnamed function", samples[4][2:],
      ("[unknown]", "/x/libgstreamer-1.0.so.0"))

check("memmove is a copy", cpuprofile.category(
    "__memmove_avx512_unaligned_erms", LIBC), "copy")
check("memset is a copy", cpuprofile.category(
    "__memset_avx2_unaligned_erms", LIBC), "copy")
check("malloc is not", cpuprofile.category("malloc", LIBC), "other")
check("the plugin", cpuprofile.category(
    "gst_fd_pay_chain", "/b/gst/fdpass/libgstfdpass.so"), "gst-fdpass")
check("the library", cpuprofile.category(
    "x", "/b/gst-libs/gst/fdpass/libgstfdpass-1.0.so.0"), "gst-fdpass")
check("the checksum", cpuprofile.category(
    "probe_cb", "/b/bench/libfdpassbench.so"), "read")
check("the kernel", cpuprofile.category("x", "[kernel.kallsyms]"), "kernel")
check("a copy elsewhere than in the C library", cpuprofile.category(
    "__memcpy_avx_unaligned_erms", "/x/libgstreamer-1.0.so.0"), "other")

# frames 0 and 1 pushed at 100 and 400 ns, arriving at 300 and 700 ns;
# with a warm-up of 0 the steady state is 100 to 700 ns: the producer's
# samples at 900 ns and the other thread's are left out
push = [10000000100, 10000000400]
arrive = [10000000300, 10000000700]
tids = {"producer": 101, "consumer": 201}
r = cpuprofile.split_samples(samples, tids, push, arrive, 0)
check("frames", r and r["frames"], 2)
check("producer samples", r and r["producer"]["samples"], 6)
check("producer categories", r and r["producer"]["categories"],
      {"copy": 3, "read": 0, "gst-fdpass": 1, "kernel": 1, "other": 1})
check("consumer categories", r and r["consumer"]["categories"],
      {"copy": 0, "read": 1, "gst-fdpass": 1, "kernel": 0, "other": 1})
check("producer CPU per frame (6 samples over 2 frames)",
      r and round(r["producer"]["ms_per_frame"], 6),
      round(6 * 1000.0 / cpuprofile.FREQ / 2, 6))

# after a warm-up of one frame: from 400 to 700 ns
r = cpuprofile.split_samples(samples, tids, push, arrive, 1)
check("after the warm-up: frames", r and r["frames"], 1)
check("after the warm-up: producer", r and r["producer"]["categories"],
      {"copy": 1, "read": 0, "gst-fdpass": 0, "kernel": 1, "other": 1})
check("after the warm-up: consumer", r and r["consumer"]["samples"], 0)

check("no frame after the warm-up",
      cpuprofile.split_samples(samples, tids, push, arrive, 2), None)
check("no sample of either thread", cpuprofile.split_samples(
    samples, {"producer": 7, "consumer": 8}, push, arrive, 0), None)


def sampled_run():
    ok, why = segments.available()
    if not ok:
        print("skipped the sampled run: %s" % why)
        return
    runs = bench_rows("profiles", "--smoke-frames", "200", "--runtimes",
                      "1.22", "--transports", "unixsocket", "--consumers",
                      "checksum", "--profile", "1")
    check("sampled runs", len(runs), 1)
    if not runs:
        return
    check("sampled run error", runs[0].get("error"), None)
    pf = runs[0].get("profile") or {}
    check("frames of the steady state", pf.get("frames"),
          runs[0].get("frames_asked", 0) - runs[0].get("warm_frames", 0))
    for thread in cpuprofile.THREADS:
        p = pf.get(thread) or {}
        check("%s: categories add up" % thread,
              sum((p.get("categories") or {}).values()), p.get("samples"))
    check("the streaming threads were sampled",
          sum((pf.get(t) or {}).get("samples", 0)
              for t in cpuprofile.THREADS) > 0, True)


if BUILD:
    sampled_run()

finish()
