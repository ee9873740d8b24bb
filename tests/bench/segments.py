#!/usr/bin/python3
# Unit test of bench/segments.py: perf script lines it must read, and the
# split of each frame into the producer's work, the wake-up and the
# consumer's work, on a made-up trace whose every segment is known. No perf
# runs here.
#
# With BUILD_DIR too, and where perf may trace system-wide: one traced
# paced run of the unixsocket row through bench/bench.py --segments 1 must
# give a split frame; elsewhere that part says it is skipped.
#
# usage: segments.py [BENCH_DIR [BUILD_DIR]]

from benchcheck import BUILD, bench_rows, check, finish

import segments

# producer: pid 100, streaming thread 101; consumer: pid 200, streaming
# thread 201; times in ns
SCRIPT = """\
  200/201   1.000000900:        sched:sched_switch: prev_comm=unixsocketsrc0: prev_pid=201 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
  100/101   1.000001100: syscalls:sys_enter_sendmsg: fd: 0x00000007, msg: 0x7ffd, flags: 0x00004040
    0/0     1.000001200:        sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=unixsocketsrc0: next_pid=201 next_prio=120
  100/101   1.000001300:        sched:sched_switch: prev_comm=videotestsrc0:s prev_pid=101 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
  200/201   1.000001450:        sched:sched_switch: prev_comm=unixsocketsrc0: prev_pid=201 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
  100/101   1.000002100: syscalls:sys_enter_sendto: fd: 0x00000007
  100/101   1.000002200:        sched:sched_switch: prev_comm=videotestsrc0:s prev_pid=101 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
    0/0     1.000002350:        sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=unixsocketsrc0: next_pid=201 next_prio=120
  100/100   1.000003050: syscalls:sys_enter_write: fd: 0x00000001
  100/101   1.000003100: syscalls:sys_enter_sendmsg: fd: 0x00000007
  100/101   1.000003200:        sched:sched_switch: prev_comm=videotestsrc0:s prev_pid=101 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
  300/300   1.000003300: syscalls:sys_enter_sendmsg: fd: 0x00000003
not a line of perf script
"""

events = segments.parse_script(SCRIPT)
check("events read", len(events), 12)
check("first event", events[0],
      (1000000900, 200, 201, "switch", (201, "S", 0)))
check("a send", events[1], (1000001100, 100, 101, "send", "sendmsg"))

# frame 0: sent 100 ns after the push, the consumer switched in 100 ns
# later, before the producer slept; frame 1: the producer slept before the
# consumer ran (150 ns after the send); frame 2: the consumer was still
# running, the write of the main thread (the harness) is not the send
push = [1000001000, 1000002000, 1000003000]
arrive = [1000001400, 1000002600, 1000003500]
r = segments.split_frames(push, arrive, 0, events, 100, 101, 201)
check("frames split", r and r["frames"], 3)
check("push -> send (100, 100, 100 ns)", r and r["push_send_us"], 0.1)
check("send -> running (100, 250, 0 ns)", r and r["send_run_us"], 0.1)
check("running -> arrival (200, 250, 400 ns)", r and r["run_arrive_us"],
      0.25)
check("ran before the producer slept (frames 0 and 2)",
      r and round(r["ran_before_sleep"], 3), round(2 / 3, 3))

# the warm-up frames are left out; frame 2 alone: the harness's write at
# 3050 ns is not the producer's send
r = segments.split_frames(push, arrive, 2, events, 100, 101, 201)
check("after the warm-up", r and r["frames"], 1)
check("frame 2: push -> send", r and r["push_send_us"], 0.1)
check("frame 2: running -> arrival", r and r["run_arrive_us"], 0.4)

# a frame without a send before its arrival is not split
r = segments.split_frames([1000003400], [1000003450], 0, events, 100, 101,
                          201)
check("no send, no split", r, None)



def traced_run():
    ok, why = segments.available()
    if not ok:
        print("skipped the traced run: %s" % why)
        return
    runs = bench_rows("segments", "--runtimes", "1.22", "--transports",
                      "unixsocket", "--consumers", "paced", "--segments", "1")
    check("traced runs", len(runs), 1)
    if not runs:
        return
    check("traced run error", runs[0].get("error"), None)
    sg = runs[0].get("segments") or {}
    check("traced frames split", sg.get("frames", 0) > 0, True)
    check("segments are times", all(
        sg.get(k) is not None and sg[k] >= 0
        for k in ("push_send_us", "send_run_us", "run_arrive_us")), True)


if BUILD:
    traced_run()

finish()
