#!/usr/bin/env python3
# A server that fails in the middle of the stream gives a one-line error
# that names the segment URL and the cause, exit status 1, in bounded
# time. The generated stream is served by a test server that, from the
# fourth segment on:
#   500     answers HTTP 500;
#   close   sends a third of the segment (of the asked range: it honours
#           resumes) and closes the connection;
#   refuse  stops listening (the connections after it are refused);
#   stall   reads the request and never answers (the demo runs with
#           --http-timeout 1).
import http.server
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from hlsdemo_common import args_or_skip

FAIL_AT = 3
LIMIT = 40.0
CASES = [
    ("500", ["HTTP 500"]),
    ("close", ["closed the connection in the middle"]),
    ("refuse", ["connection refused"]),
    ("stall", ["timed out"]),
]


def make_server(root, mode):
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            name = self.path.lstrip("/").split("?")[0]
            path = os.path.join(root, name)
            if "/" in name or not os.path.isfile(path):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                data = f.read()
            m = re.match(r"segment(\d+)\.ts$", name)
            if m and int(m.group(1)) >= FAIL_AT:
                getattr(self, "fail_" + mode)(data)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def hang_up(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def fail_500(self, data):
            self.send_error(500)

        def fail_close(self, data):
            start = 0
            m = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if m:
                start = int(m.group(1))
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d"
                                 % (start, len(data) - 1, len(data)))
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:start + (len(data) - start) // 3])
            self.wfile.flush()
            self.hang_up()

        def fail_refuse(self, data):
            self.server.socket.close()
            self.hang_up()

        def fail_stall(self, data):
            release.wait(120)
            self.hang_up()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def serve():
        try:
            server.serve_forever(poll_interval=0.1)
        except (OSError, ValueError):
            pass  # "refuse" closed the listening socket under it

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, release


def generate(demo, analyzer, tmp):
    """The demo's own stream, kept in a directory."""
    proc = subprocess.run([demo, "--quiet", "--keep", "--analyzer", analyzer,
                           "--snapshot-dir", os.path.join(tmp, "gen")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)
    m = re.search(r"kept the generated stream in (\S+)", proc.stderr)
    if proc.returncode != 0 or not m:
        sys.stderr.write(proc.stderr)
        sys.exit("cannot generate the stream")
    return m.group(1)


def run_case(demo, analyzer, root, tmp, mode, expect):
    server, release = make_server(root, mode)
    port = server.server_address[1]
    url = "http://127.0.0.1:%d/index.m3u8" % port
    segment = "http://127.0.0.1:%d/segment%05d.ts" % (port, FAIL_AT)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([demo, "--quiet", "--http-timeout", "1",
                               "--analyzer", analyzer, "--snapshot-dir",
                               os.path.join(tmp, mode), url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=LIMIT + 30)
    except subprocess.TimeoutExpired:
        return ["%s: still running after %.0f s" % (mode, LIMIT + 30)]
    finally:
        release.set()
        server.server_close()
    elapsed = time.monotonic() - t0
    errors = [l for l in proc.stderr.splitlines() if ": error: " in l]
    print("%s: exit %d in %.1f s: %s" % (mode, proc.returncode, elapsed,
                                         errors[-1] if errors else
                                         proc.stderr.strip()))
    problems = []
    if proc.returncode != 1:
        problems.append("%s: exit status %d" % (mode, proc.returncode))
    if elapsed > LIMIT:
        problems.append("%s: took %.1f s" % (mode, elapsed))
    if len(errors) != 1:
        problems.append("%s: expected one error line, got %d"
                        % (mode, len(errors)))
    else:
        if "segment " + segment + ":" not in errors[0]:
            problems.append("%s: the message does not name %s"
                            % (mode, segment))
        if not any(e in errors[0] for e in expect):
            problems.append("%s: the message mentions none of %s"
                            % (mode, expect))
    return problems


def main():
    demo, analyzer = args_or_skip()
    failures = []
    with tempfile.TemporaryDirectory(prefix="hls-demo-seg-") as tmp:
        root = generate(demo, analyzer, tmp)
        try:
            for mode, expect in CASES:
                failures += run_case(demo, analyzer, root, tmp, mode, expect)
        finally:
            for name in os.listdir(root):
                os.unlink(os.path.join(root, name))
            os.rmdir(root)
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
