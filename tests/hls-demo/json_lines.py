#!/usr/bin/env python3
# --json: one JSON object per line on stdout, written as it happens. Plays
# the generated stream at its own pace (--realtime), reads the lines while
# the demo runs, SIGKILLs the analysis process once it has reported the
# bars, and checks the documented fields: "start", "analyzer_started",
# "state" (with "previous"), "analyzer_restart", and a last "end" line
# that agrees with summary.json. Then an unreachable URL: just the "end"
# line, with the error.
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from hlsdemo_common import EXPECTED, args_or_skip, find_in_order, \
    load_summary

COMMON = ["event", "wall_time"]
FIELDS = {
    "start": ["uri", "snapshot_dir", "demux", "variant"],
    "variants": ["variants", "pinned"],
    "variant": ["at", "variant", "width", "height", "bandwidth"],
    "playlist": ["live", "media_sequence", "first_segment"],
    "analyzer_started": ["analyzer", "pid"],
    "state": ["state", "start", "previous", "evidence", "snapshot",
              "analyzer"],
    "analyzer_killed": ["pid", "reason"],
    "analyzer_restart": ["at", "analyzer", "pid", "reason", "backoff_ms",
                         "restarts"],
    "analyzer_ended": ["reason"],
    "end": ["ok", "exit_status", "eos", "end", "frames_decoded",
            "frames_sent", "restarts", "states", "error", "summary"],
}


def check_fields(obj):
    event = obj.get("event")
    if event not in FIELDS:
        return ["unknown event %r" % event]
    missing = [k for k in COMMON + FIELDS[event] if k not in obj]
    return ["%s line without %s" % (event, ", ".join(missing))] \
        if missing else []


def run_stream(demo, analyzer, tmp):
    snapdir = os.path.join(tmp, "snapshots")
    proc = subprocess.Popen([demo, "--json", "--realtime", "--analyzer",
                             analyzer, "--snapshot-dir", snapdir],
                            stdout=subprocess.PIPE, universal_newlines=True)
    failures = []
    lines = []
    killed = None
    live_lines = 0
    deadline = time.monotonic() + 80
    for raw in proc.stdout:
        still_running = proc.poll() is None
        sys.stdout.write(raw)
        try:
            obj = json.loads(raw)
        except ValueError:
            failures.append("not a JSON line: %r" % raw)
            continue
        if not isinstance(obj, dict):
            failures.append("not an object: %r" % raw)
            continue
        failures += check_fields(obj)
        lines.append(obj)
        if obj["event"] == "state" and still_running:
            live_lines += 1
        if obj["event"] == "state" and obj["state"] == "bars" and \
                killed is None:
            killed = [o for o in lines
                      if o["event"] == "analyzer_started"][-1]["pid"]
            print("sending SIGKILL to the analyzer, pid %d" % killed)
            os.kill(killed, signal.SIGKILL)
        if time.monotonic() > deadline:
            proc.kill()
            failures.append("the demo did not finish")
            break
    proc.wait()

    events = [o["event"] for o in lines]
    states = [o for o in lines if o["event"] == "state"]
    if proc.returncode != 0:
        failures.append("exit status %d" % proc.returncode)
    if not events or events[0] != "start":
        failures.append("the first line is not the start line")
    if not events or events[-1] != "end":
        failures.append("the last line is not the end line")
    if events.count("end") != 1:
        failures.append("%d end lines" % events.count("end"))
    if live_lines == 0:
        failures.append("no state line arrived while the demo ran")
    if killed is None:
        failures.append("no bars state line")
    restarts = [o for o in lines if o["event"] == "analyzer_restart"]
    if not restarts or restarts[0]["pid"] != killed or \
            "signal 9" not in restarts[0]["reason"]:
        failures.append("no analyzer_restart line for the SIGKILL")
    if events.count("analyzer_started") < 2:
        failures.append("no analyzer_started line for the new process")
    failures += find_in_order(states, EXPECTED)
    for prev, cur in zip(states, states[1:]):
        p = cur["previous"]
        if p is None or p["state"] != prev["state"] or \
                p["start"] != prev["start"] or p["end"] != cur["start"]:
            failures.append("%s@%.3f: previous %r does not match %s@%.3f"
                            % (cur["state"], cur["start"], p, prev["state"],
                               prev["start"]))
    if states and states[0]["previous"] is not None:
        failures.append("the first state has a previous one")

    if lines and lines[-1]["event"] == "end":
        end = lines[-1]
        summary = load_summary(snapdir)
        if end["summary"] != os.path.join(snapdir, "summary.json"):
            failures.append("end line names summary %r" % end["summary"])
        for key, skey in (("ok", "ok"), ("eos", "eos"), ("end", "end"),
                          ("frames_decoded", "frames_decoded"),
                          ("frames_sent", "frames_sent"),
                          ("restarts", "restarts")):
            if end[key] != summary[skey]:
                failures.append("end line %s=%r, summary.json %r"
                                % (key, end[key], summary[skey]))
        if end["states"] != len(summary["timeline"]) or \
                end["states"] != len(states):
            failures.append("end line states=%d, %d in summary.json, %d "
                            "state lines" % (end["states"],
                                             len(summary["timeline"]),
                                             len(states)))
        if not end["ok"] or end["exit_status"] != 0 or \
                end["error"] is not None:
            failures.append("end line: not ok")
    return failures


def run_unreachable(demo, analyzer, tmp):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d/index.m3u8" % s.getsockname()[1]
    s.close()
    proc = subprocess.run([demo, "--json", "--analyzer", analyzer,
                           "--snapshot-dir", os.path.join(tmp, "bad"), url],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    sys.stdout.write(proc.stdout)
    lines = proc.stdout.splitlines()
    if proc.returncode != 1:
        return ["unreachable: exit status %d" % proc.returncode]
    if len(lines) != 1:
        return ["unreachable: %d lines on stdout, expected the end line"
                % len(lines)]
    end = json.loads(lines[0])
    failures = check_fields(end)
    if end.get("event") != "end" or end.get("ok") is not False or \
            end.get("exit_status") != 1 or \
            "connect" not in (end.get("error") or ""):
        failures.append("unreachable: unexpected end line %r" % end)
    return failures


def main():
    demo, analyzer = args_or_skip()
    with tempfile.TemporaryDirectory(prefix="hls-demo-json-") as tmp:
        failures = run_stream(demo, analyzer, tmp)
        failures += run_unreachable(demo, analyzer, tmp)
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
