#!/usr/bin/env python3
# The common forms of HLS, made with ffmpeg and served over HTTP on
# 127.0.0.1: MPEG-TS segments, a master playlist of two variants (followed
# across hlsdemux's switch from 320x240 to 426x240, and pinned with
# --variant), fMP4 (CMAF) segments, audio muxed with the video or in a
# rendition of its own (#EXT-X-MEDIA), and two differently-encoded pieces
# joined by #EXT-X-DISCONTINUITY; with hlsdemux and with hlsdemux2. Each holds black 0-4 s, bars 4-8 s, moving 8-12 s,
# black 12-16 s: the demo must exit 0 and find exactly those four states,
# each within 0.2 s of the truth, times counted from the first frame, all
# 400 frames analysed, and say which variant it analysed (stderr, the
# --json "variant" lines, summary.json).
import json
import os
import subprocess
import sys
import tempfile
import time

from hlsdemo_common import (EXPECTED, args_or_skip, describe, ffmpeg_or_skip,
                            find_in_order, load_summary, make_audio_rendition,
                            make_audio_video, make_discontinuity, make_fmp4,
                            make_master, make_ts, serve)

TOLERANCE = 0.2
SEGMENTS = 16


def at_boundary(at, want):
    """@at is @want, or with @want None the start of a segment after the
    first one, within the tolerance"""
    if want is not None:
        return abs(at - want) <= TOLERANCE
    return abs(at - round(at)) <= TOLERANCE and 1 <= round(at) < SEGMENTS

# form, maker, demuxer, --variant, the variants analysed [(index, at)]
# (index None: a media playlist, no index; at None: the demuxer switches
# when its bandwidth estimate says, which depends on the machine's load,
# so at any segment boundary, 1 s apart)
CASES = [
    ("ts", make_ts, "hlsdemux", None, [(None, 0.0)]),
    ("ts", make_ts, "hlsdemux2", None, [(None, 0.0)]),
    ("master", make_master, "hlsdemux", None, [(0, 0.0), (1, None)]),
    ("master", make_master, "hlsdemux2", None, [(0, 0.0), (1, None)]),
    ("master", make_master, "hlsdemux", "426x240", [(1, 0.0)]),
    ("master", make_master, "hlsdemux2", "0", [(0, 0.0)]),
    ("master", make_master, "hlsdemux2", "660000", [(1, 0.0)]),
    ("fmp4", make_fmp4, "hlsdemux", None, [(None, 0.0)]),
    ("fmp4", make_fmp4, "hlsdemux2", None, [(None, 0.0)]),
    ("audio+video", make_audio_video, "hlsdemux", None, [(None, 0.0)]),
    ("audio+video", make_audio_video, "hlsdemux2", None, [(None, 0.0)]),
    ("audio rendition", make_audio_rendition, "hlsdemux", None,
     [(0, 0.0)]),
    ("audio rendition", make_audio_rendition, "hlsdemux2", None,
     [(0, 0.0)]),
    ("discontinuity", make_discontinuity, "hlsdemux", None,
     [(None, 0.0), (None, 8.0)]),
    ("discontinuity", make_discontinuity, "hlsdemux2", None,
     [(None, 0.0), (None, 8.0)]),
]


def run_case(demo, analyzer, url, tmp, name, demux, variant, want_variants):
    snapdir = os.path.join(tmp, "snap-" + name.replace(" ", "-"))
    args = [demo, "--json", "--analyzer", analyzer, "--snapshot-dir",
            snapdir, "--demux", demux]
    if variant:
        args += ["--variant", variant]
    t0 = time.monotonic()
    proc = subprocess.run(args + [url], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60)
    elapsed = time.monotonic() - t0
    failures = []
    if proc.returncode != 0:
        failures.append("exit status %d" % proc.returncode)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    start = lines[0] if lines else {}
    if start.get("event") != "start" or start.get("demux") != demux or \
            start.get("variant") != variant:
        failures.append("start line %r" % start)
    try:
        summary = load_summary(snapdir)
    except OSError as e:
        failures.append("no summary.json: %s" % e)
        sys.stderr.write(proc.stderr)
        return failures, elapsed, None

    timeline = summary["timeline"]
    failures += find_in_order(timeline, EXPECTED, tolerance=TOLERANCE)
    if len(timeline) != len(EXPECTED):
        failures.append("expected %d state changes, got %d"
                        % (len(EXPECTED), len(timeline)))
    if not summary["eos"]:
        failures.append("the stream did not reach its end")
    if summary["frames_decoded"] != 400 or summary["frames_sent"] != 400:
        failures.append("frames: %d decoded, %d sent, expected 400"
                        % (summary["frames_decoded"],
                           summary["frames_sent"]))
    if summary["demux"] != demux:
        failures.append("summary.json demux %r" % summary["demux"])

    # which variant was analysed, and from when
    log = [(v["variant"], v["at"]) for v in summary["variant_log"]]
    events = [(o["variant"], o["at"]) for o in lines
              if o["event"] == "variant"]
    if log != events:
        failures.append("variant lines %r, summary.json %r" % (events, log))
    if len(log) != len(want_variants) or \
            any(g[0] != w[0] or not at_boundary(g[1], w[1])
                for g, w in zip(log, want_variants)):
        failures.append("variants analysed %r, expected %r"
                        % (log, want_variants))
    for index, at in want_variants:
        if index is not None and \
                ("analysing variant %d" % index) not in proc.stderr:
            failures.append("no 'analysing variant %d' on stderr" % index)
    if variant and summary["variant_pinned"] != want_variants[0][0]:
        failures.append("variant_pinned %r" % summary["variant_pinned"])

    errors = [abs(e["start"] - t) for (_, t), e in zip(EXPECTED, timeline)]
    print("%-36s %5.1f s  %s  max error %.3f s"
          % (name, elapsed, describe(timeline),
             max(errors) if errors else -1))
    if failures:
        sys.stderr.write(proc.stderr)
    return failures, elapsed, timeline


def main():
    demo, analyzer = args_or_skip()
    ffmpeg_or_skip()
    failures = []
    with tempfile.TemporaryDirectory(prefix="hls-demo-forms-") as tmp:
        made = {}
        server = serve(tmp)
        port = server.server_address[1]
        try:
            for form, maker, demux, variant, want in CASES:
                if form not in made:
                    d = os.path.join(tmp, form.replace("+", "-")
                                     .replace(" ", "-"))
                    os.mkdir(d)
                    made[form] = "http://127.0.0.1:%d/%s/%s" % (
                        port, os.path.basename(d), maker(d))
                name = "%s %s%s" % (form, demux,
                                    " --variant " + variant if variant
                                    else "")
                f, _, _ = run_case(demo, analyzer, made[form], tmp, name,
                                   demux, variant, want)
                failures += ["%s: %s" % (name, x) for x in f]
        finally:
            server.shutdown()
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
