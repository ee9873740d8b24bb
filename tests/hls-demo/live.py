#!/usr/bin/env python3
# Live HLS: a playlist that the test server slides, one 1 s segment a
# second, in a window of 4 (black 0-4 s, bars 4-8 s, moving 8-12 s, black
# 12-16 s, made with ffmpeg). The demuxer joins at the live edge: the
# times of the timeline count from the first frame analysed, and
# summary.json says where that was (the media sequence and program
# date-time of the first segment fetched).
#
# 1. #EXT-X-ENDLIST comes with the last segment: the demo must exit 0
#    with the states from the join on, each boundary within 0.2 s, and
#    play to the last frame of the stream, the segment that came with
#    #EXT-X-ENDLIST included (GStreamer 1.22's demuxers alone miss it: the
#    demo relays the playlists, see examples/hls-demo/relay.c); with
#    hlsdemux and hlsdemux2, windows of 4 and 6 segments, and the live
#    playlist as the variant of a master playlist.
# 2. No #EXT-X-ENDLIST: the demo runs until SIGINT, then exits 130 with
#    the states found so far in summary.json; with --max-timeline 2, the
#    last two, and the number of those it let go (memory stays bounded
#    however long a live stream runs).
# 3. The live playlist is gone (404) mid-stream: exit 1, with an error
#    that names the stream's own playlist URL, not the relay's.
import os
import signal
import subprocess
import sys
import tempfile
import time

from hlsdemo_common import (EXPECTED, args_or_skip, describe, ffmpeg_or_skip,
                            find_in_order, load_summary, make_ts, serve_live)

TOLERANCE = 0.2
STREAM_END = 16.0
LAST_SEGMENT = 15


def expected_from(k):
    """The states seen from stream time @k on, in times from there"""
    bounds = [t for _, t in EXPECTED[1:]] + [STREAM_END]
    return [(state, max(t - k, 0.0))
            for (state, t), end in zip(EXPECTED, bounds) if end > k]


def check_playlist(summary, server):
    """The segment the demuxer joined at, as the server saw it, and what
    is wrong in summary.json's playlist object"""
    if not server.segments_requested:
        return None, ["no segment requested"]
    k = server.segments_requested[0]
    playlist = summary.get("playlist")
    if not playlist or playlist["live"] is not True:
        return k, ["summary.json playlist %r" % playlist]
    first = playlist["first_segment"]
    problems = []
    if first is None:
        return k, ["no first_segment in summary.json"]
    want_pdt = "2026-12-05T06:00:%02dZ" % k
    if first["media_sequence"] != k or first["program_date_time"] != want_pdt:
        problems.append("first_segment %r, expected media sequence %d at %s"
                        % (first, k, want_pdt))
    return k, problems


