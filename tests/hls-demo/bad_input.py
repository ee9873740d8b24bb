#!/usr/bin/env python3
# Bad input gives a clear one-line message and a non-zero exit, quickly:
# an unreachable URL (a closed port), a URL that is not an HLS playlist
# (plain text, HTML), a playlist that does not exist (404), an HLS stream
# without video (AAC audio only; skipped without an AAC encoder).
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from hlsdemo_common import args_or_skip

LIMIT = 30.0


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_audio_only(directory):
    gst_launch = shutil.which("gst-launch-1.0")
    if gst_launch is None:
        return "gst-launch-1.0 not found"
    for enc in ("avenc_aac", "voaacenc", "fdkaacenc", "faac"):
        if subprocess.run(["gst-inspect-1.0", "--exists", enc]).returncode:
            continue
        r = subprocess.run(
            [gst_launch, "-q", "audiotestsrc", "num-buffers=200", "!",
             "audioconvert", "!", enc, "!", "aacparse", "!", "mpegtsmux", "!",
             "hlssink", "location=" + os.path.join(directory, "a%05d.ts"),
             "playlist-location=" + os.path.join(directory, "audio.m3u8"),
             "target-duration=1", "max-files=0", "playlist-length=0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True, timeout=60)
        if r.returncode == 0:
            return None
        return "%s failed: %s" % (enc, r.stdout)
    return "no AAC encoder"


def run_case(demo, analyzer, name, url, expect, snapdir):
    t0 = time.monotonic()
    try:
        proc = subprocess.run([demo, "--quiet", "--analyzer", analyzer,
                               "--snapshot-dir", snapdir, url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=LIMIT + 30)
    except subprocess.TimeoutExpired:
        return ["%s: still running after %.0f s" % (name, LIMIT + 30)]
    elapsed = time.monotonic() - t0
    errors = [l for l in proc.stderr.splitlines() if ": error: " in l]
    print("%s: exit %d in %.1f s: %s" % (name, proc.returncode, elapsed,
                                         errors[-1] if errors else
                                         proc.stderr.strip()))
    problems = []
    if proc.returncode == 0:
        problems.append("%s: exit status 0" % name)
    if elapsed > LIMIT:
        problems.append("%s: took %.1f s" % (name, elapsed))
    if len(errors) != 1:
        problems.append("%s: expected one error line, got %d"
                        % (name, len(errors)))
    elif not any(e.lower() in errors[0].lower() for e in expect):
        problems.append("%s: the message mentions none of %s"
                        % (name, expect))
    return problems


def main():
    demo, analyzer = args_or_skip()
    failures = []
    with tempfile.TemporaryDirectory(prefix="hls-demo-bad-") as tmp:
        www = os.path.join(tmp, "www")
        os.mkdir(www)
        with open(os.path.join(www, "notes.txt"), "w") as f:
            f.write("This is a plain text file, not a playlist.\n" * 20)
        with open(os.path.join(www, "page.html"), "w") as f:
            f.write("<!DOCTYPE html>\n<html><head><title>x</title></head>"
                    "<body><p>not a playlist</p></body></html>\n")
        audio_problem = make_audio_only(www)
        server = serve(www)
        base = "http://127.0.0.1:%d/" % server.server_address[1]
        snapdir = os.path.join(tmp, "snapshots")

        cases = [
            ("unreachable", "http://127.0.0.1:%d/index.m3u8" % closed_port(),
             ["connection refused", "cannot connect"]),
            ("plain text", base + "notes.txt", ["not an HLS playlist"]),
            ("html", base + "page.html", ["not an HLS playlist"]),
            ("404", base + "missing.m3u8", ["not found", "404"]),
        ]
        if audio_problem is None:
            cases.append(("audio only", base + "audio.m3u8", ["no video"]))
        else:
            print("audio only: skipped (%s)" % audio_problem)
        for name, url, expect in cases:
            failures += run_case(demo, analyzer, name, url, expect, snapdir)
        server.shutdown()

    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
