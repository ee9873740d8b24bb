# Helpers shared by the fdpass-hls-demo tests (python3 standard library).
import json
import os
import subprocess
import sys
import time

SKIP = 77

EXPECTED = [("black", 0.0), ("bars", 4.0), ("live", 8.0), ("black", 12.0)]


def args_or_skip():
    if len(sys.argv) != 3:
        sys.exit("usage: %s FDPASS-HLS-DEMO FDPASS-ANALYZE" % sys.argv[0])
    demo, analyzer = sys.argv[1], sys.argv[2]
    if not os.access(analyzer, os.X_OK):
        print("SKIP: %s is not built" % analyzer)
        sys.exit(SKIP)
    return demo, analyzer


def load_summary(snapshot_dir):
    with open(os.path.join(snapshot_dir, "summary.json")) as f:
        return json.load(f)


def check_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def find_in_order(timeline, expected, tolerance=1.0, first=0):
    """Each expected (state, start) in order, within tolerance; returns
    the list of problems."""
    problems = []
    pos = first
    for state, start in expected:
        for i in range(pos, len(timeline)):
            e = timeline[i]
            if e["state"] == state and abs(e["start"] - start) <= tolerance:
                pos = i + 1
                break
        else:
            problems.append("no %s at %.1f s (+-%.1f s)" %
                            (state, start, tolerance))
    return problems


def check_expected(timeline, tolerance=0.2):
    """The failures of a timeline against the generated stream's."""
    failures = find_in_order(timeline, EXPECTED, tolerance=tolerance)
    if len(timeline) != len(EXPECTED):
        failures.append("expected %d state changes, got %d"
                        % (len(EXPECTED), len(timeline)))
    return failures


def finish(failures):
    """Prints the verdict; the exit status of the test."""
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS")
    return 0


def describe(timeline):
    return ", ".join("%s@%.3f" % (e["state"], e["start"]) for e in timeline)


# --- streams made with ffmpeg, served over HTTP --------------------------

# black 0-4 s, SMPTE bars 4-8 s, moving (testsrc2) 8-12 s, black 12-16 s:
# content the analysis process judges right at these sizes
FFMPEG_STATES = ("color=black:s={size}:r=25:d=4[s0];"
                 "smptebars=s={size}:r=25:d=4[s1];"
                 "testsrc2=s={size}:r=25:d=4[s2];"
                 "color=black:s={size}:r=25:d=4[s3];"
                 "[s0][s1][s2][s3]concat=n=4:v=1:a=0,format=yuv420p")
# a keyframe each second, so that segments are 1 s
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
        "-keyint_min", "25", "-sc_threshold", "0"]
HLS_VOD = ["-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod"]


def ffmpeg_or_skip():
    import shutil
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("SKIP: ffmpeg not found")
        sys.exit(SKIP)
    return ffmpeg


def ffmpeg(directory, args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
                   + args, cwd=directory, check=True, timeout=120)


def make_ts(directory, size="320x240"):
    """The states in MPEG-TS segments, index.m3u8"""
    ffmpeg(directory, ["-filter_complex", FFMPEG_STATES.format(size=size)]
           + X264 + HLS_VOD + ["-hls_segment_filename", "seg%03d.ts",
                               "index.m3u8"])
    return "index.m3u8"


def make_fmp4(directory):
    """The states in fMP4 (CMAF) segments with an init segment"""
    ffmpeg(directory, ["-filter_complex",
                       FFMPEG_STATES.format(size="320x240")]
           + X264 + HLS_VOD + ["-hls_segment_type", "fmp4",
                               "-hls_fmp4_init_filename", "init.mp4",
                               "-hls_segment_filename", "seg%03d.m4s",
                               "index.m3u8"])
    return "index.m3u8"


def make_audio_video(directory):
    """The states with a sine tone muxed in the same MPEG-TS segments"""
    ffmpeg(directory, ["-filter_complex",
                       FFMPEG_STATES.format(size="320x240") + "[v]",
                       "-f", "lavfi", "-i", "sine=frequency=440:duration=16",
                       "-map", "[v]", "-map", "0:a"] + X264
           + ["-c:a", "aac", "-b:a", "64k"] + HLS_VOD
           + ["-hls_segment_filename", "seg%03d.ts", "index.m3u8"])
    return "index.m3u8"


def make_audio_rendition(directory):
    """A master playlist whose one variant has its audio in a rendition of
    its own (#EXT-X-MEDIA TYPE=AUDIO): two playlists, two pads"""
    ffmpeg(directory, ["-filter_complex",
                       FFMPEG_STATES.format(size="320x240") + "[v]",
                       "-f", "lavfi", "-i", "sine=frequency=440:duration=16",
                       "-map", "[v]", "-map", "0:a"] + X264
           + ["-c:a", "aac", "-b:a", "64k"] + HLS_VOD
           + ["-var_stream_map", "a:0,agroup:aud,default:yes v:0,agroup:aud",
              "-master_pl_name", "master.m3u8",
              "-hls_segment_filename", "s%v_%03d.ts", "p%v.m3u8"])
    return "master.m3u8"