def run_endlist(demo, analyzer, directory, tmp, demux, window, playlist):
    server = serve_live(directory, window=window, endlist=True)
    url = "http://127.0.0.1:%d/%s" % (server.server_address[1], playlist)
    name = "%s, window %d, %s" % (demux, window, playlist)
    snapdir = os.path.join(tmp, "snap-endlist-%s-%d-%s" % (demux, window,
                                                          playlist))
    t0 = time.monotonic()
    try:
        proc = subprocess.run([demo, "--quiet", "--analyzer", analyzer,
                               "--snapshot-dir", snapdir, "--demux", demux,
                               url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=60)
    finally:
        server.shutdown()
    elapsed = time.monotonic() - t0
    failures = []
    if proc.returncode != 0:
        failures.append("exit status %d" % proc.returncode)
    summary = load_summary(snapdir)
    k, problems = check_playlist(summary, server)
    failures += problems
    if k is None:
        return ["endlist %s: %s" % (name, f) for f in failures]
    timeline = summary["timeline"]
    want = expected_from(k)
    failures += find_in_order(timeline, want, tolerance=TOLERANCE)
    if len(timeline) != len(want):
        failures.append("expected %d state changes, got %d"
                        % (len(want), len(timeline)))
    truth = STREAM_END - k - 0.04
    end = summary.get("end", -1)
    if abs(end - truth) > TOLERANCE:
        failures.append("ends at %.3f s, the stream at %.3f s" % (end, truth))
    last = max(server.segments_requested)
    if last != LAST_SEGMENT:
        failures.append("last segment fetched %d, not %d (which came with "
                        "#EXT-X-ENDLIST)" % (last, LAST_SEGMENT))
    print("endlist %s: joined at segment %d, %.1f s: %s, end %.3f s "
          "(last frame of the stream at %.3f s), last segment %d"
          % (name, k, elapsed, describe(timeline), end, truth, last))
    if failures:
        sys.stderr.write(proc.stderr)
    return ["endlist %s: %s" % (name, f) for f in failures]


def run_playlist_gone(demo, analyzer, directory, tmp):
    server = serve_live(directory, endlist=False, fail_after=4)
    url = "http://127.0.0.1:%d/live.m3u8" % server.server_address[1]
    snapdir = os.path.join(tmp, "snap-gone")
    try:
        proc = subprocess.run([demo, "--quiet", "--analyzer", analyzer,
                               "--snapshot-dir", snapdir, "--http-timeout",
                               "3", url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=90)
    finally:
        server.shutdown()
    failures = []
    if proc.returncode != 1:
        failures.append("exit status %d" % proc.returncode)
    errors = [l for l in proc.stderr.splitlines() if ": error: " in l]
    if len(errors) != 1:
        failures.append("expected one error line, got %r" % errors)
    elif url not in errors[0] or "/p0.m3u8" in errors[0]:
        failures.append("the error does not name %s: %s" % (url, errors[0]))
    print("playlist gone: exit %d: %s" % (proc.returncode,
                                          errors[0] if errors else "-"))
    if failures:
        sys.stderr.write(proc.stderr)
    return ["playlist gone: %s" % f for f in failures]


def run_interrupted(demo, analyzer, directory, tmp):
    server = serve_live(directory, endlist=False)
    url = "http://127.0.0.1:%d/live.m3u8" % server.server_address[1]
    snapdir = os.path.join(tmp, "snap-live")
    try:
        proc = subprocess.Popen([demo, "--quiet", "--analyzer", analyzer,
                                 "--snapshot-dir", snapdir,
                                 "--max-timeline", "2", url],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)
        time.sleep(7)
        failures = []
        if proc.poll() is not None:
            failures.append("the demo ended without #EXT-X-ENDLIST")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        server.shutdown()
    if proc.returncode != 130:
        failures.append("exit status %d after SIGINT" % proc.returncode)
    summary = load_summary(snapdir)
    k, problems = check_playlist(summary, server)
    failures += problems
    if k is not None:
        timeline = summary["timeline"]
        end = summary.get("end")
        if end is None:
            end = timeline[-1]["start"] if timeline else 0.0
        want = [(s, t) for s, t in expected_from(k) if t <= end]
        failures += find_in_order(timeline, want[-2:], tolerance=TOLERANCE)
        if len(want) < 3 or len(timeline) != 2:
            failures.append("expected the last 2 of %r, got %s"
                            % (want, describe(timeline)))
        if summary.get("timeline_dropped") != len(want) - 2:
            failures.append("timeline_dropped %r, expected %d"
                            % (summary.get("timeline_dropped"),
                               len(want) - 2))
        print("no endlist: joined at segment %d, interrupted after 7 s: %s "
              "(%r earlier left out)" % (k, describe(timeline),
                                         summary.get("timeline_dropped")))
    if failures:
        sys.stderr.write(err)
    return ["no endlist: %s" % f for f in failures]


def main():
    demo, analyzer = args_or_skip()
    ffmpeg_or_skip()
    with tempfile.TemporaryDirectory(prefix="hls-demo-live-") as tmp:
        directory = os.path.join(tmp, "stream")
        os.mkdir(directory)
        make_ts(directory)
        failures = []
        for demux, window, playlist in (("hlsdemux", 4, "live.m3u8"),
                                        ("hlsdemux2", 6, "live.m3u8"),
                                        ("hlsdemux", 6, "master.m3u8")):
            failures += run_endlist(demo, analyzer, directory, tmp, demux,
                                    window, playlist)
        failures += run_interrupted(demo, analyzer, directory, tmp)
        failures += run_playlist_gone(demo, analyzer, directory, tmp)
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