def make_master(directory):
    """A master playlist of two variants, 320x240 and 426x240, each with
    the states: hlsdemux starts on the first and switches to the second"""
    ffmpeg(directory, ["-filter_complex",
                       FFMPEG_STATES.format(size="320x240")
                       + ",split=2[v0][v1];[v1]scale=426:240[v1s]",
                       "-map", "[v0]", "-map", "[v1s]"] + X264
           + ["-b:v:0", "200k", "-b:v:1", "600k"] + HLS_VOD
           + ["-var_stream_map", "v:0 v:1",
              "-master_pl_name", "master.m3u8",
              "-hls_segment_filename", "v%v_%03d.ts", "v%v.m3u8"])
    return "master.m3u8"


def make_discontinuity(directory):
    """Two pieces encoded apart (black and bars at 320x240, then moving and
    black at 426x240, timestamps from 0 in each), in one playlist with
    #EXT-X-DISCONTINUITY between them"""
    first = ("color=black:s=320x240:r=25:d=4[s0];"
             "smptebars=s=320x240:r=25:d=4[s1];"
             "[s0][s1]concat=n=2:v=1:a=0,format=yuv420p")
    second = ("testsrc2=s=426x240:r=25:d=4[s0];"
              "color=black:s=426x240:r=25:d=4[s1];"
              "[s0][s1]concat=n=2:v=1:a=0,format=yuv420p")
    for name, graph in (("a", first), ("b", second)):
        ffmpeg(directory, ["-filter_complex", graph] + X264 + HLS_VOD
               + ["-hls_segment_filename", name + "%03d.ts",
                  name + ".m3u8"])
    lines = []
    for name in ("a", "b"):
        with open(os.path.join(directory, name + ".m3u8")) as f:
            body = [line.rstrip("\n") for line in f]
        segments = [line for line in body
                    if line.startswith("#EXTINF") or
                    (line and not line.startswith("#"))]
        if lines:
            lines.append("#EXT-X-DISCONTINUITY")
        else:
            lines = [line for line in body
                     if line.startswith("#EXT") and
                     not line.startswith("#EXTINF") and
                     line != "#EXT-X-ENDLIST"]
        lines += segments
    lines.append("#EXT-X-ENDLIST")
    with open(os.path.join(directory, "index.m3u8"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return "index.m3u8"


def serve(directory):
    """A quiet HTTP server of @directory on 127.0.0.1 in a thread"""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_live(directory, window=4, first=8, endlist=True, fail_after=None):
    """Serves the 1 s segments of directory/index.m3u8 as a live stream,
    live.m3u8: a sliding window of @window segments, the first request
    seeing segments up to @first - 1, one more each second after it,
    with #EXT-X-MEDIA-SEQUENCE and #EXT-X-PROGRAM-DATE-TIME (06:00:00 UTC
    for segment 0). With @endlist, #EXT-X-ENDLIST comes with the last
    segment; without, the playlist stays live (no more segments).
    master.m3u8 is a master playlist with live.m3u8 as its one variant.
    With @fail_after, live.m3u8 is 404 Not Found from that many seconds
    after the first request on.
    server.segments_requested lists the segments requested, by number."""
    import functools
    import http.server
    import threading

    with open(os.path.join(directory, "index.m3u8")) as f:
        segments = [line.strip() for line in f
                    if line.strip() and not line.startswith("#")]
    state = {"t0": None}
    requested = []
    lock = threading.Lock()

    class LiveHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_playlist(self, body):
            self.send_response(200)
            self.send_header("Content-Type",
                             "application/vnd.apple.mpegurl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/master.m3u8"):
                return self.send_playlist(
                    b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,"
                    b"RESOLUTION=640x360\nlive.m3u8\n")
            if not self.path.startswith("/live.m3u8"):
                name = self.path.lstrip("/")
                if name in segments:
                    with lock:
                        requested.append(segments.index(name))
                return super().do_GET()
            with lock:
                if state["t0"] is None:
                    state["t0"] = time.monotonic()
                elapsed = time.monotonic() - state["t0"]
            if fail_after is not None and elapsed >= fail_after:
                return self.send_error(404)
            end = min(len(segments), first + int(elapsed))
            start = max(0, end - window)
            lines = ["#EXTM3U", "#EXT-X-VERSION:3",
                     "#EXT-X-TARGETDURATION:1",
                     "#EXT-X-MEDIA-SEQUENCE:%d" % start,
                     "#EXT-X-PROGRAM-DATE-TIME:2026-12-05T06:00:%02d.000Z"
                     % start]
            for i in range(start, end):
                lines += ["#EXTINF:1.000000,", segments[i]]
            if endlist and end == len(segments):
                lines.append("#EXT-X-ENDLIST")
            self.send_playlist(("\n".join(lines) + "\n").encode())

    handler = functools.partial(LiveHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.segments_requested = requested
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
